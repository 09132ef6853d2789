/**
 * apply(): carry out a plan, through the resource kinds (src/kinds/). Before any change,
 * each kind prepares (images built, then pulled or sent to their hosts); changes run in
 * dependency order with bounded parallelism, each kind journaling its steps before it does
 * them; deletes are deferred (containers kept as `<name>.kolla-prev`). Then the new state is
 * written — and only once it is written is what a rollback needs thrown away (kept
 * containers, deleted files and volumes). On any failure, or when the state cannot be
 * written, the journal is undone and the previous state stands, with a history entry
 * saying what failed.
 */
import type { Config } from '../config/config.js';
import type { Instance } from '../expand/instances.js';
import type { Backend } from '../states/backend.js';
import type { JournalEntry, ResourceState, State } from '../states/state.js';
import { emptyState, isStepEntry, STATE_VERSION } from '../states/state.js';
import { newLineage } from '../states/statefile.js';
import type { SecretMasker } from '../states/secret-mask.js';
import type { Change, Plan } from '../plans/plan.js';
import { Dag } from '../graph/dag.js';
import type { HostConnections } from './hosts.js';
import type { EventSink } from './events.js';
import { rollbackJournal, undoContext } from './rollback.js';
import { ensureImages } from '../build/index.js';
import { durationMs } from '../providers/docker/duration.js';
import { ContainerFailedError } from '../providers/docker/container-ops.js';
import { groupByKind, kindOf, kindOfOp, kindsByPhase } from '../kinds/registry.js';
import { serialEdges } from '../kinds/container.js';
import { StepError } from '../kinds/images-on-hosts.js';
import { crashPoint } from '../kinds/crash-point.js';
import type { Observed, PrepareContext, StepContext } from '../kinds/kind.js';
import { kollaVersion } from '../version.js';

export { PREV_SUFFIX, NEW_SUFFIX } from '../kinds/container.js';

export interface ApplyContext {
  config: Config;
  /** Desired instances with real (unmasked) values. */
  instances: Instance[];
  plan: Plan;
  prior: State | undefined;
  backend: Backend;
  conns: HostConnections;
  masker: SecretMasker;
  parallelism: number;
  onEvent: EventSink;
  signal?: AbortSignal;
}

export interface ApplyResult {
  ok: boolean;
  state: State;
  /** On failure: the failed address and why. */
  failure?: { address: string; message: string };
  rollbackProblems?: string[];
  /** The state could not be written (after a failure, or at the commit): why. */
  stateWriteError?: string;
}

