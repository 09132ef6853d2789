/**
 * State format upgrades, applied on read before validation (as Terraform's statefile
 * upgraders): a state written by an older kolla is brought to the current format in memory
 * and written in it by the next write. Each step takes one version to the next.
 */

type Json = Record<string, unknown>;

/** Format 1 kept every resource in one bag of optional fields; format 2 keeps each kind's own. */
const V2_FIELDS: Record<string, string[]> = {
  container: ['service', 'spec', 'spec_hash', 'options', 'observed'],
  bootstrap: ['service', 'spec', 'spec_hash', 'inputs_hash', 'image_id'],
  volume: ['volume'],
  config: ['service', 'container', 'path', 'content', 'content_hash', 'mode', 'sensitive'],
  image: ['ref'],
};

const COMMON = ['address', 'kind', 'host', 'dependencies'];

function v1to2(state: Json): Json {
  const resources = Array.isArray(state['resources']) ? (state['resources'] as unknown[]) : [];
  return {
    ...state,
    version: 2,
    resources: resources.map((r) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) return r;
      const o = r as Json;
      const keep = V2_FIELDS[String(o['kind'])];
      if (!keep) return r; // an unknown kind: validation names it
      const out: Json = {};
      for (const k of [...COMMON, ...keep]) if (o[k] !== undefined) out[k] = o[k];
      // Format 1 left these out when empty.
      if (o['kind'] === 'config') {
        out['service'] ??= '';
        out['container'] ??= '';
        out['content'] ??= '';
        out['mode'] ??= '0600';
        out['sensitive'] ??= false;
      }
      return out;
    }),
  };
}

const STEPS: Record<number, (s: Json) => Json> = { 1: v1to2 };

/** `json` in the current format, when it is an object with an older version; else as it is. */
export function migrateState(json: unknown, current: number): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  let s = json as Json;
  let v = s['version'];
  while (typeof v === 'number' && v < current && STEPS[v]) {
    s = STEPS[v]!(s);
    v = s['version'];
  }
  return s;
}
