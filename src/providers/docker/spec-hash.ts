/**
 * Spec hashing: the identity of a container's replace-forcing configuration.
 *
 * Docker fills defaults into what it reports (Env from the image, ExposedPorts, Hostname,
 * …), so comparing our spec to an inspect would show false diffs. Instead the hash of the
 * spec we created the container from is stored in its `kolla.spec-hash` label, and a
 * refresh compares hashes. Fields Docker can change in place (restart policy, memory,
 * CPU shares) are left out of that hash and compared directly, so changing them never
 * forces a replacement. `health_timeout` is kolla's own and not part of the container.
 */
import { createHash } from 'node:crypto';
import type { ContainerSpec } from '../../expand/instances.js';
import { IN_PLACE_FIELDS, KOLLA_ONLY_FIELDS } from './in-place.js';

/** Fields that are neither part of the container nor change-in-place. */
const NOT_HASHED: readonly string[] = [...IN_PLACE_FIELDS, ...KOLLA_ONLY_FIELDS];

/**
 * Bumped only when the hashing itself changes meaning; bumping it replaces every
 * container on the next apply, so it should almost never change.
 */
const HASH_VERSION = 1;

/**
 * JSON with object keys sorted at every level and undefined members dropped, so that key
 * order and absent-vs-undefined optional fields do not change the text. Array order is
 * kept: it is meaningful (command arguments) or at least visible (volumes).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** sha256 (hex) of the spec without the in-place fields and health_timeout. */
export function specHash(spec: ContainerSpec): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (!NOT_HASHED.includes(k)) rest[k] = v;
  }
  return sha256(canonicalJson({ v: HASH_VERSION, spec: rest }));
}
