/**
 * The task kind: a post-start step — a command run (docker exec) in a running container once
 * it and what the task depends on are up, after its `until` condition succeeds (retried
 * `retries` times, `delay` apart) — e.g. nova's "wait until every compute is registered, then
 * discover the hosts into the cell". It runs when it never ran, when its inputs (container,
 * command, condition, environment, user, triggers) change, or with -replace. What it did
 * cannot be undone: the plan marks it irreversible, and a rollback only says so.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskInstance } from '../expand/instances.js';
import type { TaskResource } from '../states/state.js';
import type { AttrChange, Change } from '../plans/plan.js';
import { execIn } from '../providers/docker/exec-ops.js';
import { sha256 } from './config-file.js';
import { StepError } from './images-on-hosts.js';
import type { PlanContext, ResourceKind, StepContext } from './kind.js';
import { forgetOneOff, noopChange } from './kind.js';

const OUTPUT_LINES = 20;

/** Everything a task runs with: a change to any of it runs the task again. */
export function taskInputsHash(t: TaskInstance): string {
  return sha256(
    JSON.stringify({
      container: t.container,
      command: t.command,
      until: t.until ?? null,
      environment: Object.entries(t.environment).sort(([a], [b]) => a.localeCompare(b)),
      user: t.user ?? null,
      triggers: t.triggers,
    }),
  );
}

function plan(inst: TaskInstance, s: TaskResource | undefined, ctx: PlanContext): Change {
  const c = noopChange(inst, s, ctx);
  const forced = ctx.forced(inst.address);
  if (s && s.inputs_hash === taskInputsHash(inst) && !forced) return c;
  c.action = 'run';
  c.irreversible = true;
  c.reasons.push(
    forced
      ? 'a re-run was requested with -replace'
      : s
        ? 'its inputs (command, condition, environment or triggers) changed'
        : 'it has not run yet',
  );
  const shown = ctx.masker.maskDeep(inst);
  const attrs: AttrChange[] = [
    attr('container', s?.container, shown.container),
    attr('until', s?.until?.join(' '), shown.until?.join(' ')),
    attr('command', s?.command.join(' '), shown.command.join(' ')),
  ];
  c.attrs = attrs.filter((a) => a.after !== undefined || a.before !== undefined);
  c.notes = [
    inst.until
      ? `runs in ${inst.container} once \`until\` exits 0 (up to ${inst.retries} tries, ${Math.round(inst.delayMs / 1000)}s apart)`
      : `runs in ${inst.container}`,
  ];
  return c;
}

function attr(path: string, before: string | undefined, after: string | undefined): AttrChange {
  const a: AttrChange = { path, forcesReplacement: false, sensitive: false };
  if (before !== undefined && before !== after) a.before = before;
  if (after !== undefined) a.after = after;
  return a;
}

function tail(text: string): string {
  const lines = text.split('\n');
  return lines.slice(-OUTPUT_LINES).join('\n') || '(no output)';
}

async function run(inst: TaskInstance, ctx: StepContext): Promise<void> {
  const docker = await ctx.transport.docker();
  const opts = {
    environment: inst.environment,
    timeoutMs: inst.timeoutMs,
    ...(inst.user ? { user: inst.user } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  const t0 = Date.now();
  const fail = (what: string, output: string): StepError =>
    new StepError(inst.address, `${what}; last output lines:\n${ctx.masker.maskForDisplay(tail(output))}`);
  try {
    if (inst.until) {
      for (let attempt = 1; ; attempt++) {
        const r = await execIn(docker, inst.container, inst.until, opts);
        if (r.exitCode === 0) break;
        if (attempt >= inst.retries)
          throw fail(
            `its condition (${inst.until[0]}) still exited with code ${r.exitCode} after ${attempt} tries`,
            r.output,
          );
        ctx.progress(
          `waiting: ${inst.until[0]} exited ${r.exitCode} (try ${attempt}/${inst.retries})`,
          Date.now() - t0,
        );
        await sleep(inst.delayMs, undefined, ctx.signal ? { signal: ctx.signal } : undefined);
      }
    }
    const r = await execIn(docker, inst.container, inst.command, opts);
    if (r.exitCode !== 0) throw fail(`${inst.command[0]} exited with code ${r.exitCode}`, r.output);
  } catch (e) {
    if (e instanceof StepError || ctx.signal?.aborted) throw e;
    throw new StepError(inst.address, (e as Error).message);
  }
}

export const taskKind: ResourceKind<'task'> = {
  kind: 'task',
  planPhase: 3,
  shape: 'cds',
  ops: ['run-task'],
  // Its container is refreshed as a container; the task itself has nothing on the host.
  wants: () => undefined,
  wantsForState: () => undefined,
  plan,
  planDelete: forgetOneOff,
  async apply(_c, inst, ctx) {
    await ctx.log({ op: 'run-task', host: inst.host, address: inst.address });
    await run(inst, ctx);
    return undefined;
  },
  async undo(e, ctx) {
    ctx.note(`${e.address} may have run (it was started) and cannot be undone (irreversible)`);
  },
  describeUndo: () => undefined, // nothing to undo: undo() says so
  toState(i, _c, _prev, _observed, { masker }) {
    const shown = masker.maskDeep(i);
    const r: TaskResource = {
      address: i.address,
      kind: 'task',
      host: i.host,
      dependencies: i.dependsOn,
      service: i.service,
      container: i.container,
      command: shown.command,
      inputs_hash: taskInputsHash(i),
    };
    if (shown.until) r.until = shown.until;
    return r;
  },
  // Tasks ran forward and cannot run backward: a rollback to an earlier state leaves them out.
  fromState: () => undefined,
  show: (r) => [
    ['container', r.container],
    ...(r.until ? ([['until', r.until.join(' ')]] as [string, unknown][]) : []),
    ['command', r.command.join(' ')],
    ['inputs_hash', r.inputs_hash.slice(0, 16)],
  ],
};
