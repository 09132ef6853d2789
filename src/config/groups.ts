/**
 * Group placement with kolla-ansible's inventory semantics: a host is in the groups it
 * names, in every group that lists it, and in every group whose `children` contain one
 * of those (transitively). The implicit group `all` holds every host.
 */
import type { Diagnostics } from '../diags/diagnostic.js';
import type { DecodedBlock } from './decode.js';
import type { HostSpec } from './host-spec.js';
import { didYouMean } from '../diags/suggest.js';
import { Scope } from './scope.js';

function stringList(b: DecodedBlock, attr: string, scope: Scope, diags: Diagnostics): string[] {
  const a = b.attrs.get(attr);
  if (!a) return [];
  const r = scope.tryEval(a.expr);
  if (!r.ok) return [];
  if (!Array.isArray(r.value) || r.value.some((x) => typeof x !== 'string')) {
    diags.error(
      `Invalid value for "${attr}" in group "${b.labels[0]}"`,
      a.expr.range,
      'A list of names (strings) is required.',
    );
    return [];
  }
  return r.value as string[];
}

export function resolveGroups(
  blocks: DecodedBlock[],
  hosts: HostSpec[],
  diags: Diagnostics,
): Record<string, string[]> {
  const groupBlocks = blocks.filter((b) => b.type === 'group');
  // Children and members are literal lists of names; evaluate them without the lazy scope so
  // that a group referring to `group` is an error rather than a cycle.
  const scope = new Scope('.', diags);
  const children = new Map<string, string[]>();
  const direct = new Map<string, Set<string>>();
  const known = new Set<string>(['all']);
  for (const h of hosts) for (const g of h.groups) known.add(g);
  for (const b of groupBlocks) known.add(b.labels[0]!);
  const hostNames = new Set(hosts.map((h) => h.name));

  for (const b of groupBlocks) {
    const name = b.labels[0]!;
    const kids = stringList(b, 'children', scope, diags);
    for (const k of kids) {
      if (!known.has(k)) {
        const a = b.attrs.get('children')!;
        diags.error(
          `Unknown group "${k}" in children of group "${name}"${didYouMean(k, known)}`,
          a.expr.range,
          "A child group must be declared with a group block or named in some host's groups.",
        );
      }
    }
    children.set(name, kids);
    const members = new Set<string>();
    for (const h of stringList(b, 'hosts', scope, diags)) {
      if (!hostNames.has(h)) {
        diags.error(
          `Unknown host "${h}" in group "${name}"${didYouMean(h, hostNames)}`,
          b.attrs.get('hosts')!.expr.range,
        );
        continue;
      }
      members.add(h);
    }
    direct.set(name, members);
  }

  // Cycle check over children, with the cycle's path.
  const state = new Map<string, 'busy' | 'done'>();
  const path: string[] = [];
  const visit = (g: string): boolean => {
    if (state.get(g) === 'done') return true;
    if (state.get(g) === 'busy') {
      const cycle = [...path.slice(path.indexOf(g)), g];
      const b = groupBlocks.find((x) => x.labels[0] === g);
      diags.error(
        `Cycle in group children: ${cycle.join(' → ')}`,
        b?.labelRanges[0],
        'A group cannot contain itself.',
      );
      return false;
    }
    state.set(g, 'busy');
    path.push(g);
    let ok = true;
    for (const k of children.get(g) ?? []) if (!visit(k)) ok = false;
    path.pop();
    state.set(g, 'done');
    return ok;
  };
  for (const g of children.keys()) if (!visit(g)) return { all: hosts.map((h) => h.name) };

  const membersOf = new Map<string, Set<string>>();
  const resolve = (g: string): Set<string> => {
    const cached = membersOf.get(g);
    if (cached) return cached;
    const set = new Set<string>(direct.get(g) ?? []);
    for (const h of hosts) if (h.groups.includes(g)) set.add(h.name);
    membersOf.set(g, set);
    for (const k of children.get(g) ?? []) for (const h of resolve(k)) set.add(h);
    return set;
  };
  const out: Record<string, string[]> = { all: hosts.map((h) => h.name) };
  for (const g of known) {
    if (g === 'all') continue;
    const set = resolve(g);
    out[g] = hosts.map((h) => h.name).filter((n) => set.has(n));
  }
  // A host's `groups` as seen by templates: every group it ends up in.
  for (const h of hosts) {
    // In place: host values already handed to expressions share this array.
    h.groups.splice(0, h.groups.length, ...Object.keys(out).filter((g) => out[g]!.includes(h.name)));
  }
  return out;
}
