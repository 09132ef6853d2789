/**
 * The operations behind plan, apply, destroy and rollback: prepare the configuration,
 * take the state lock, recover an interrupted apply, refresh and diff, ask for approval,
 * apply. Commands call these and render; nothing here prints.
 */
import type { Diagnostic } from '../diags/diagnostic.js';
import { Diagnostics } from '../diags/diagnostic.js';
import type { VarArg } from '../config/variables.js';
import { prepare, type Prepared } from './prepare.js';
import { backendFor } from './backend/backend-for.js';
import type { Backend, ForceUnlockCheck } from '../states/backend.js';
import type { JournalEntry, State } from '../states/state.js';
import { isBeginEntry, isStepEntry } from '../states/state.js';
import { HostConnections } from './hosts.js';
import { computePlan, maskerFor, type PlanContext, type PlanResult } from './plan.js';
import { applyPlan, finishCommitted, type ApplyResult } from './apply.js';
import { rollbackJournal, undoContext } from './rollback.js';
import { kindOfOp } from '../kinds/registry.js';
import { durationMs } from '../providers/docker/duration.js';
import { hasChanges, type Plan } from '../plans/plan.js';
import type { DiffOptions } from '../kinds/kind.js';
import { loadPlan, staleReason } from '../plans/planfile.js';
import { forgetResources, renameResources } from '../states/moves.js';
import { movedImages } from './saved-plan.js';
import type { Instance } from '../expand/instances.js';
import { stateToInstances } from './state-instances.js';
import { PREV_SUFFIX } from './apply.js';
import { checkHosts, reportDiagnostics } from './prechecks.js';
import type { HostSpec } from '../expand/instances.js';
import { redactDiagnostics, redactEvents } from './redact.js';
import { SecretMasker } from '../states/secret-mask.js';
import { readSecrets } from '../secrets/secrets-file.js';
import { resolveLimit } from './limit.js';
import type { Config } from '../config/config.js';
import type { Expansion } from '../expand/expand.js';
import { acquireHostLocks, forceUnlockHost, type HostLocks } from './host-locks.js';
import { loadConfig } from '../config/load.js';
import { ConfigError } from './state-access.js';
import { KollaError } from '../diags/kolla-error.js';
import { withLock, type LockOptions } from './with-lock.js';

export interface CommonOptions extends LockOptions {
  dir: string;
  vars: VarArg[];
  /** Accept and record SSH host keys known_hosts does not have yet. */
  trustNewHostKeys?: boolean;
}

function connections(
  config: { hosts: HostSpec[]; settings: Config['settings'] },
  o: CommonOptions & { signal?: AbortSignal },
): HostConnections {
  return new HostConnections(new Map(config.hosts.map((h) => [h.name, h])), {
    timeoutMs: durationMs(config.settings.hostTimeout),
    ...(o.signal ? { signal: o.signal } : {}),
    trustNewHostKeys: o.trustNewHostKeys === true,
    onNotice: (text) => o.onEvent({ type: 'message', level: 'warning', text }),
  });
}

export interface PlanOptions extends CommonOptions {
  diff: DiffOptions;
}

export interface PlanOutcome {
  diagnostics: Diagnostic[];
  plan?: Plan;
  /** An interrupted apply's journal was found (and not handled: plan only reports it). */
  openJournal?: number;
}

/** --limit resolved to hosts (undefined: no limit), or the diagnostic for a bad name. */
function limitOf(config: Config, diff: DiffOptions): { hosts?: Set<string>; error?: Diagnostic } {
  if (!diff.limit?.length) return {};
  const r = resolveLimit(config, diff.limit);
  return 'error' in r ? { error: r.error } : { hosts: r.hosts };
}

function limited(expansion: Expansion, hosts: Set<string> | undefined): Expansion {
  return hosts
    ? { ...expansion, instances: expansion.instances.filter((i) => hosts.has(i.host)) }
    : expansion;
}

/**
 * Prechecks and the refresh + diff, side by side: both only read, and together they cost one
 * round of waiting per host instead of two. A failed precheck (an unreachable host, a taken
 * port) is what the user sees, reported per host and check; the plan is then dropped.
 */
async function checkedPlan(
  ctx: PlanContext,
  prechecks: boolean,
): Promise<{ failed: Diagnostic[] } | { result: PlanResult }> {
  const [pre, r] = await Promise.allSettled([
    prechecks
      ? checkHosts(ctx.config, limited(ctx.expansion, ctx.limitHosts), ctx.conns)
      : Promise.resolve([]),
    computePlan(ctx),
  ]);
  if (pre.status === 'rejected') throw pre.reason;
  // A host the plan left out as down is not checked either (the plan says why).
  const down = new Set(r.status === 'fulfilled' ? (r.value.plan.unreachable ?? []).map((u) => u.host) : []);
  const reports = reportDiagnostics(pre.value.filter((h) => !down.has(h.host)));
  const failed = reports.filter((d) => d.severity === 'error');
  if (failed.length) return { failed: reports };
  if (r.status === 'rejected') throw r.reason;
  return { result: r.value };
}

