/**
 * kolla's own health probe, so a health gate need not wait for Docker's clock. Docker runs
 * a container's first healthcheck one `interval` after the start (30 s by default): a gate
 * that only read Docker's status waited that long for every container, even one up in 100 ms.
 * Right after a start, waitHealthy() runs the container's own healthcheck command itself
 * (an exec, as Docker does) at once and then on a short back-off up to the interval (and at
 * most 5 s apart), and opens the gate on the first success. Only success counts here: a
 * failing probe never fails the gate — Docker's own verdict (unhealthy after its retries)
 * still does, whichever comes first.
 *
 * Execs cost CPU on the host (runc: 20–40 ms each), so the probes of one kolla process are
 * rate-limited (KOLLA_PROBE_RATE per second, default 10) across all containers.
 * KOLLA_HEALTH_PROBE=0 turns the probe off (the gate then waits for Docker's status only).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';

/** The command Docker would run for a healthcheck `Test`, or undefined when there is none. */
export function probeCommand(test: readonly string[] | undefined): string[] | undefined {
  if (!test || test.length === 0) return undefined;
  const [kind, ...rest] = test;
  if (kind === 'CMD' && rest.length) return rest;
  if (kind === 'CMD-SHELL' && rest.length) return ['/bin/sh', '-c', rest.join(' ')];
  return undefined; // NONE, or inherited from the image and not visible here
}

export function probeEnabled(): boolean {
  return process.env['KOLLA_HEALTH_PROBE'] !== '0';
}

/** A probe slot: in how many ms it is (0: now), and a way to give it back unused. */
export interface ProbeSlot {
  delayMs: number;
  /** Give the slot back (its gate opened without it): the next reservation may take its time. */
  release(): void;
}

/** Starts of probes across the process: at most `rate` a second. */
export class RateLimiter {
  private next = 0;
  private readonly step: number;
  constructor(perSecond: number) {
    this.step = 1000 / perSecond;
  }
  /**
   * Reserve the next free slot. The caller waits for it itself: a gate waiting for its slot
   * must still hear its container's events. A slot given back is free again only while no
   * later slot was reserved (later ones keep their times).
   */
  reserve(now = Date.now()): ProbeSlot {
    const at = Math.max(now, this.next);
    const end = at + this.step;
    this.next = end;
    let released = false;
    return {
      delayMs: at - now,
      release: () => {
        // Once only: after a release the next reservation may end at the same time.
        if (released) return;
        released = true;
        if (this.next === end) this.next = at;
      },
    };
  }
}

const limiter = new RateLimiter(Math.max(1, Number(process.env['KOLLA_PROBE_RATE'] ?? 10) || 10));

/** Reserve a probe slot: run probeOnce when it comes. */
export function probeSlot(): ProbeSlot {
  return limiter.reserve();
}

/**
 * Run the healthcheck command in the container once (detached exec, then its exit code), in a
 * slot that probeSlot() reserved; true when it exits 0 within `timeoutMs`. Any error (the
 * container stopped, exec refused) is a failed probe, never an exception: Docker's status
 * decides failures.
 */
export async function probeOnce(
  docker: Dockerode,
  id: string,
  cmd: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: false, AttachStderr: false });
    // A detached start still answers with a (empty) stream: drain and close it, or its socket
    // stays open and keeps the process alive.
    const res = (await exec.start({ Detach: true })) as unknown as NodeJS.ReadableStream & {
      destroy?: () => void;
    };
    res.resume?.();
    res.destroy?.();
    const t0 = Date.now();
    for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
      const info = await exec.inspect();
      if (!info.Running) return info.ExitCode === 0;
      if (Date.now() - t0 > timeoutMs) return false;
      await sleep(wait, undefined, signal ? { signal } : undefined);
    }
  } catch {
    if (signal?.aborted) throw signal.reason;
    return false;
  }
}

/**
 * The longest wait between two probes of a starting container. Without it the back-off would
 * grow to the interval (kolla-ansible's default is 30 s), and a service up after 20 s would open
 * its gate at the 32 s probe; with it, within 5 s of being up. It only applies while a gate
 * waits, and the probes stay rate-limited (probeSlot).
 */
export const PROBE_MAX_DELAY_MS = 5_000;

/** When to probe again after `n` probes: 0.25 s, 0.5 s, 1 s, 2 s, 4 s, then every 5 s; never later than the interval. */
export function probeDelayMs(n: number, intervalMs: number): number {
  return Math.min(250 * 2 ** n, intervalMs, PROBE_MAX_DELAY_MS);
}
