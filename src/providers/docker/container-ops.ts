/**
 * Container lifecycle on one engine: create, start, stop, rename, remove, update in
 * place, restart, wait until healthy, and one-shot runs (bootstrap). Each call is one
 * step; sequencing (create-new → stop-old → swap names) is apply's business.
 *
 * Idempotence where it is free: starting a running container, stopping a stopped one
 * and removing a missing one succeed, so a retried apply does not trip over its own
 * half-finished work.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import type { ContainerSpec } from '../../expand/instances.js';
import { toCreateOptions, type ContainerMeta } from './container-options.js';
import { dockerMessage, isConflict, isNotFound, isNotModified, wrapDockerError } from './errors.js';
import { ADDRESS_LABEL, PROJECT_LABEL } from './labels.js';
import { DEFAULT_LOG_LINES, logTail } from './logs.js';
import { inPlaceBlocker, observedInPlace, updateBody, type InPlaceSettings } from './in-place.js';
import { watchContainer } from './container-events.js';
import {
  probeCommand,
  probeDelayMs,
  probeEnabled,
  probeOnce,
  probeSlot,
  type ProbeSlot,
} from './health-probe.js';

/** Docker's default stop grace period, in seconds. */
export const DEFAULT_STOP_TIMEOUT_S = 10;

/** Create (not start) the container; `tempName` replaces spec.name (for create-before-destroy). */
export async function createContainer(
  docker: Dockerode,
  spec: ContainerSpec,
  meta: ContainerMeta,
  tempName?: string,
): Promise<string> {
  const opts = toCreateOptions(spec, meta);
  if (tempName !== undefined) opts.name = tempName;
  try {
    const c = await docker.createContainer(opts);
    return c.id;
  } catch (err) {
    throw wrapDockerError(`create container ${opts.name ?? spec.name} (image ${spec.image})`, err);
  }
}

export async function startContainer(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getContainer(id).start();
  } catch (err) {
    if (isNotModified(err)) return; // already running
    throw wrapDockerError(`start container ${short(id)}`, err);
  }
}

/** Stop with SIGTERM, then SIGKILL after `timeoutS` seconds. */
export async function stopContainer(
  docker: Dockerode,
  id: string,
  timeoutS = DEFAULT_STOP_TIMEOUT_S,
): Promise<void> {
  try {
    await docker.getContainer(id).stop({ t: timeoutS });
  } catch (err) {
    if (isNotModified(err)) return; // already stopped
    throw wrapDockerError(`stop container ${short(id)}`, err);
  }
}

export async function restartContainer(
  docker: Dockerode,
  id: string,
  timeoutS = DEFAULT_STOP_TIMEOUT_S,
): Promise<void> {
  try {
    await docker.getContainer(id).restart({ t: timeoutS });
  } catch (err) {
    throw wrapDockerError(`restart container ${short(id)}`, err);
  }
}

export async function renameContainer(docker: Dockerode, id: string, name: string): Promise<void> {
  try {
    await docker.getContainer(id).rename({ name });
  } catch (err) {
    throw wrapDockerError(`rename container ${short(id)} to ${name}`, err);
  }
}

/**
 * Force-remove (a running container is killed). Anonymous volumes are kept (v=false):
 * data is never deleted as a side effect of replacing a container.
 */
export async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  const c = docker.getContainer(id);
  for (let attempt = 0; ; attempt++) {
    try {
      await c.remove({ force: true, v: false });
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      // "removal of container … is already in progress": wait for the other removal.
      if (isConflict(err) && /in progress/i.test(dockerMessage(err)) && attempt < 50) {
        await sleep(100);
        continue;
      }
      throw wrapDockerError(`remove container ${short(id)}`, err);
    }
  }
}

/**
 * Set a container's in-place settings (restart policy, memory, CPU shares) without
 * recreating it — to the spec's values on apply, back to the previous ones on rollback.
 * Removing a memory limit cannot be done in place (see inPlaceBlocker): refused.
 */
