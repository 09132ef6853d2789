import { Flags } from '@oclif/core';
import { KollaCommand, commonFlags, varFlags } from '../cli/base-command.js';
import { diffOptions, parseDuration, planFlags } from '../cli/plan-flags.js';
import { progressPrinter } from '../cli/progress.js';
import { renderPlan } from '../cli/render-plan.js';
import { EXIT_CHANGES, EXIT_ERROR } from '../cli/exit-codes.js';
import { planOperation } from '../engine/operations.js';
import { hasChanges, type Plan } from '../plans/plan.js';
import { savePlan } from '../plans/planfile.js';
import { phase } from '../timing.js';

export default class PlanCommand extends KollaCommand {
  static override description =
    'Refresh what is deployed on every host and show the changes apply would make: + create, ~ update in place, -/+ replace, - destroy, ↻ restart.';
  static override examples = [
    '<%= config.bin %> plan',
    '<%= config.bin %> plan -out=tfplan -var tag=zed',
    '<%= config.bin %> plan -target service.keystone -detailed-exitcode',
    '<%= config.bin %> plan --json | jq .summary',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    ...commonFlags,
    ...varFlags,
    ...planFlags,
    out: Flags.string({
      description: 'Save the plan to FILE for a later `kolla apply FILE`.',
      helpValue: 'FILE',
    }),
    destroy: Flags.boolean({
      description: 'Plan to destroy everything kolla manages (volumes are kept unless --include-volumes).',
    }),
    'include-volumes': Flags.boolean({ description: 'With --destroy: remove volumes too.' }),
    'include-data': Flags.boolean({ description: "With --destroy: drop the databases' schemas too." }),
    'detailed-exitcode': Flags.boolean({
      description:
        'Exit 0 when there are no changes, 2 when there are (or a host is unreachable and was left out), 1 on error.',
    }),
  };

  async run(): Promise<Plan | undefined> {
    const { flags } = await this.parse(PlanCommand);
    this.setup(flags);
    const json = this.jsonEnabled();
    const r = await planOperation({
      dir: this.dir,
      vars: this.varArgs(),
      lock: flags.lock,
      lockTimeoutMs: parseDuration(flags['lock-timeout']),
      trustNewHostKeys: flags['trust-new-host-keys'] === true,
      onEvent: progressPrinter(this.errColours, false, (s) => process.stderr.write(s)),
      diff: diffOptions(flags),
    });
    phase('plan operation done');
    this.printDiagnostics(r.diagnostics);
    if (!r.plan || r.diagnostics.some((d) => d.severity === 'error')) this.exit(EXIT_ERROR);
    const plan = r.plan!;
    if (r.openJournal) {
      process.stderr.write(
        this.errColours.yellow(
          `Warning: an interrupted apply left a journal of ${r.openJournal} steps. Run \`kolla apply\` to roll it back first (or \`kolla apply --continue\` to keep what it did).\n`,
        ),
      );
    }
    if (flags.out) savePlan(flags.out, plan);
    if (!json) {
      this.out(renderPlan(plan, this.colours));
      phase('plan rendered');
      if (flags.out)
        this.out(
          `Saved the plan to: ${flags.out}\nTo perform exactly these actions, run: kolla apply ${flags.out}`,
        );
    }
    // A host left out as unreachable: the deployment is not known to be in sync either.
    if (flags['detailed-exitcode'] && (hasChanges(plan) || plan.unreachable?.length)) {
      if (json) this.logJson(plan);
      this.exit(EXIT_CHANGES);
    }
    return plan;
  }
}
