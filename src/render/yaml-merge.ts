/**
 * YAML layering: maps are merged deeply, later files winning; lists are replaced unless
 * `extendLists` is set, in which case they are concatenated (kolla-ansible's merge_yaml).
 */
import { yaml } from '../lazy/modules.js';

export function deepMerge(base: unknown, over: unknown, extendLists: boolean): unknown {
  if (isMap(base) && isMap(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v, extendLists) : v;
    return out;
  }
  if (extendLists && Array.isArray(base) && Array.isArray(over)) return [...base, ...over];
  return over;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergeYamlTexts(texts: string[], extendLists: boolean): string {
  let acc: unknown = undefined;
  for (const t of texts) {
    const doc: unknown = yaml().parse(t) ?? {};
    acc = acc === undefined ? doc : deepMerge(acc, doc, extendLists);
  }
  return yaml().stringify(acc ?? {});
}
