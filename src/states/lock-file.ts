/**
 * The local state lock: a file `<state>.lock` that exists while an operation may change the
 * state. Creating it with O_EXCL is the lock (atomic on local filesystems); its content says
 * who holds it, for the error message and for `force-unlock`. A lock left by a kolla that
 * died on this host is detected (its pid is gone) and taken over.
 */
import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import type { ForceUnlockCheck, LockHandle, LockRequest } from './backend.js';
import { StateWriteError } from './backend.js';
import { isErrno, PRIVATE_FILE } from './fs-safe.js';
import { sleep, waitForLock } from './lock-wait.js';
import type { LockInfo } from './state.js';
import { KollaError, type KollaErrorOptions } from '../diags/kolla-error.js';

/** `user@hostname`, the usual `who` of a lock. */
export function lockWho(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry for our uid (containers): fall back to the environment
    user = process.env['USER'] ?? process.env['USERNAME'] ?? `uid${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${os.hostname()}`;
}

/** True unless the process certainly does not exist (EPERM: it exists, owned by another user). */
export function pidAlive(pid: number): boolean {
  // 0 and negative pids address process groups, not a process.
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return !isErrno(e, 'ESRCH');
  }
}

/**
 * A lock is stale when its holder ran on this host and is gone. Locks from other hosts
 * (a shared filesystem) are never judged: we cannot see their processes.
 */
export function isStaleLock(holder: LockInfo): boolean {
  return holder.hostname === os.hostname() && holder.pid > 0 && !pidAlive(holder.pid);
}

export class LockFile {
  /**
   * @param path the lock file
   * @param where what it protects, for messages
   */
  constructor(
    readonly path: string,
    private readonly where: string = path,
  ) {}

  async acquire(
    req: LockRequest,
    timeoutMs: number,
    onWait?: (holder: LockInfo) => void,
  ): Promise<LockHandle> {
    const info: LockInfo = {
      id: randomUUID(),
      operation: req.operation,
      who: req.who,
      created: '',
      pid: process.pid,
      hostname: os.hostname(),
    };
    let staleTakenOver: LockInfo | undefined;
    return waitForLock(
      async () => {
        info.created = new Date().toISOString();
        if (await this.tryCreate(info)) return { taken: this.handle(info, staleTakenOver) };
        const holder = await this.read();
        // Released between our attempt and the read: try again at once.
        if (!holder) return 'retry';
        if (isStaleLock(holder)) {
          const r = await this.removeStale(holder);
          if (r === 'removed') staleTakenOver = holder;
          if (r !== 'changed') return 'retry';
        }
        return { holder };
      },
      { timeoutMs, where: this.where, onWait },
    );
  }

  /**
   * The current holder, or undefined when the lock is free. A lock file that cannot be
   * parsed (half-written by its creator just now, or damaged) is re-read briefly, then
   * reported as a holder with an empty id.
   */
  async read(): Promise<LockInfo | undefined> {
    for (let attempt = 0; ; attempt++) {
      let text: string;
      try {
        text = await readFile(this.path, 'utf8');
      } catch (e) {
        if (isErrno(e, 'ENOENT')) return undefined;
        throw e;
      }
      const info = parseLockInfo(text);
      if (info) return info;
      if (attempt >= 5) return this.unreadableHolder();
      await sleep(20);
    }
  }

  /** Removes the lock if it has ID `id`; anything else is an error that changes nothing. */
  async forceUnlock(id: string, check?: ForceUnlockCheck): Promise<void> {
    const holder = await this.read();
    if (!holder) throw new LockNotHeldError(`The state (${this.where}) is not locked: nothing to unlock.`);
    if (holder.id === '') {
      throw new LockNotHeldError(
        `The lock file ${this.path} cannot be read, so its ID cannot be checked. ` +
          `If no kolla is running, delete it by hand.`,
      );
    }
    if (holder.id !== id) {
      throw new LockNotHeldError(
        `The state (${this.where}) is locked with ID ${holder.id}, not ${id}: nothing was unlocked.\n` +
          `It is held by ${holder.who} for "${holder.operation}" since ${holder.created}.`,
      );
    }
    await check?.(holder);
    await unlink(this.path).catch((e: unknown) => {
      if (isErrno(e, 'ENOENT')) return;
      throw new StateWriteError(this.path, e, 'the lock file');
    });
  }