export async function updateInPlace(
  docker: Dockerode,
  id: string,
  wanted: InPlaceSettings,
  opts: { keepMemoryWhenUnset?: boolean } = {},
): Promise<void> {
  const c = docker.getContainer(id);
  let info: ContainerInspectInfo;
  try {
    info = await c.inspect();
  } catch (err) {
    throw wrapDockerError(`update container ${short(id)}`, err);
  }
  const have = observedInPlace(info);
  // A rollback to "no memory limit" cannot unset one in place: it keeps the current limit.
  const want = opts.keepMemoryWhenUnset && wanted.memory === 0 ? { ...wanted, memory: have.memory } : wanted;
  const blocker = inPlaceBlocker(want, have);
  if (blocker !== undefined) throw new Error(`update container ${info.Name.replace(/^\//, '')}: ${blocker}`);
  try {
    await c.update(updateBody(want, have));
  } catch (err) {
    throw wrapDockerError(`update container ${info.Name.replace(/^\//, '')}`, err);
  }
}

// ---- waiting for health -----------------------------------------------------------------

export type FailureReason = 'unhealthy' | 'exited' | 'restarted' | 'not-running' | 'missing' | 'timeout';

/** A container that did not come up; the message carries its last log lines. */
export class ContainerFailedError extends Error {
  constructor(
    message: string,
    readonly containerId: string,
    readonly reason: FailureReason,
    readonly logTail: string,
    readonly exitCode?: number,
  ) {
    super(message);
    this.name = 'ContainerFailedError';
  }
}

export interface WaitHealthyOptions {
  /** Give up after this long (the spec's health_timeout). */
  timeoutMs: number;
  /** Without a healthcheck: how long the container must keep running to count as up. */
  settleMs: number;
  /** Called after every poll, for progress output. */
  onTick?: (elapsedMs: number) => void;
  signal?: AbortSignal;
  /** Inspect interval; 250ms by default. */
  pollMs?: number;
}

/**
 * Resolve once the container is up: healthy if it has a healthcheck (its own or its
 * image's), otherwise running without a restart for `settleMs`. Reject with a
 * ContainerFailedError (message includes the last log lines) when it turns unhealthy,
 * exits, is restarted by its restart policy, is not running at all (never started,
 * paused), or the timeout passes. Call it right after starting the container.
 *
 * Time is measured on our clock, never from the engine's timestamps, so that a remote
 * host's clock skew cannot shorten or stretch the wait.
 */
