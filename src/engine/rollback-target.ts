/**
 * `kolla rollback --to SERIAL` with its data (issue #19): the earlier state, with each
 * resource as its kind says the rollback must use it (kinds/kind.ts `rollbackTo`: a migrating
 * bootstrap that ran since is marked to restore the backups taken just before it ran). Refused,
 * with every reason, when a kind says it cannot come back with its data (a migration without a
 * backup) — unless the user keeps the data as it is (`--keep-data`).
 */
import type { Backend } from '../states/backend.js';
import type { State } from '../states/state.js';
import { KollaError } from '../diags/kolla-error.js';
import { kindOf } from '../kinds/registry.js';

export interface RollbackTarget {
  state: State;
  /** What will be restored, in words (resource address → backups). */
  restores: { address: string; schemas: string[]; backups: string[]; since: number }[];
}

export async function rollbackTarget(
  backend: Pick<Backend, 'readHistory'>,
  current: State,
  target: State,
  opts: { keepData: boolean },
): Promise<RollbackTarget> {
  if (opts.keepData) return { state: target, restores: [] };
  // The states in between, oldest first, read only when a kind asks for them.
  let between: Promise<State[]> | undefined;
  const statesBetween = (): Promise<State[]> => (between ??= statesAfter(backend, target, current));
  const earlier = new Map(target.resources.map((r) => [r.address, r]));
  const replaced = new Map<string, State['resources'][number]>();
  const restores: RollbackTarget['restores'] = [];
  const problems: string[] = [];
  for (const now of current.resources) {
    const then = earlier.get(now.address);
    const kind = kindOf(now.kind);
    if (!then || kindOf(then.kind) !== kind || !kind.rollbackTo) continue;
    const r = await kind.rollbackTo(now, then, statesBetween);
    if (!r) continue;
    if ('problem' in r) {
      problems.push(r.problem);
      continue;
    }
    replaced.set(now.address, r.resource);
    restores.push({ address: now.address, ...r.restore });
  }
  if (problems.length)
    throw new KollaError(
      'state',
      `cannot roll back to serial ${target.serial} with its data: ${problems.join('; ')}`,
      {
        hint: 'The older containers would run on a schema their code does not know. Restore a backup by hand (kolla backup list, kolla backup restore ID) and run kolla rollback --keep-data, or roll forward instead.',
      },
    );
  if (!restores.length) return { state: target, restores };
  return {
    state: { ...target, resources: target.resources.map((r) => replaced.get(r.address) ?? r) },
    restores,
  };
}

/** The states after `target` up to `current` (which is the last), oldest first. */
async function statesAfter(
  backend: Pick<Backend, 'readHistory'>,
  target: State,
  current: State,
): Promise<State[]> {
  const out: State[] = [];
  for (let s = target.serial + 1; s <= current.serial; s++) {
    const st = s === current.serial ? current : await backend.readHistory(s);
    if (st) out.push(st);
  }
  return out;
}
