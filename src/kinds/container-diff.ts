/**
 * Attribute-level differences between two container specs, flattened to paths
 * (`environment.DEBUG`, `healthcheck.interval`), each marked as forcing replacement or not.
 */
import type { ContainerSpec } from '../expand/instances.js';
import type { AttrChange } from '../plans/plan.js';
import { IN_PLACE_FIELDS, KOLLA_ONLY_FIELDS } from '../providers/docker/in-place.js';

/** Changes to these never force a replacement (in-place settings and kolla's own). */
const IN_PLACE = new Set<string>([...IN_PLACE_FIELDS, ...KOLLA_ONLY_FIELDS]);
/** Maps whose keys are shown one by one. */
const KEYED = new Set(['environment', 'labels']);

function eq(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function diffSpecs(
  before: ContainerSpec | undefined,
  after: ContainerSpec,
  isSensitive: (v: unknown) => boolean,
): AttrChange[] {
  const out: AttrChange[] = [];
  const b = (before ?? {}) as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  for (const k of keys) {
    const bv = b[k];
    const av = a[k];
    if (eq(bv, av)) continue;
    if (KEYED.has(k) && bv && av && typeof bv === 'object' && typeof av === 'object') {
      const bo = bv as Record<string, unknown>;
      const ao = av as Record<string, unknown>;
      for (const kk of [...new Set([...Object.keys(bo), ...Object.keys(ao)])].sort()) {
        if (eq(bo[kk], ao[kk])) continue;
        out.push(change(`${k}.${kk}`, bo[kk], ao[kk], !IN_PLACE.has(k), isSensitive));
      }
      continue;
    }
    if (k === 'healthcheck' && bv && av && typeof bv === 'object' && typeof av === 'object') {
      const bo = bv as Record<string, unknown>;
      const ao = av as Record<string, unknown>;
      for (const kk of [...new Set([...Object.keys(bo), ...Object.keys(ao)])].sort()) {
        if (eq(bo[kk], ao[kk])) continue;
        out.push(change(`healthcheck.${kk}`, bo[kk], ao[kk], true, isSensitive));
      }
      continue;
    }
    out.push(change(k, bv, av, !IN_PLACE.has(k), isSensitive));
  }
  return out;
}

function change(
  path: string,
  before: unknown,
  after: unknown,
  forces: boolean,
  isSensitive: (v: unknown) => boolean,
): AttrChange {
  const c: AttrChange = {
    path,
    forcesReplacement: forces,
    sensitive: isSensitive(before) || isSensitive(after),
  };
  if (before !== undefined) c.before = before;
  if (after !== undefined) c.after = after;
  return c;
}

/** Remove changes to paths the container's lifecycle ignores (a path and everything below it). */
export function withoutIgnored(changes: AttrChange[], ignore: string[]): AttrChange[] {
  if (ignore.length === 0) return changes;
  return changes.filter((c) => !ignore.some((i) => c.path === i || c.path.startsWith(`${i}.`)));
}