export async function waitHealthy(docker: Dockerode, id: string, opts: WaitHealthyOptions): Promise<void> {
  const c = docker.getContainer(id);
  const pollMs = opts.pollMs ?? 250;
  const t0 = Date.now();
  let baseline: { startedAt: string; restartCount: number } | undefined;
  let runningSince: number | undefined;
  let last: ContainerInspectInfo | undefined;

  const fail = async (reason: FailureReason, what: string, exitCode?: number): Promise<never> => {
    const name = last ? last.Name.replace(/^\//, '') : short(id);
    const logs = await logTail(docker, id, DEFAULT_LOG_LINES);
    const healthOut = lastHealthOutput(last);
    let msg = `container ${name} ${what}`;
    if (healthOut !== undefined) msg += `\nlast health check output: ${healthOut}`;
    msg += `\n--- last ${DEFAULT_LOG_LINES} log lines ---\n${logs === '' ? '(no output)' : logs}`;
    throw new ContainerFailedError(msg, id, reason, logs, exitCode);
  };

  // Our own probe (health-probe.ts): its first success opens the gate before Docker's first
  // probe, one interval after the start.
  let probes = 0;
  let held: ProbeSlot | undefined; // a slot reserved for later, not yet used
  let nextProbeAt: number | undefined = probeEnabled() ? t0 : undefined; // undefined: no probe
  // Woken by the container's events (one stream per engine), not only by the clock.
  const watch = watchContainer(docker, id);
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      const changed = watch.next();
      try {
        last = await c.inspect();
      } catch (err) {
        if (isNotFound(err)) return fail('missing', 'disappeared while waiting for it to become healthy');
        throw wrapDockerError(`inspect container ${short(id)}`, err);
      }
      const now = Date.now();
      const elapsed = now - t0;
      opts.onTick?.(elapsed);
      const st = last.State;
      baseline ??= { startedAt: st.StartedAt, restartCount: last.RestartCount };

      if (st.Status === 'exited' || st.Status === 'dead') {
        return fail('exited', `exited with code ${st.ExitCode}${exitDetail(last)}`, st.ExitCode);
      }
      if (st.Restarting || last.RestartCount > baseline.restartCount || st.StartedAt !== baseline.startedAt) {
        return fail(
          'restarted',
          `exited with code ${st.ExitCode}${exitDetail(last)} and was restarted by its restart policy`,
          st.ExitCode,
        );
      }
      if (st.Status !== 'running') return fail('not-running', `is ${st.Status}, not running`);

      const health = st.Health?.Status;
      if (health === 'healthy') return;
      if (health === 'starting' && probeEnabled() && nextProbeAt !== undefined && now >= nextProbeAt) {
        const hc = last.Config.Healthcheck;
        const cmd = probeCommand(hc?.Test);
        nextProbeAt = undefined;
        if (cmd) {
          // The process's probes are rate-limited: a slot reserved for later is waited for
          // like any other time, the container's events heard meanwhile.
          // A slot held from before has come (nextProbeAt was its time).
          const slot = held ? undefined : probeSlot();
          if (slot && slot.delayMs > 0) {
            held = slot;
            nextProbeAt = Date.now() + slot.delayMs;
          } else {
            held = undefined;
            const intervalMs = hc?.Interval ? hc.Interval / 1e6 : 30_000;
            const timeoutMs = Math.min(hc?.Timeout ? hc.Timeout / 1e6 : 30_000, 10_000);
            if (await probeOnce(docker, id, cmd, timeoutMs, opts.signal)) return;
            nextProbeAt = Date.now() + probeDelayMs(probes++, intervalMs);
          }
        }
      }
      if (health === 'unhealthy') {
        return fail(
          'unhealthy',
          `is unhealthy (health check failed ${st.Health?.FailingStreak ?? 0} time(s) in a row)`,
        );
      }
      if (health === undefined || health === 'none') {
        runningSince ??= now;
        if (now - runningSince >= opts.settleMs) return;
      }

      if (elapsed >= opts.timeoutMs) {
        const state = health === 'starting' ? 'health check still starting' : `status ${st.Status}`;
        return fail('timeout', `did not become healthy within ${fmtMs(opts.timeoutMs)} (${state})`);
      }
      // With the events stream up, the clock is only a safety net, but the next probe and the
      // end of a settle period are still kept.
      const at = Date.now();
      let wait = Math.min(watch.live ? Math.max(pollMs, EVENTS_POLL_MS) : pollMs, t0 + opts.timeoutMs - at);
      if (health === 'starting' && nextProbeAt !== undefined) wait = Math.min(wait, nextProbeAt - at);
      if (runningSince !== undefined) wait = Math.min(wait, runningSince + opts.settleMs - at);
      await sleepOrChange(Math.max(10, wait), changed, opts.signal);
    }
  } finally {
    held?.release();
    watch.close();
  }
}

/** How often a gate inspects when the events stream would wake it anyway. */
const EVENTS_POLL_MS = 2_000;

