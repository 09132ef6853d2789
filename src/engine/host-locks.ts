/**
 * Per-host locks: besides the state lock, apply holds a lock file on every host it changes,
 * `<lock_dir>/<project>.lock`, created with O_EXCL over the host's own transport. Two
 * deployments with different state files (two checkouts, two workspaces, a copied state)
 * then cannot change the same project's containers on one host at once. Deployments of
 * different projects do not wait for each other: each touches only containers with its own
 * project label.
 *
 * A lock whose holder is certainly gone is taken over with a warning: one written from the
 * same state (whose lock we hold now, so its writer is not running), or one written on this
 * machine by a process that no longer exists.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { HostConnections } from './hosts.js';
import type { EventSink } from './events.js';
import { lockWho, pidAlive } from '../states/lock-file.js';
import type { ForceUnlockCheck } from '../states/backend.js';
import { KollaError } from '../diags/kolla-error.js';

export interface HostLockInfo {
  id: string;
  project: string;
  /** The state the holder deploys from (Backend.describe()). */
  state: string;
  operation: string;
  who: string;
  hostname: string;
  pid: number;
  created: string;
}

/** The host is locked by another deployment of the project. A user error: no stack trace. */
export class HostLockedError extends KollaError {
  override readonly name = 'HostLockedError';
  constructor(
    readonly host: string,
    readonly holder: HostLockInfo | undefined,
    file: string,
    message?: string,
  ) {
    super(
      'state',
      message ??
        (holder
          ? `host "${host}" is locked by another kolla ${holder.operation} of project "${holder.project}": ` +
            `${holder.who} (pid ${holder.pid}), from ${holder.state}, since ${holder.created}, lock ID ${holder.id}. ` +
            `Wait for it to finish (-lock-timeout), or, if it is certainly not running: kolla force-unlock -host ${host} ${holder.id}`
          : `host "${host}" is locked (${file} exists but cannot be read); if no kolla is deploying there, remove the file`),
    );
  }
}

export function hostLockPath(lockDir: string, project: string): string {
  return path.posix.join(lockDir, `${project}.lock`);
}

function parse(buf: Buffer | undefined): HostLockInfo | undefined {
  if (!buf) return undefined;
  try {
    const v = JSON.parse(buf.toString('utf8')) as HostLockInfo;
    return typeof v.id === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Certainly gone: written from the state we hold the lock of, or a dead process here. */
function isStale(holder: HostLockInfo, state: string, stateLocked: boolean): boolean {
  if (stateLocked && holder.state === state) return true;
  return holder.hostname === os.hostname() && holder.pid > 0 && !pidAlive(holder.pid);
}

export interface HostLockOptions {
  project: string;
  state: string;
  operation: string;
  /** Whether the caller holds the state lock (then a lock from the same state is stale). */
  stateLocked: boolean;
  timeoutMs: number;
  onEvent: EventSink;
}

export interface HostLocks {
  release(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Lock `hosts` (in name order, so two applies never hold parts of each other's set for
 * long), waiting up to `timeoutMs` for each. On failure the locks already taken are
 * released and HostLockedError names the host and its holder.
 */
export async function acquireHostLocks(
  conns: HostConnections,
  hosts: string[],
  o: HostLockOptions,
): Promise<HostLocks> {
  const info: HostLockInfo = {
    id: randomUUID(),
    project: o.project,
    state: o.state,
    operation: o.operation,
    who: lockWho(),
    hostname: os.hostname(),
    pid: process.pid,
    created: new Date().toISOString(),
  };
  const body = JSON.stringify(info, null, 2) + '\n';
  const held: { host: string; file: string }[] = [];
  const release = async (): Promise<void> => {
    for (const h of held.splice(0)) {
      const t = conns.get(h.host);
      try {
        // Only our own lock: force-unlock may have handed the host to someone else.
        if (parse(await t.readFile(h.file))?.id === info.id) await t.removeFile(h.file);
      } catch (e) {
        o.onEvent({
          type: 'message',
          level: 'warning',
          text: `could not remove the host lock ${h.file} on "${h.host}": ${(e as Error).message}`,
        });
      }
    }
  };
  try {
    for (const host of [...new Set(hosts)].sort()) {
      const spec = conns.spec(host);
      if (!spec) continue;
      const t = conns.get(host);
      const file = hostLockPath(spec.lockDir, o.project);
      await t.mkdirp(spec.lockDir, 0o755);
      const deadline = Date.now() + Math.max(0, o.timeoutMs);
      let waited = false;
      for (;;) {
        if (await t.createExclusive(file, body, 0o644)) break;
        const holder = parse(await t.readFile(file));
        if (holder && isStale(holder, o.state, o.stateLocked)) {
          o.onEvent({
            type: 'message',
            level: 'warning',
            text: `host "${host}": took over the lock ${holder.id} left by ${holder.who} (pid ${holder.pid}, ${holder.operation}), which is no longer running; that run may have been interrupted`,
          });
          await t.writeFileAtomic(file, body, 0o644);
          break;
        }
        if (Date.now() >= deadline) throw new HostLockedError(host, holder, file);
        if (!waited && holder) {
          o.onEvent({
            type: 'lock-wait',
            holder: `host "${host}": ${holder.who} (${holder.operation}, id ${holder.id})`,
          });
          waited = true;
        }
        await sleep(1000);
      }
      held.push({ host, file });
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { release };
}

/** `kolla force-unlock -host H ID`: remove the host's lock if its ID is `id`. */
export async function forceUnlockHost(
  conns: HostConnections,
  host: string,
  project: string,
  id: string,
  check?: ForceUnlockCheck,
): Promise<void> {
  const spec = conns.spec(host);
  if (!spec) throw new Error(`unknown host "${host}"`);
  const t = conns.get(host);
  const file = hostLockPath(spec.lockDir, project);
  const holder = parse(await t.readFile(file));
  if (!holder)
    throw new HostLockedError(
      host,
      undefined,
      file,
      `host "${host}" has no lock for project "${project}" (${file})`,
    );
  if (holder.id !== id)
    throw new HostLockedError(host, holder, file, `host "${host}" is locked with ID ${holder.id}, not ${id}`);
  await check?.(holder);
  await t.removeFile(file);
}
