/**
 * A bootstrap's part in `kolla rollback --to SERIAL` across a schema migration (issue #19):
 * a migrating bootstrap whose inputs moved since the target state is marked to restore the
 * backups taken just before it ran — so that the older code does not come back on a schema it
 * does not know. The backups are those of the first state after the target in which its
 * inputs had moved (the apply that migrated the schemas). Without such a backup, the problem
 * that refuses the rollback (unless the user keeps the data: `--keep-data`, which the engine
 * handles by not asking).
 */
import type { BootstrapResource } from '../states/state.js';
import type { RollbackData, StatesBetween } from './kind.js';

export async function bootstrapRollbackTo(
  now: BootstrapResource,
  then: BootstrapResource,
  between: StatesBetween,
): Promise<RollbackData<BootstrapResource> | undefined> {
  if (!now.migrates?.length || then.inputs_hash === now.inputs_hash) return undefined;
  const first = (await between())
    .map((st) => ({
      serial: st.serial,
      r: st.resources.find(
        (x): x is BootstrapResource => x.kind === 'bootstrap' && x.address === now.address,
      ),
    }))
    .find((x) => x.r && x.r.inputs_hash !== then.inputs_hash);
  const backups = first?.r?.backups;
  if (!first || !backups?.length)
    return {
      problem: `${now.address} migrated ${now.migrates.join(', ')} ${first ? `in the apply of serial ${first.serial}` : 'since'} and no backup was taken before it`,
    };
  return {
    resource: { ...then, restore: backups, restore_since: first.serial },
    restore: {
      schemas: backups.flatMap((b) => b.schemas),
      backups: backups.map((b) => b.id),
      since: first.serial,
    },
  };
}

/** The backups a bootstrap's state names (taken before it last ran). */
export function bootstrapBackupsNamed(r: BootstrapResource): string[] {
  return (r.backups ?? []).map((b) => b.id);
}
