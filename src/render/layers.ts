/**
 * Merging a rendered template with its override files in order, by format, and then with
 * the config block's inline values (`override_values`), the last layer: for ini an object of
 * sections of keys (a list value is a key repeated, as oslo.config's MultiStrOpt reads it),
 * for yaml and json any object, merged as one more file would be.
 */
import { formatIni, mergeIni, parseIni, type IniDoc } from './ini-merge.js';
import { deepMerge, mergeYamlTexts } from './yaml-merge.js';
import { yaml } from '../lazy/modules.js';

export type ConfigFormat = 'ini' | 'yaml' | 'json' | 'raw';

/** An object of inline values; undefined or `{}` adds no layer. */
export type InlineValues = Record<string, unknown>;

/** The inline values do not fit the file's format. */
export class InlineValuesError extends Error {}

export function mergeLayers(
  format: ConfigFormat,
  layers: string[],
  extendLists = false,
  values?: InlineValues,
): string {
  if (values !== undefined && Object.keys(values).length === 0) values = undefined;
  if (values !== undefined) return mergeWithValues(format, layers, extendLists, values);
  if (layers.length === 0) return '';
  if (layers.length === 1 && format === 'raw') return layers[0]!;
  switch (format) {
    case 'raw':
      return layers[layers.length - 1]!;
    case 'ini':
      return formatIni(layers.map(parseIni).reduce(mergeIni));
    case 'yaml':
      return mergeYamlTexts(layers, extendLists);
    case 'json': {
      const merged = JSON.parse(mergeJson(layers, extendLists)) as unknown;
      return JSON.stringify(merged, null, 2) + '\n';
    }
  }
}

function mergeWithValues(
  format: ConfigFormat,
  layers: string[],
  extendLists: boolean,
  values: InlineValues,
): string {
  switch (format) {
    case 'raw':
      throw new InlineValuesError('inline values merge only into ini, yaml or json files: set format.');
    case 'ini':
      return formatIni([...layers.map(parseIni), iniOfValues(values)].reduce(mergeIni));
    case 'yaml': {
      const base: unknown = layers.length ? yaml().parse(mergeYamlTexts(layers, extendLists)) : {};
      return yaml().stringify(deepMerge(base ?? {}, values, extendLists));
    }
    case 'json': {
      const base: unknown = layers.length ? JSON.parse(mergeJson(layers, extendLists)) : {};
      return JSON.stringify(deepMergeJson(base, values, extendLists), null, 2) + '\n';
    }
  }
}

/** `{ DEFAULT = { debug = true, x = [1, 2] } }` as an INI document (sections → keys → values). */
export function iniOfValues(values: InlineValues): IniDoc {
  const doc: IniDoc = new Map();
  for (const [section, keys] of Object.entries(values)) {
    if (!isObject(keys))
      throw new InlineValuesError(
        `inline values of an ini file are sections of keys: "${section}" is ${describe(keys)}, not an object of keys (e.g. { ${section} = { key = "value" } }).`,
      );
    const s = new Map<string, string[][]>();
    for (const [key, v] of Object.entries(keys)) {
      const list = Array.isArray(v) ? v : [v];
      s.set(
        key,
        list.map((x) => {
          if (x === null || typeof x === 'object')
            throw new InlineValuesError(
              `inline value ${section}.${key} is ${describe(x)}: an ini value is a string, number or bool (or a list of them: the key repeated).`,
            );
          const text = String(x);
          return text === '' ? [] : text.split('\n');
        }),
      );
    }
    doc.set(section, s);
  }
  return doc;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeJson(layers: string[], extendLists: boolean): string {
  // JSON is YAML; reuse the deep merge and print as JSON.
  return JSON.stringify(
    layers.map((l) => JSON.parse(l) as unknown).reduce((a, b) => deepMergeJson(a, b, extendLists)),
  );
}

function deepMergeJson(a: unknown, b: unknown, extendLists: boolean): unknown {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? deepMergeJson(out[k], v, extendLists) : v;
    return out;
  }
  if (extendLists && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  return b;
}
