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

/** Fields applied with Docker's update call, without a new container. */
export const IN_PLACE_FIELDS = ['restart_policy', 'memory', 'cpu_shares'] as const;
export type InPlaceField = (typeof IN_PLACE_FIELDS)[number];

/** Fields that are neither part of the container nor change-in-place. */
const NOT_HASHED: readonly string[] = [...IN_PLACE_FIELDS, 'health_timeout'];

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

/** The in-place settings of a spec, in the form they are compared. */
export interface InPlaceSettings {
  restart_policy: string;
  memory: number;
  cpu_shares: number;
}

export function inPlaceSettings(spec: ContainerSpec): InPlaceSettings {
  return {
    restart_policy: normaliseRestartPolicy(spec.restart_policy),
    memory: spec.memory,
    cpu_shares: spec.cpu_shares,
  };
}

/** sha256 (hex) of the in-place settings, for plans that want one value to store. */
export function inPlaceHash(spec: ContainerSpec): string {
  return sha256(canonicalJson(inPlaceSettings(spec)));
}

/** What a refresh reports for the in-place fields (see ObservedContainer). */
export interface ObservedInPlace {
  restartPolicy: string;
  memory: number;
  cpuShares: number;
}

/**
 * Which in-place fields differ between the spec and a running container. CPU shares 0
 * and 1024 are the same weight (1024 is the kernel's default) and compare equal.
 */
export function inPlaceChanges(spec: ContainerSpec, observed: ObservedInPlace): InPlaceField[] {
  const want = inPlaceSettings(spec);
  const changes: InPlaceField[] = [];
  if (want.restart_policy !== normaliseRestartPolicy(observed.restartPolicy)) changes.push('restart_policy');
  if (want.memory !== observed.memory) changes.push('memory');
  if (normaliseCpuShares(want.cpu_shares) !== normaliseCpuShares(observed.cpuShares))
    changes.push('cpu_shares');
  return changes;
}

/**
 * Whether Docker can apply the change without a new container. Docker's update treats 0
 * as "leave unchanged" and rejects a memory limit below 6MB, so removing a memory limit
 * (limit → 0) cannot be done in place and needs a replacement.
 */
export function inPlaceBlocker(spec: ContainerSpec, observed: ObservedInPlace): string | undefined {
  if (spec.memory === 0 && observed.memory !== 0) {
    return 'removing a memory limit needs a new container (Docker cannot unset it in place)';
  }
  return undefined;
}

/** "" (Docker's unset), "no" → "no"; "on-failure:0" → "on-failure". */
export function normaliseRestartPolicy(policy: string): string {
  const p = policy.trim();
  if (p === '' || p === 'no') return 'no';
  if (p === 'on-failure:0') return 'on-failure';
  return p;
}

function normaliseCpuShares(n: number): number {
  return n === 0 ? 1024 : n;
}