export async function applyPlan(ctx: ApplyContext): Promise<ApplyResult> {
  const { plan, backend, conns, masker, onEvent, config } = ctx;
  const project = config.settings.project;
  const prior = ctx.prior ?? emptyState(newLineage(), project, kollaVersion());
  const byAddr = new Map(ctx.instances.map((i) => [i.address, i]));
  const journal = backend.journal();
  await journal.begin(prior.lineage, prior.serial);
  const entries: JournalEntry[] = [];
  const log = async (e: JournalEntry): Promise<void> => {
    entries.push(e);
    await journal.append(e);
  };
  const observed = new Map<string, Observed>();
  const active = plan.changes.filter((c) => c.action !== 'noop' && c.action !== 'delete');
  const deletes = dependantsFirst(plan.changes.filter((c) => c.action === 'delete'));
  const settleMs = durationMs(config.settings.settleTime);
  const stepContext = (host: string, address: string): StepContext => {
    const s: StepContext = {
      project,
      transport: conns.get(host),
      transportOf: (h) => conns.get(h),
      backupRetention: config.settings.backupRetention,
      masker,
      log,
      settleMs,
      progress: (text, elapsedMs) => onEvent({ type: 'change-progress', address, text, elapsedMs }),
    };
    if (ctx.signal) s.signal = ctx.signal;
    return s;
  };

  let failure: ApplyResult['failure'];
  try {
    // 1. Before any change: each kind prepares (images built, then on their hosts), so
    //    nothing is stopped before every image is there.
    const prepare = prepareContext(ctx);
    const activeByKind = groupByKind(active);
    for (const kind of kindsByPhase()) {
      const mine = activeByKind.get(kind.kind);
      if (mine?.length && kind.prepare) await kind.prepare(mine, byAddr, prepare);
    }

    // 2. The changes, in dependency order (and rolling batches of `serial` services).
    const g = new Dag();
    const activeSet = new Set(active.map((c) => c.address));
    for (const c of active) {
      g.add(c.address);
      for (const d of c.dependsOn) if (activeSet.has(d)) g.connect(c.address, d);
    }
    for (const [later, earlier] of serialEdges(
      active,
      byAddr,
      config.hosts.map((h) => h.name),
    ))
      g.connect(later, earlier);
    const changeOf = new Map(active.map((c) => [c.address, c]));
    const { errors } = await g.walk(
      ctx.parallelism,
      async (addr) => {
        const c = changeOf.get(addr)!;
        const inst = byAddr.get(addr)!;
        const t0 = Date.now();
        onEvent({ type: 'change-start', address: addr, action: c.action });
        try {
          const o = await kindOf(c.kind).apply(c, inst, stepContext(inst.host, addr));
          if (o) observed.set(addr, o);
        } catch (e) {
          const msg = describe(e);
          onEvent({ type: 'change-failed', address: addr, error: msg });
          throw new StepError(addr, msg);
        }
        onEvent({ type: 'change-done', address: addr, action: c.action, elapsedMs: Date.now() - t0 });
      },
      () => ctx.signal?.aborted === true,
    );
    if (errors.size) {
      const [addr, e] = [...errors][0]!;
      throw e instanceof StepError ? e : new StepError(addr, describe(e));
    }
    if (ctx.signal?.aborted) throw new StepError('apply', 'interrupted');

    // 3. Deletions, deferred: what a rollback could still need is kept until the commit.
    for (const c of deletes) {
      const kind = kindOf(c.kind);
      if (!kind.applyDelete) continue;
      onEvent({ type: 'change-start', address: c.address, action: 'delete' });
      try {
        await kind.applyDelete(c, stepContext(c.host, c.address));
      } catch (e) {
        throw new StepError(c.address, describe(e));
      }
      onEvent({ type: 'change-done', address: c.address, action: 'delete', elapsedMs: 0 });
    }
  } catch (e) {
    failure =
      e instanceof StepError
        ? { address: e.address, message: e.message }
        : { address: 'apply', message: describe(e) };
  }

  if (failure) {
    onEvent({ type: 'rollback-start', reason: `${failure.address}: ${failure.message}` });
    const rb = await rollbackJournal(entries, conns, masker, onEvent, project);
    const state: State = { ...prior, serial: prior.serial + 1 };
    const result: ApplyResult = { ok: false, state: prior, failure, rollbackProblems: rb.problems };
    try {
      await backend.write(
        state,
        `apply failed: ${failure.address}: ${firstLine(failure.message)}; ${rb.ok ? 'rolled back' : 'rollback incomplete: ' + rb.problems.join('; ')}`,
        { outcome: 'failed' },
      );
      result.state = state;
    } catch (e) {
      // The hosts are back as the state on disk describes them; only the history entry is lost.
      result.stateWriteError = describe(e);
    }
    if (rb.ok) await closeJournal(log, journal);
    return result;
  }

  // 4. Commit: the new state first. Until it is written, everything a rollback needs is kept.
  crashPoint('before-commit');
  const state = nextState(prior, plan, ctx.instances, observed, masker);
  try {
    await backend.write(state, plan.destroy ? 'destroy' : 'apply', { outcome: 'applied' });
  } catch (e) {
    const why = describe(e);
    onEvent({ type: 'rollback-start', reason: `the new state could not be written: ${why}` });
    const rb = await rollbackJournal(entries, conns, masker, onEvent, project);
    const changed = active.map((c) => `${c.address} (${c.action})`);
    const failureMessage = rb.ok
      ? `the new state could not be written (${why}); every change was rolled back, and the state still describes the hosts`
      : `the new state could not be written (${why}) and the rollback is incomplete (${rb.problems.join('; ')}). ` +
        `Changed on the hosts: ${changed.join(', ')}. The journal is kept: once the state can be written, run kolla apply to roll back the rest.`;
    if (rb.ok) await closeJournal(log, journal);
    return {
      ok: false,
      state: prior,
      failure: { address: 'state', message: failureMessage },
      rollbackProblems: rb.problems,
      stateWriteError: why,
    };
  }
  await log({ op: 'commit' });

  // 5. Throw away what was kept for a rollback, and finish the deletes.
  await finishCommitted(entries, ctx, project, onEvent);
  for (const c of deletes) {
    const kind = kindOf(c.kind);
    if (!kind.commitDelete) continue;
    try {
      await kind.commitDelete(c, stepContext(c.host, c.address));
    } catch (err) {
      onEvent({ type: 'message', level: 'warning', text: `could not remove ${c.address}: ${describe(err)}` });
    }
  }
  await journal.close();
  return { ok: true, state };
}

