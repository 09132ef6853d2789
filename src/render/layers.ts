/**
 * Merging a rendered template with its override files in order, by format.
 */
import { formatIni, mergeIni, parseIni } from './ini-merge.js';
import { mergeYamlTexts } from './yaml-merge.js';

export type ConfigFormat = 'ini' | 'yaml' | 'json' | 'raw';

export function mergeLayers(format: ConfigFormat, layers: string[], extendLists = false): string {
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