function ready(p: Prepared): p is Required<Prepared> {
  return !!p.config && !!p.expansion && !!p.graph && !p.diagnostics.hasErrors();
}

export async function planOperation(o: PlanOptions): Promise<PlanOutcome> {
  const p = await prepare({ dir: o.dir, vars: o.vars });
  if (!ready(p)) return { diagnostics: [...p.diagnostics] };
  const limit = limitOf(p.config, o.diff);
  if (limit.error) return { diagnostics: [...p.diagnostics, limit.error] };
  const backend = backendFor(o.dir, p.config.settings);
  const masker = maskerFor(p.config);
  o = { ...o, onEvent: redactEvents(o.onEvent, masker) };
  return withLock(backend, o, 'plan', async () => {
    const open = await backend.journal().open();
    const prior = await backend.read();
    const conns = connections(p.config, o);
    try {
      const pc = planContext(o, p.config, p.expansion, prior, conns, limit.hosts);
      if (open) pc.interruptedSteps = open.length;
      const c = await checkedPlan(pc, o.diff.refreshed);
      if ('failed' in c) return { diagnostics: redactDiagnostics([...p.diagnostics, ...c.failed], masker) };
      const r = c.result;
      const diags = [...p.diagnostics, ...r.diagnostics];
      for (const e of r.hostErrors) diags.push({ severity: 'error', summary: e });
      const out: PlanOutcome = { diagnostics: redactDiagnostics(diags, masker), plan: r.plan };
      if (open) out.openJournal = open.length;
      return out;
    } finally {
      await conns.closeAll();
    }
  });
}

/** What plan and apply hand to checkedPlan: the options' part of a PlanContext is the same. */
function planContext(
  o: PlanOptions,
  config: Config,
  expansion: Expansion,
  prior: State | undefined,
  conns: HostConnections,
  limitHosts: Set<string> | undefined,
): PlanContext {
  return {
    config,
    expansion,
    prior,
    conns,
    options: o.diff,
    variables: toPlanVars(o.vars),
    onEvent: o.onEvent,
    ...(limitHosts ? { limitHosts } : {}),
  };
}

/** A saved plan's variables back into -var / -var-file arguments. */
const PLAN_VAR: Record<Plan['variables'][number]['kind'], (text: string) => VarArg> = {
  var: (text) => ({ kind: 'var', text }),
  file: (path) => ({ kind: 'file', path }),
};

function toPlanVars(vars: VarArg[]): Plan['variables'] {
  return vars.map((v) => ('path' in v ? { kind: 'file', text: v.path } : { kind: 'var', text: v.text }));
}

export interface ApplyOptions extends PlanOptions {
  planFile?: string;
  parallelism?: number;
  continueJournal: boolean;
  /** Shows the plan and returns whether to go on (the CLI asks the user). */
  approve: (plan: Plan) => Promise<boolean>;
  signal?: AbortSignal;
  /** kolla rollback: the desired resources come from this earlier state instead of the configuration. */
  fromState?: State;
}

export interface ApplyOutcome {
  diagnostics: Diagnostic[];
  plan?: Plan;
  result?: ApplyResult;
  cancelled?: boolean;
  recovered?: string;
}

export async function applyOperation(o: ApplyOptions): Promise<ApplyOutcome> {
  // The same values prepare() reads: known before the configuration loads, so that even a
  // load error cannot show a secret.
  const m = new SecretMasker(readSecrets(o.dir));
  const r = await applyOperationInner(o, m);
  const out: ApplyOutcome = { ...r, diagnostics: redactDiagnostics(r.diagnostics, m) };
  if (r.result?.failure) {
    out.result = {
      ...r.result,
      failure: { address: r.result.failure.address, message: m.maskForDisplay(r.result.failure.message) },
    };
    if (r.result.rollbackProblems)
      out.result.rollbackProblems = r.result.rollbackProblems.map((x) => m.maskForDisplay(x));
  }
  return out;
}

