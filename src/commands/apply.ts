import { setMaxListeners } from 'node:events';
import { Args, Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { KollaCommand, commonFlags, varFlags, UserError } from '../cli/base-command.js';
import { diffOptions, parseDuration, planFlags } from '../cli/plan-flags.js';
import { progressPrinter } from '../cli/progress.js';
import { renderPlan } from '../cli/render-plan.js';
import { EXIT_ERROR, EXIT_UNREACHABLE } from '../cli/exit-codes.js';
import { applyOperation, type ApplyOutcome } from '../engine/operations.js';
import type { Plan } from '../plans/plan.js';
import type { State } from '../states/state.js';

export interface ApplyRunOptions {
  destroy: boolean;
  includeVolumes?: boolean;
  includeData?: boolean;
  fromState?: State;
  verb: string;
}

/** Shared by apply, destroy and rollback. */
export abstract class ApplyLike extends KollaCommand {
  protected async runApply(
    flags: Record<string, unknown> & { 'auto-approve': boolean; lock: boolean; 'lock-timeout': string },
    planFile: string | undefined,
    o: ApplyRunOptions,
  ): Promise<ApplyOutcome> {
    const json = this.jsonEnabled();
    const interactive = process.stdin.isTTY === true;
    if (!flags['auto-approve'] && !planFile && !interactive) {
      throw new UserError(`no terminal to ask for approval; pass -auto-approve to ${o.verb} without asking`);
    }
    const abort = new AbortController();
    // Every call in flight to every host listens on it (dozens at once over SSH): not a leak.
    setMaxListeners(0, abort.signal);
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts++;
      if (interrupts === 1) {
        process.stderr.write(
          this.errColours.yellow(
            '\nInterrupt received: stopping and rolling back (press Ctrl-C again to force quit).\n',
          ),
        );
        abort.abort();
      } else process.exit(130);
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    try {
      const r = await applyOperation({
        dir: this.dir,
        vars: this.varArgs(),
        lock: flags.lock,
        lockTimeoutMs: parseDuration(flags['lock-timeout']),
        trustNewHostKeys: flags['trust-new-host-keys'] === true,
        onEvent: progressPrinter(this.errColours, json, (s) =>
          (json ? process.stdout : process.stderr).write(s),
        ),
        diff: diffOptions({
          ...(flags as Parameters<typeof diffOptions>[0]),
          destroy: o.destroy,
          'include-volumes': o.includeVolumes,
          'include-data': o.includeData,
        }),
        ...(planFile ? { planFile } : {}),
        ...(typeof flags['parallelism'] === 'number' ? { parallelism: flags['parallelism'] } : {}),
        continueJournal: flags['continue'] === true,
        approve: (plan) => this.approve(plan, flags['auto-approve'] || !!planFile, json, o.verb),
        signal: abort.signal,
        ...(o.fromState ? { fromState: o.fromState } : {}),
      });
      this.printDiagnostics(r.diagnostics);
      if (r.diagnostics.some((d) => d.severity === 'error')) this.exit(EXIT_ERROR);
      if (r.recovered)
        process.stderr.write(this.errColours.yellow(`The interrupted apply was ${r.recovered}.\n`));
      if (r.cancelled) {
        this.out(`${o.verb[0]!.toUpperCase()}${o.verb.slice(1)} cancelled.`);
        this.exit(EXIT_ERROR);
      }
      if (!r.result) {
        if (!json) this.out(renderPlan(r.plan!, this.colours));
        this.exitIfLeftOut(r, json);
        return r;
      }
      if (!r.result.ok) {
        const f = r.result.failure!;
        process.stderr.write(
          `${this.errColours.red(this.errColours.bold('Error:'))} ${f.address}: ${f.message}\n\n` +
            `The apply failed and was rolled back${r.result.rollbackProblems?.length ? ' INCOMPLETELY' : ''}; the state is the previous one (serial ${r.result.state.serial}).\n`,
        );
        this.exit(EXIT_ERROR);
      }
      if (!json) {
        const s = r.plan!.summary;
        const msg = o.destroy
          ? `Destroy complete! Resources: ${s.destroy} destroyed.`
          : `Apply complete! Resources: ${s.add} added, ${s.change} changed, ${s.destroy} destroyed, ${s.restart} restarted.`;
        this.out(this.colours.green(this.colours.bold(msg)));
        const outs = Object.entries(r.result.state.outputs);
        if (outs.length && !o.destroy) {
          this.out('\nOutputs:\n');
          for (const [k, v] of outs)
            this.out(`${k} = ${v.sensitive ? '(sensitive)' : JSON.stringify(v.value)}`);
        }
      }
      this.exitIfLeftOut(r, json);
      return r;
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
  }

  /** Hosts the plan left out as down: said last, and exit 4 so that scripts know. */
  private exitIfLeftOut(r: { plan?: Plan }, json: boolean): void {
    const down = r.plan?.unreachable ?? [];
    if (!down.length) return;
    if (json) this.logJson(r);
    process.stderr.write(
      this.errColours.yellow(
        `Warning: not applied on ${down.map((u) => u.host).join(', ')} (unreachable): run kolla apply again once ${down.length > 1 ? 'they are' : 'it is'} back.\n`,
      ),
    );
    this.exit(EXIT_UNREACHABLE);
  }

  private async approve(plan: Plan, auto: boolean, json: boolean, verb: string): Promise<boolean> {
    if (!json) this.out(renderPlan(plan, this.colours));
    if (auto) return true;
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      const answer = await rl.question(
        `${this.colours.bold('Do you want to perform these actions?')}\n  kolla will ${verb} as shown above.\n  Only 'yes' will be accepted to approve.\n\n  ${this.colours.bold('Enter a value:')} `,
      );
      return answer.trim() === 'yes';
    } finally {
      rl.close();
    }
  }
}

export const applyFlags = {
  'auto-approve': Flags.boolean({ description: 'Skip the interactive approval.' }),
  parallelism: Flags.integer({
    description: "How many changes run at once (default: the kolla block's parallelism, 10).",
    min: 1,
  }),
  continue: Flags.boolean({
    description: 'After an interrupted apply: keep what it did instead of rolling it back.',
  }),
};

export default class Apply extends ApplyLike {
  static override description =
    'Make the changes of a plan: in dependency order, health-gated, under the state lock, rolled back to the previous state when anything fails.';
  static override examples = [
    '<%= config.bin %> apply',
    '<%= config.bin %> apply -auto-approve -var tag=zed',
    '<%= config.bin %> apply tfplan',
    '<%= config.bin %> apply --continue   # after a crash: keep what the interrupted apply did',
  ];
  static override enableJsonFlag = true;
  static override args = {
    planfile: Args.string({ description: 'A plan saved with `kolla plan -out FILE`.' }),
  };
  static override flags = { ...commonFlags, ...varFlags, ...planFlags, ...applyFlags };

  async run(): Promise<unknown> {
    const { flags, args } = await this.parse(Apply);
    this.setup(flags);
    const r = await this.runApply(flags, args.planfile, { destroy: false, verb: 'apply' });
    return r.result?.state ?? r.plan;
  }
}