/** Wait `ms`, or less when `changed` resolves first; the timer never outlives the wait. */
async function sleepOrChange(ms: number, changed: Promise<void>, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      changed,
      new Promise<void>((resolve, reject) => {
        timer = setTimeout(resolve, ms);
        if (signal) {
          onAbort = () => reject(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
        }
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

function exitDetail(info: ContainerInspectInfo): string {
  const st = info.State;
  if (st.OOMKilled) return ' (killed: out of memory)';
  if (st.Error) return ` (${st.Error})`;
  return '';
}

function lastHealthOutput(info: ContainerInspectInfo | undefined): string | undefined {
  const log = info?.State.Health?.Log;
  const entry = log?.[log.length - 1];
  if (entry === undefined) return undefined;
  const out = entry.Output.trim();
  return `exit ${entry.ExitCode}${out === '' ? '' : `: ${out}`}`;
}

// ---- one-shot runs ----------------------------------------------------------------------

export interface RunOnceOptions {
  /** Kill the container and reject after this long; no limit by default. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Log lines to return; 20 by default. */
  tailLines?: number;
}

export interface RunOnceResult {
  exitCode: number;
  logTail: string;
}

/**
 * Run a container to completion (Kolla bootstrap tasks): create, start, wait for it to
 * exit, read its last log lines, remove it. The exit code is returned, not judged. The
 * restart policy is forced to "no" — a one-shot must not be restarted by Docker. A
 * container of the same name left by an interrupted earlier run of this project is
 * removed first; one belonging to anything else is not touched.
 */
export async function runOnce(
  docker: Dockerode,
  spec: ContainerSpec,
  meta: ContainerMeta,
  opts: RunOnceOptions = {},
): Promise<RunOnceResult> {
  const oneShot: ContainerSpec = { ...spec, restart_policy: 'no' };
  let id: string;
  try {
    id = await createContainer(docker, oneShot, meta);
  } catch (err) {
    if (!isConflict(err) || !(await removeLeftover(docker, spec.name, meta.project))) throw err;
    id = await createContainer(docker, oneShot, meta);
  }
  const tailLines = opts.tailLines ?? DEFAULT_LOG_LINES;
  let phase: 'start' | 'wait' = 'start';
  try {
    await startContainer(docker, id);
    phase = 'wait';
    const exitCode = await waitExit(docker.getContainer(id), spec.name, opts);
    return { exitCode, logTail: await logTail(docker, id, tailLines) };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const tail = await logTail(docker, id, tailLines);
    throw new ContainerFailedError(
      `${(err as Error).message}\n--- last ${tailLines} log lines ---\n${tail || '(no output)'}`,
      id,
      phase === 'start' ? 'not-running' : 'timeout',
      tail,
    );
  } finally {
    await removeContainer(docker, id).catch(() => {
      /* a leftover is removed by the next run; do not hide the real outcome */
    });
  }
}

async function waitExit(c: Dockerode.Container, name: string, opts: RunOnceOptions): Promise<number> {
  // "not-running" (the default) returns at once if it already exited, so waiting after
  // start cannot miss a fast exit. The timer and the caller's signal both abort the
  // wait request and kill the container.
  const ac = new AbortController();
  let timedOut = false;
  const onAbort = (): void => ac.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          ac.abort();
        }, opts.timeoutMs);
  try {
    opts.signal?.throwIfAborted();
    const r = (await c.wait({ condition: 'not-running', abortSignal: ac.signal })) as { StatusCode: number };
    return r.StatusCode;
  } catch (err) {
    if (!ac.signal.aborted) throw err;
    await c.kill().catch(() => {});
    if (!timedOut) throw opts.signal?.reason ?? err;
    throw new Error(`one-shot container ${name} did not finish within ${fmtMs(opts.timeoutMs ?? 0)}; killed`);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

async function removeLeftover(docker: Dockerode, name: string, project: string): Promise<boolean> {
  try {
    const info = await docker.getContainer(name).inspect();
    if (info.Config.Labels?.[PROJECT_LABEL] !== project) return false;
    await removeContainer(docker, info.Id);
    return true;
  } catch {
    return false;
  }
}

function short(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
}

function fmtMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

// ---- finding a container ---------------------------------------------------------------

/** What apply and rollback need to know of a container before they touch it. */
export interface FoundContainer {
  id: string;
  name: string;
  running: boolean;
  imageId: string;
  /** Its restart policy, memory and CPU shares, as Docker's update call sets them. */
  settings: InPlaceSettings;
  /** kolla.project and kolla.address labels, when it has them. */
  project?: string;
  address?: string;
}

/** The container with this ID or name, or undefined when there is none. */
export async function findContainer(
  docker: Dockerode,
  idOrName: string,
): Promise<FoundContainer | undefined> {
  let info: ContainerInspectInfo;
  try {
    info = await docker.getContainer(idOrName).inspect();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw wrapDockerError(`inspect container ${idOrName}`, err);
  }
  const labels = info.Config.Labels ?? {};
  const f: FoundContainer = {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    running: info.State.Running,
    imageId: info.Image,
    settings: observedInPlace(info),
  };
  const project = labels[PROJECT_LABEL];
  const address = labels[ADDRESS_LABEL];
  if (project !== undefined) f.project = project;
  if (address !== undefined) f.address = address;
  return f;
}
