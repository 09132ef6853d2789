/**
 * The container settings Docker changes in place (its update call), listed once: the spec
 * hash leaves them out, the planner diffs them without forcing a replacement, apply sends
 * them with `update`, and a rollback sends the previous values back the same way.
 * `schemas/config.schema.json` marks the same arguments `"x-update": "in-place"` (a unit
 * test keeps the two lists equal).
 */
import type { ContainerInspectInfo, HostRestartPolicy } from 'dockerode';
import type { ContainerSpec } from '../../expand/instances.js';
import { parseRestartPolicy } from './container-options.js';

/** Fields applied with Docker's update call, without a new container. */
export const IN_PLACE_FIELDS = ['restart_policy', 'memory', 'cpu_shares'] as const;
export type InPlaceField = (typeof IN_PLACE_FIELDS)[number];

/** Spec fields that are kolla's own, not the container's: never part of the hash or a diff that replaces. */
export const KOLLA_ONLY_FIELDS = ['health_timeout'] as const;

/** The in-place settings, in the form they are compared and sent. */
export interface InPlaceSettings {
  restart_policy: string;
  memory: number;
  cpu_shares: number;
}

export function inPlaceSettings(spec: Pick<ContainerSpec, InPlaceField>): InPlaceSettings {
  return {
    restart_policy: normaliseRestartPolicy(spec.restart_policy),
    memory: spec.memory,
    cpu_shares: spec.cpu_shares,
  };
}

/** What a container on the host has for the in-place fields. */
export function observedInPlace(info: ContainerInspectInfo): InPlaceSettings {
  return {
    restart_policy: formatRestartPolicy(info.HostConfig.RestartPolicy),
    memory: info.HostConfig.Memory ?? 0,
    cpu_shares: info.HostConfig.CpuShares ?? 0,
  };
}

/**
 * Which in-place fields differ between the spec and a container. CPU shares 0 and 1024 are
 * the same weight (1024 is the kernel's default) and compare equal.
 */
export function inPlaceChanges(want: InPlaceSettings, have: InPlaceSettings): InPlaceField[] {
  const changes: InPlaceField[] = [];
  if (normaliseRestartPolicy(want.restart_policy) !== normaliseRestartPolicy(have.restart_policy))
    changes.push('restart_policy');
  if (want.memory !== have.memory) changes.push('memory');
  if (normaliseCpuShares(want.cpu_shares) !== normaliseCpuShares(have.cpu_shares)) changes.push('cpu_shares');
  return changes;
}

/**
 * Why Docker cannot apply the change without a new container, if it cannot: its update
 * treats 0 as "leave unchanged", so removing a memory limit (limit → 0) needs a replacement.
 */
export function inPlaceBlocker(want: InPlaceSettings, have: InPlaceSettings): string | undefined {
  if (want.memory === 0 && have.memory !== 0) {
    return 'removing a memory limit needs a new container (Docker cannot unset it in place)';
  }
  return undefined;
}

/**
 * The body of Docker's update call that sets `want` on a container that has `have`. CPU
 * shares 0 is sent as 1024; raising memory also sets the swap limit to twice the memory,
 * which is what Docker gives a new container and what the update requires.
 */
export function updateBody(want: InPlaceSettings, have: InPlaceSettings): Record<string, unknown> {
  const body: Record<string, unknown> = {
    RestartPolicy: parseRestartPolicy(want.restart_policy),
    CpuShares: want.cpu_shares === 0 ? 1024 : want.cpu_shares,
  };
  if (want.memory !== have.memory && want.memory !== 0) {
    body['Memory'] = want.memory;
    body['MemorySwap'] = want.memory * 2;
  }
  return body;
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

/** Docker's {Name, MaximumRetryCount} back to the spec's string form. */
export function formatRestartPolicy(p: HostRestartPolicy | undefined): string {
  const name = p?.Name ?? '';
  if (name === '' || name === 'no') return 'no';
  if (name === 'on-failure' && (p?.MaximumRetryCount ?? 0) > 0) return `on-failure:${p?.MaximumRetryCount}`;
  return name;
}
