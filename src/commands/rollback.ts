import { Flags } from '@oclif/core';
import { commonFlags, varFlags, UserError } from '../cli/base-command.js';
import { lockFlags } from '../cli/plan-flags.js';
import { ApplyLike, applyFlags } from './apply.js';
import { openBackend } from '../engine/state-access.js';
import { isGoodOutcome, withOutcome } from '../states/backend.js';
import { rollbackTarget } from '../engine/rollback-target.js';

export default class Rollback extends ApplyLike {
  static override description =
    'Go back to an earlier state from the history (default: the one before the current): its images, specs and config files are re-applied through the same plan/apply path, plan shown first. Bootstrap tasks are not re-run; the schemas a bootstrap migrated since are restored from the backups taken before it (the schemas as they are backed up first), and the rollback is refused when there is no such backup (--keep-data: roll back without restoring).';
  static override examples = [
    '<%= config.bin %> rollback',
    '<%= config.bin %> rollback --to 3 -auto-approve',
    '<%= config.bin %> rollback --to 3 --keep-data   # across a migration, without restoring the schemas',
    '<%= config.bin %> state history',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    ...commonFlags,
    ...varFlags,
    ...lockFlags,
    ...applyFlags,
    to: Flags.integer({
      description: 'Serial of the state to go back to (see `kolla state history`).',
      min: 1,
    }),
    'keep-data': Flags.boolean({
      description:
        'Leave the databases as they are: do not restore the schemas migrated since that state (the older code then runs on the newer schema).',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Rollback);
    this.setup(flags);
    const backend = await openBackend(this.dir, this.varArgs());
    const current = await backend.read();
    if (!current) throw new UserError('there is no state yet: nothing to roll back');
    const history = await backend.history();
    // Only a state a run ended well with (not one written by a failed or interrupted apply).
    const candidates = history.filter(
      (h) => h.serial < current.serial && isGoodOutcome(withOutcome(h).outcome),
    );
    const to = flags.to ?? candidates.at(-1)?.serial;
    if (to === undefined) throw new UserError('the history holds no earlier state to roll back to');
    const target = await backend.readHistory(to);
    if (!target) {
      throw new UserError(
        `no state with serial ${to} in the history; available: ${history.map((h) => h.serial).join(', ') || 'none'}`,
      );
    }
    const annotated = await rollbackTarget(backend, current, target, { keepData: flags['keep-data'] });
    this.out(`Rolling back to serial ${to} (current serial ${current.serial}).`);
    for (const x of annotated.restores)
      this.out(
        `  ${x.schemas.join(', ')}: restored from backup ${x.backups.join(', ')} (taken before the apply of serial ${x.since} migrated them with ${x.address})`,
      );
    const r = await this.runApply({ ...flags, refresh: true }, undefined, {
      destroy: false,
      fromState: annotated.state,
      verb: `roll back to serial ${to}`,
    });
    return r.result?.state ?? r.plan;
  }
}
