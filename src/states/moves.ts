/**
 * Moving and forgetting resources in a state: what `moved` and `removed` blocks and
 * `kolla state mv` do. Pure: a state in, a state out. A move renames every resource under the
 * `from` address (an address prefix: `service.x` moves the whole service) to the same place
 * under `to`, and the dependencies that named them; nothing on a host changes (a container is
 * found by its name on its host, so it is the same container under its new address).
 */
import { isValidAddress, parseAddress, replacePrefix } from '../addrs/address.js';

/** The kind of resource an address names (`service`, `volume`, `image`), or none for a module path. */
function resourceKind(address: string): string | undefined {
  const a = parseAddress(address);
  if (typeof a === 'string') return undefined;
  const first = a.steps[0];
  return first && 'name' in first ? first.name : undefined;
}
import type { State } from './state.js';

export interface Move {
  from: string;
  to: string;
}

/** One resource's rename, as the plan shows it ("has moved to"). */
export interface Moved {
  from: string;
  to: string;
}

/**
 * Apply `moves` in order. A move whose target already exists in the state, or that matches
 * nothing, is reported in `problems` (the first is an error for the plan; the second is
 * normal once a move has been applied, and is skipped silently).
 */
export function applyMoves(
  state: State,
  moves: readonly Move[],
): { state: State; moved: Moved[]; problems: string[] } {
  let resources = state.resources;
  const moved: Moved[] = [];
  const problems: string[] = [];
  for (const m of moves) {
    const fromKind = resourceKind(m.from);
    const toKind = resourceKind(m.to);
    if (fromKind !== toKind) {
      problems.push(
        `cannot move ${m.from} to ${m.to}: ${fromKind ? `a ${fromKind}` : 'a module'} does not become ${toKind ? `a ${toKind}` : 'a module'}`,
      );
      continue;
    }
    const renames = new Map<string, string>();
    for (const r of resources) {
      const to = replacePrefix(r.address, m.from, m.to);
      if (to !== undefined && to !== r.address) renames.set(r.address, to);
    }
    if (!renames.size) continue;
    const bad = [...renames.values()].find((a) => !isValidAddress(a));
    if (bad) {
      problems.push(`cannot move ${m.from} to ${m.to}: ${bad} would not be an address`);
      continue;
    }
    const taken = new Set(resources.map((r) => r.address).filter((a) => !renames.has(a)));
    const clash = [...renames.values()].find((a) => taken.has(a));
    if (clash) {
      problems.push(`cannot move ${m.from} to ${m.to}: ${clash} is already in the state`);
      continue;
    }
    resources = resources.map((r) => ({
      ...r,
      address: renames.get(r.address) ?? r.address,
      dependencies: r.dependencies.map((d) => renames.get(d) ?? d),
    }));
    for (const [from, to] of renames) {
      // A chain (a → b, then b → c) shows once, from the first to the last.
      const earlier = moved.find((x) => x.to === from);
      if (earlier) earlier.to = to;
      else moved.push({ from, to });
    }
  }
  resources = [...resources].sort((a, b) => a.address.localeCompare(b.address));
  // A move there and back again is no move.
  return { state: { ...state, resources }, moved: moved.filter((m) => m.from !== m.to), problems };
}

/** The state with the resources at `moved[].from` renamed (a saved plan's moves, exactly). */
export function renameResources(state: State, moved: readonly Moved[]): State {
  if (!moved.length) return state;
  const to = new Map(moved.map((m) => [m.from, m.to]));
  return {
    ...state,
    resources: state.resources
      .map((r) => ({
        ...r,
        address: to.get(r.address) ?? r.address,
        dependencies: r.dependencies.map((d) => to.get(d) ?? d),
      }))
      .sort((a, b) => a.address.localeCompare(b.address)),
  };
}

/** The state without the resources at `addresses` (forgotten: `removed` blocks). */
export function forgetResources(state: State, addresses: readonly string[]): State {
  if (!addresses.length) return state;
  const gone = new Set(addresses);
  return { ...state, resources: state.resources.filter((r) => !gone.has(r.address)) };
}

/**
 * `address`, then every address `moves` take it to (a chain a → b → c, in any order): what a
 * thing created at `address` is called now. A container keeps the `kolla.address` label it
 * was created with — a move renames it in the state only — so a removed block naming its new
 * address must still recognise it by the old one. Each move is followed once (a move into
 * its own subtree, `module.m` → `module.m.module.n`, would never end).
 */
export function addressesAfterMoves(address: string, moves: readonly Move[]): string[] {
  const out = [address];
  const used = new Set<number>();
  for (let i = 0; i < out.length; i++) {
    const at = out[i]!;
    moves.forEach((m, j) => {
      if (used.has(j)) return;
      const to = replacePrefix(at, m.from, m.to);
      if (to === undefined || to === at) return;
      used.add(j);
      if (!out.includes(to)) out.push(to);
    });
  }
  return out;
}
