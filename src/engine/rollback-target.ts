/**
 * `kolla rollback --to SERIAL` across a schema migration (issue #19): the earlier state, with
 * each migrating bootstrap that ran since marked to restore the backups taken just before it
 * ran — so that the older code does not come back on a schema it does not know. Refused, with
 * the reason, when such a bootstrap ran without a backup (unless the user keeps the data as it
 * is: `--keep-data`).
 */
import type { Backend } from '../states/backend.js';
import type { BootstrapResource, State } from '../states/state.js';
import { KollaError } from '../diags/kolla-error.js';

export interface RollbackTarget {
  state: State;
  /** What will be restored, in words (bootstrap address → backups). */
  restores: { address: string; schemas: string[]; backups: string[]; since: number }[];
}

export async function rollbackTarget(
  backend: Pick<Backend, 'readHistory'>,
  current: State,
  target: State,
  opts: { keepData: boolean },
): Promise<RollbackTarget> {
  const earlier = new Map(
    target.resources.filter((r): r is BootstrapResource => r.kind === 'bootstrap').map((r) => [r.address, r]),
  );
  const changed = current.resources.filter(
    (r): r is BootstrapResource =>
      r.kind === 'bootstrap' &&
      !!r.migrates?.length &&
      earlier.has(r.address) &&
      earlier.get(r.address)!.inputs_hash !== r.inputs_hash,
  );
  if (!changed.length || opts.keepData) return { state: target, restores: [] };

  // The states in between, oldest first: the first where the bootstrap's inputs moved is the
  // apply that migrated the schemas, and its backups are of the schemas as they were.
  const between: State[] = [];
  for (let s = target.serial + 1; s <= current.serial; s++) {
    const st = s === current.serial ? current : await backend.readHistory(s);
    if (st) between.push(st);
  }
  const restores: RollbackTarget['restores'] = [];
  const problems: string[] = [];
  const resources = target.resources.map((r) => ({ ...r }));
  for (const now of changed) {
    const then = earlier.get(now.address)!;
    const first = between
      .map((st) => ({
        serial: st.serial,
        r: st.resources.find(
          (x): x is BootstrapResource => x.kind === 'bootstrap' && x.address === now.address,
        ),
      }))
      .find((x) => x.r && x.r.inputs_hash !== then.inputs_hash);
    const backups = first?.r?.backups;
    if (!first || !backups?.length) {
      problems.push(
        `${now.address} migrated ${now.migrates!.join(', ')} ${first ? `in the apply of serial ${first.serial}` : 'since'} and no backup was taken before it`,
      );
      continue;
    }
    const r = resources.find((x) => x.address === now.address) as BootstrapResource;
    r.restore = backups;
    r.restore_since = first.serial;
    restores.push({
      address: now.address,
      schemas: backups.flatMap((b) => b.schemas),
      backups: backups.map((b) => b.id),
      since: first.serial,
    });
  }
  if (problems.length)
    throw new KollaError(
      'state',
      `cannot roll back to serial ${target.serial} with its data: ${problems.join('; ')}`,
      {
        hint: 'The older containers would run on a schema their code does not know. Restore a backup by hand (kolla backup list, kolla backup restore ID) and run kolla rollback --keep-data, or roll forward instead.',
      },
    );
  return { state: { ...target, resources }, restores };
}