/** After the state is written: each kind finishes its journal steps (kept containers removed). */
export async function finishCommitted(
  entries: readonly JournalEntry[],
  ctx: { conns: HostConnections; masker: SecretMasker },
  project: string,
  onEvent: EventSink,
): Promise<void> {
  const uctx = undoContext(ctx.conns, ctx.masker, project, () => undefined);
  for (const e of entries) {
    if (!isStepEntry(e)) continue;
    try {
      await kindOfOp(e.op)?.commit?.(e, uctx);
    } catch (err) {
      onEvent({
        type: 'message',
        level: 'warning',
        text: `after the commit, ${e.op} of ${e.address}: ${describe(err)}`,
      });
    }
  }
}

async function closeJournal(
  log: (e: JournalEntry) => Promise<void>,
  journal: ReturnType<Backend['journal']>,
): Promise<void> {
  await log({ op: 'commit' });
  await journal.close();
}

function prepareContext(ctx: ApplyContext): PrepareContext {
  const { config, conns, onEvent } = ctx;
  const remote = new Set(config.hosts.filter((h) => h.connection !== 'local').map((h) => h.name));
  return {
    transport: (h) => conns.get(h),
    isRemote: (h) => remote.has(h),
    message: (level, text) => onEvent({ type: 'message', level, text }),
    async build(names) {
      // Pushed when a remote host will pull them.
      const built = await ensureImages(config, names, {
        push: remote.size > 0 && config.blocks.some((b) => b.type === 'registry'),
        onEvent: (e) => {
          if (e.type === 'building')
            onEvent({ type: 'change-start', address: `image.${e.name}`, action: 'create' });
          else if (e.type === 'done')
            onEvent({
              type: 'message',
              level: 'info',
              text: `image.${e.result.name}: ${e.result.status} (${e.result.ref})`,
            });
          else if (e.type === 'warning') onEvent({ type: 'message', level: 'warning', text: e.text });
        },
      });
      const failed = built.images.filter((i) => i.status === 'failed' || i.status === 'skipped');
      if (!built.ok || failed.length) {
        const f = failed[0];
        throw new StepError(
          `image.${f?.name ?? names[0]}`,
          f
            ? `build failed: ${f.error ?? f.reason ?? 'see the build log'}${f.logFile ? ` (log: ${f.logFile})` : ''}${f.logTail?.length ? `\n${f.logTail.join('\n')}` : ''}`
            : built.diagnostics.map((d) => d.summary).join('; '),
        );
      }
    },
  };
}

/**
 * Deletes ordered so that what depends on another deleted resource goes first (a database's
 * account is dropped while its server's container still runs); otherwise in plan order.
 */
function dependantsFirst(deletes: Change[]): Change[] {
  const addrs = new Set(deletes.map((c) => c.address));
  // A resource waits for every deleted resource that depends on it.
  const waitsFor = new Map<string, string[]>();
  for (const c of deletes)
    for (const d of c.dependsOn)
      if (addrs.has(d) && d !== c.address) waitsFor.set(d, [...(waitsFor.get(d) ?? []), c.address]);
  const out: Change[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const byAddr = new Map(deletes.map((c) => [c.address, c]));
  const visit = (c: Change): void => {
    if (done.has(c.address) || visiting.has(c.address)) return;
    visiting.add(c.address);
    for (const a of waitsFor.get(c.address) ?? []) visit(byAddr.get(a)!);
    done.add(c.address);
    out.push(c);
  };
  for (const c of deletes) visit(c);
  return out;
}

function describe(e: unknown): string {
  if (e instanceof ContainerFailedError) return e.message;
  const err = e as { json?: { message?: string }; message?: string };
  return err.json?.message ?? err.message ?? String(e);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

/** The state after a successful apply: each changed resource as its kind records it. */
function nextState(
  prior: State,
  plan: Plan,
  instances: Instance[],
  observed: Map<string, Observed>,
  masker: SecretMasker,
): State {
  const byAddr = new Map(prior.resources.map((r) => [r.address, r]));
  const touched = new Set(plan.changes.map((c: Change) => c.address));
  const out = new Map<string, ResourceState>();
  // Resources outside this plan (with -target or --limit) stay as they were.
  for (const r of prior.resources) if (!touched.has(r.address)) out.set(r.address, r);
  const inst = new Map(instances.map((i) => [i.address, i]));
  const sctx = { masker, instances };
  for (const c of plan.changes) {
    if (c.action === 'delete') continue;
    const i = inst.get(c.address);
    if (!i) continue;
    const r = kindOf(i.kind).toState(i, c, byAddr.get(c.address), observed.get(c.address), sctx);
    out.set(r.address, r);
  }
  return {
    version: STATE_VERSION,
    serial: prior.serial + 1,
    lineage: prior.lineage,
    kolla_version: kollaVersion(),
    project: prior.project,
    resources: [...out.values()].sort((a, b) => a.address.localeCompare(b.address)),
    outputs: Object.fromEntries(Object.entries(plan.outputs)),
  };
}