async function applyOperationInner(o: ApplyOptions, masker: SecretMasker): Promise<ApplyOutcome> {
  let vars = o.vars;
  let saved: Plan | undefined;
  if (o.planFile) {
    const lp = loadPlan(o.planFile);
    if (typeof lp === 'string') return { diagnostics: [{ severity: 'error', summary: lp }] };
    saved = lp;
    vars = lp.variables.map((v) => PLAN_VAR[v.kind](v.text));
  }
  const p = await prepare({ dir: o.dir, vars });
  if (!ready(p)) return { diagnostics: [...p.diagnostics] };
  const config = p.config;
  const limit = limitOf(config, o.diff);
  if (limit.error) return { diagnostics: [...p.diagnostics, limit.error] };
  const backend = backendFor(o.dir, config.settings);
  o = { ...o, onEvent: redactEvents(o.onEvent, masker) };
  return withLock(backend, o, o.diff.destroy ? 'destroy' : 'apply', async () => {
    const conns = connections(config, o);
    // Besides the state lock, the hosts an apply (or a recovery) changes: another state file
    // may deploy there.
    const lockHosts = (hosts: string[], operation: string): Promise<HostLocks | undefined> =>
      o.lock
        ? acquireHostLocks(conns, hosts, {
            project: config.settings.project,
            state: backend.describe(),
            operation,
            stateLocked: true,
            timeoutMs: o.lockTimeoutMs,
            onEvent: o.onEvent,
          })
        : Promise.resolve(undefined);
    try {
      let recovered: string | undefined;
      const open = await backend.journal().open();
      let prior = await backend.read();
      if (open) {
        // Undoing (or keeping) the interrupted apply changes its hosts: lock them too.
        const hosts = [...new Set(open.flatMap((e) => ('host' in e ? [e.host] : [])))];
        const locks = await lockHosts(hosts, 'recover');
        try {
          recovered = await recover(open, backend, prior, conns, masker, o, config);
        } finally {
          await locks?.release();
        }
        prior = await backend.read();
      }
      let instances: Instance[] = p.expansion.instances;
      if (o.fromState) instances = stateToInstances(o.fromState, masker);
      let plan: Plan;
      let planWarnings: Diagnostic[] = [];
      if (saved) {
        const why = staleReason(saved, prior?.lineage ?? '', prior?.serial ?? 0);
        if (why) {
          return {
            diagnostics: [
              {
                severity: 'error',
                summary: 'Saved plan is stale',
                detail: `${why}. Run kolla plan again to make a new plan.`,
              },
            ],
          };
        }
        plan = saved;
        const fresh = new Map(instances.map((i) => [i.address, JSON.stringify(masker.maskDeep(i))]));
        for (const c of plan.changes) {
          if (c.after && fresh.get(c.address) !== JSON.stringify(c.after)) {
            return {
              diagnostics: [
                {
                  severity: 'error',
                  summary: 'Saved plan does not match the configuration',
                  detail: `${c.address} is configured differently now than when the plan was saved. Run kolla plan again.`,
                },
              ],
            };
          }
        }
        const moved = await movedImages(plan, conns);
        if (moved.length) {
          return {
            diagnostics: [
              {
                severity: 'error',
                summary: 'Saved plan is stale: an image it would deploy has changed',
                detail: `${moved.join('; ')}. Applying it would deploy an image the plan never showed. Run kolla plan again.`,
              },
            ],
          };
        }
      } else {
        const c = await checkedPlan(
          planContext(o, config, { ...p.expansion, instances }, prior, conns, limit.hosts),
          o.diff.refreshed && !o.fromState,
        );
        if ('failed' in c) return { diagnostics: [...p.diagnostics, ...c.failed] };
        const r = c.result;
        if (r.hostErrors.length || r.diagnostics.some((d) => d.severity === 'error')) {
          return {
            diagnostics: [
              ...p.diagnostics,
              ...r.diagnostics,
              ...r.hostErrors.map((e): Diagnostic => ({ severity: 'error', summary: e })),
            ],
          };
        }
        plan = r.plan;
        planWarnings = r.diagnostics;
      }
      const base: ApplyOutcome = { diagnostics: [...p.diagnostics, ...planWarnings], plan };
      if (recovered) base.recovered = recovered;
      // An empty plan is applied only the first time, to record the state and outputs.
      // After --continue the state must learn what the interrupted apply left running.
      // After an upgrade of kolla the state records the catalogue's new version (the plan
      // says so until then).
      if (!hasChanges(plan) && prior && recovered !== 'continued' && !plan.catalogue) return base;
      if (hasChanges(plan) && !(await o.approve(plan))) return { ...base, cancelled: true };
      // moved and removed blocks: the state follows the moves and forgets what was removed
      // (a destroy keeps the addresses the state has: it removes everything it names).
      if (prior && (plan.moved?.length || plan.forgotten?.length))
        prior = forgetResources(renameResources(prior, plan.moved ?? []), plan.forgotten ?? []);
      // The hosts this apply changes are locked too: another state file may deploy there.
      const hostLocks = await lockHosts(changedHosts(plan), o.diff.destroy ? 'destroy' : 'apply');
      let result: ApplyResult;
      try {
        result = await applyPlan({
          config,
          instances,
          plan,
          prior,
          backend,
          conns,
          masker,
          parallelism: o.parallelism ?? config.settings.parallelism,
          onEvent: o.onEvent,
          ...(o.signal ? { signal: o.signal } : {}),
        });
      } finally {
        await hostLocks?.release();
      }
      return { ...base, result };
    } finally {
      await conns.closeAll();
    }
  });
}