  private async tryCreate(info: LockInfo): Promise<boolean> {
    let fh;
    try {
      fh = await open(this.path, 'wx', PRIVATE_FILE);
    } catch (e) {
      if (isErrno(e, 'EEXIST')) return false;
      throw new StateWriteError(this.path, e, 'the state lock file');
    }
    try {
      await fh.writeFile(JSON.stringify(info, null, 2) + '\n', 'utf8');
      await fh.sync();
      await fh.close();
    } catch (e) {
      // A lock we cannot describe would block everyone with an unreadable holder.
      await fh.close().catch(() => undefined);
      await unlink(this.path).catch(() => undefined);
      throw new StateWriteError(this.path, e, 'the state lock file');
    }
    return true;
  }

  /**
   * Removes a stale lock without ever removing a live one: the lock is first renamed aside
   * (atomic), and only deleted if what was moved is the stale lock we judged. If another
   * process took the stale lock over in between, we moved its live lock, and put it back
   * with link(), which fails rather than overwrite a lock created meanwhile (that last case
   * needs three processes racing within microseconds; it is not handled further).
   */
  private async removeStale(holder: LockInfo): Promise<'removed' | 'gone' | 'changed'> {
    const aside = `${this.path}.stale-${randomUUID()}`;
    try {
      await rename(this.path, aside);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return 'gone';
      throw e;
    }
    let moved: LockInfo | undefined;
    try {
      moved = parseLockInfo(await readFile(aside, 'utf8'));
    } catch {
      moved = undefined;
    }
    if (moved?.id === holder.id) {
      await unlink(aside);
      return 'removed';
    }
    try {
      await link(aside, this.path);
    } catch {
      // a new lock exists already; it wins
    } finally {
      await unlink(aside).catch(() => undefined);
    }
    return 'changed';
  }

  private handle(info: LockInfo, staleTakenOver: LockInfo | undefined): LockHandle {
    let released = false;
    const h: LockHandle = {
      info,
      release: async () => {
        if (released) return;
        released = true;
        // After a force-unlock someone else may hold it now: leave theirs alone.
        const cur = await this.read();
        if (cur?.id !== info.id) return;
        await unlink(this.path).catch((e: unknown) => {
          if (!isErrno(e, 'ENOENT')) throw e;
        });
      },
    };
    if (staleTakenOver) h.staleTakenOver = staleTakenOver;
    return h;
  }

  private async unreadableHolder(): Promise<LockInfo> {
    let created = '(unknown)';
    try {
      created = (await stat(this.path)).mtime.toISOString();
    } catch {
      // gone meanwhile; the caller retries anyway
    }
    return { id: '', operation: '(unknown)', who: '(unknown)', created, pid: 0, hostname: '' };
  }
}

function parseLockInfo(text: string): LockInfo | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o['id'] !== 'string' || o['id'] === '') return undefined;
  const str = (k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '(unknown)');
  return {
    id: o['id'],
    operation: str('operation'),
    who: str('who'),
    created: str('created'),
    pid: typeof o['pid'] === 'number' ? o['pid'] : 0,
    hostname: typeof o['hostname'] === 'string' ? o['hostname'] : '',
  };
}

/** force-unlock named a lock that is not there (or not with that ID). */
export class LockNotHeldError extends KollaError {
  override readonly name: string = 'LockNotHeldError';
  constructor(message: string, options: KollaErrorOptions = {}) {
    super('state', message, options);
  }
}