/** Hosts where the plan changes something. */
function changedHosts(plan: Plan): string[] {
  return [...new Set(plan.changes.filter((c) => c.action !== 'noop').map((c) => c.host))];
}

/**
 * An apply was interrupted (kill -9, power loss): undo it, or with --continue keep it. An
 * apply that had already written its state (it died while cleaning up) is finished instead:
 * rolling it back would leave hosts that disagree with the state.
 */
async function recover(
  entries: JournalEntry[],
  backend: Backend,
  prior: State | undefined,
  conns: HostConnections,
  masker: ReturnType<typeof maskerFor>,
  o: ApplyOptions,
  config: Config,
): Promise<string> {
  const journal = backend.journal();
  const project = config.settings.project;
  const begin = entries[0];
  if (prior && isBeginEntry(begin) && prior.lineage === begin.lineage && prior.serial > begin.serial) {
    o.onEvent({
      type: 'message',
      level: 'warning',
      text: `An interrupted apply had already written its state (serial ${prior.serial}); finishing its clean-up.`,
    });
    await finishCommitted(entries, { conns, masker }, project, o.onEvent);
    await journal.close();
    return 'finished';
  }
  if (o.continueJournal) {
    o.onEvent({
      type: 'message',
      level: 'warning',
      text: `An interrupted apply left a journal of ${entries.length} steps; --continue keeps what it did.`,
    });
    // What it started must be up before anything is built on it, as apply's health gate would.
    const ctx = {
      ...undoContext(conns, masker, project, (text) => o.onEvent({ type: 'message', level: 'info', text })),
      settleMs: durationMs(config.settings.settleTime),
    };
    for (const e of entries) {
      if (!isStepEntry(e)) continue;
      const kind = kindOfOp(e.op);
      if (!kind?.keep) continue;
      try {
        await kind.keep(e, ctx);
      } catch (err) {
        throw new KollaError(
          'host',
          `--continue: ${(err as Error).message.split('\n')[0]}. The journal is kept: run kolla apply without --continue to roll the interrupted apply back.`,
        );
      }
    }
    await finishCommitted(entries, { conns, masker }, project, o.onEvent);
    await journal.close();
    return 'continued';
  }
  o.onEvent({
    type: 'rollback-start',
    reason: `an interrupted apply left a journal of ${entries.length} steps`,
  });
  const rb = await rollbackJournal(entries, conns, masker, o.onEvent, project);
  if (!rb.ok) {
    // Never report success over hosts that may not match the state: keep the journal, so the
    // next apply tries again once the cause is fixed.
    throw new KollaError(
      'host',
      `could not fully roll back the interrupted apply: ${rb.problems.join('; ')}. The journal is kept; fix the cause and run kolla apply again.`,
    );
  }
  if (prior) {
    try {
      await backend.write({ ...prior, serial: prior.serial + 1 }, 'interrupted apply rolled back', {
        outcome: 'recovered',
      });
    } catch (e) {
      // The hosts are back as the state on disk describes them; only the history entry is lost.
      o.onEvent({
        type: 'message',
        level: 'warning',
        text: `the interrupted apply was rolled back, but its history entry could not be written: ${(e as Error).message}`,
      });
    }
  }
  await journal.close();
  return 'rolled back';
}

export { PREV_SUFFIX, Diagnostics };

/** `kolla force-unlock -host H ID`: remove a host lock left by a kolla that died. */
export async function forceUnlockHostOperation(
  dir: string,
  vars: VarArg[],
  host: string,
  id: string,
  check?: ForceUnlockCheck,
): Promise<void> {
  const r = await loadConfig({ dir, vars });
  if (!r.config || r.diagnostics.hasErrors()) throw new ConfigError(r.diagnostics);
  const config = r.config;
  if (!config.hosts.some((h) => h.name === host)) {
    throw new KollaError(
      'configuration',
      `no host "${host}" in the configuration (hosts: ${config.hosts.map((h) => h.name).join(', ')})`,
    );
  }
  const conns = new HostConnections(new Map(config.hosts.map((h) => [h.name, h])));
  try {
    await forceUnlockHost(conns, host, config.settings.project, id, check);
  } finally {
    await conns.closeAll();
  }
}
