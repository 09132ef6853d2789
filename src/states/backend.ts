/**
 * The state backend contract: where the state, its history, its lock and the apply journal
 * live. Commands talk to this interface only, so that a remote backend can be added beside
 * the local one (local-backend.ts) without touching them. Also the errors every backend
 * reports the same way.
 */
import type { Journal } from './journal.js';
import type { HistoryEntry, LockInfo, State } from './state.js';
import os from 'node:os';
import path from 'node:path';
import { KollaError } from '../diags/kolla-error.js';

/** What the caller says about a lock it asks for; the backend fills in the rest. */
export type LockRequest = Omit<LockInfo, 'id' | 'created' | 'pid' | 'hostname'>;

export interface WriteOptions {
  /**
   * Write even when the state does not follow the current one (other lineage, serial not
   * newer): `state push -force`. Off by default, as in Terraform.
   */
  force?: boolean;
  /** How the run ended, recorded in the history entry (default: derived from the message). */
  outcome?: HistoryOutcome;
}

export type HistoryOutcome = NonNullable<HistoryEntry['outcome']>;

/** How many failed or recovered states the history keeps, beside the `history` limit of good ones. */
export const FAILED_HISTORY_LIMIT = 5;

/** A state a rollback can go back to: written by a run that ended well. */
export function isGoodOutcome(o: HistoryOutcome): boolean {
  return o === 'applied' || o === 'edited';
}

/** The outcome of an entry written without one (before 0.2), from its message. */
export function outcomeOfMessage(message: string): HistoryOutcome {
  if (message.startsWith('apply failed')) return 'failed';
  if (message.startsWith('interrupted')) return 'recovered';
  if (/^(apply|destroy|init)\b/.test(message)) return 'applied';
  return 'edited';
}

/** The entry with its outcome (derived from the message for an old entry). */
export function withOutcome(e: HistoryEntry): HistoryEntry & { outcome: HistoryOutcome } {
  return { ...e, outcome: e.outcome ?? outcomeOfMessage(e.message) };
}

/**
 * Which history items to drop: keep the `goodLimit` newest good ones and the `failedLimit`
 * newest others, so that a run of failures never pushes out the states to roll back to.
 * `items` are newest first.
 */
export function historyToPrune<T extends { outcome: HistoryOutcome }>(
  items: T[],
  goodLimit: number,
  failedLimit = FAILED_HISTORY_LIMIT,
): T[] {
  let good = 0;
  let bad = 0;
  const drop: T[] = [];
  for (const it of items) {
    if (isGoodOutcome(it.outcome) ? ++good > goodLimit : ++bad > failedLimit) drop.push(it);
  }
  return drop;
}

export interface Backend {
  /** The current state, or undefined when none was ever written. */
  read(): Promise<State | undefined>;
  /**
   * Replaces the current state and records it in the history with `message` (what produced
   * it). Throws StaleLineageError when `state` does not succeed the current one.
   */
  write(state: State, message: string, opts?: WriteOptions): Promise<void>;
  /** The states kept in the history, oldest first. */
  history(): Promise<HistoryEntry[]>;
  /** The state recorded with `serial`, or undefined when it is not (or no longer) kept. */
  readHistory(serial: number): Promise<State | undefined>;
  /**
   * Takes the state lock, waiting up to `timeoutMs` (0: try once) while another operation
   * holds it; `onWait` is called once, with the holder, when waiting starts. Throws
   * LockHeldError when the lock stays held.
   */
  lock(info: LockRequest, timeoutMs: number, onWait?: (holder: LockInfo) => void): Promise<LockHandle>;
  /**
   * Removes the lock if its ID is `id` (`kolla force-unlock ID`); otherwise throws. `check`
   * sees the holder once the ID matched and before anything is removed; it throws to refuse.
   */
  forceUnlock(id: string, check?: ForceUnlockCheck): Promise<void>;
  /** The journal of the apply in progress (or interrupted). */
  journal(): Journal;
  /** Where the state is, for messages ("local file /srv/kolla/kolla.state.json"). */
  describe(): string;
}

export interface LockHandle {
  info: LockInfo;
  /**
   * Set when the lock was left by a kolla on this host that is no longer running and was
   * taken over: the caller should say so, since that run may have been interrupted.
   */
  staleTakenOver?: LockInfo;
  /** Removes the lock if it is still ours. Safe to call more than once. */
  release(): Promise<void>;
}

/** The state is locked by another operation (Terraform's "Error acquiring the state lock"). */
export class LockHeldError extends KollaError {
  override readonly name = 'LockHeldError';
  readonly holder: LockInfo;
  /** The lock timeout we waited for (0: we tried once). */
  readonly timeoutMs: number;
  /** How long we actually tried, in ms. */
  readonly waitedMs: number;

  constructor(holder: LockInfo, opts: { where?: string; timeoutMs?: number; waitedMs?: number } = {}) {
    const timeout = opts.timeoutMs ?? 0;
    const where = opts.where ? ` (${opts.where})` : '';
    const why =
      timeout > 0
        ? `The state${where} is locked by another operation, which did not release it within ${formatMs(timeout)}.`
        : `The state${where} is locked by another operation.`;
    const unreadable = holder.id === '';
    const lines = [
      'Error acquiring the state lock',
      '',
      why,
      'Lock Info:',
      `  ID:        ${unreadable ? '(unreadable lock file)' : holder.id}`,
      `  Operation: ${holder.operation}`,
      `  Who:       ${holder.who}`,
      `  Created:   ${holder.created}`,
      ...(holder.pid > 0 ? [`  PID:       ${holder.pid} on ${holder.hostname}`] : []),
      '',
      'kolla locks the state so that two operations cannot change it at the same time. Wait for',
      'the other operation to finish, or, if no kolla is running any more (it was killed or its',
      'host is gone), remove the lock with:',
      unreadable
        ? '  (the lock file cannot be read: delete it by hand)'
        : `  kolla force-unlock ${holder.id}`,
    ];
    super('state', lines.join('\n'));
    this.holder = holder;
    this.timeoutMs = timeout;
    this.waitedMs = opts.waitedMs ?? 0;
  }
}

/** The state to write does not follow the current one: it would overwrite unrelated work. */
export class StaleLineageError extends KollaError {
  override readonly name = 'StaleLineageError';
  readonly reason: 'lineage' | 'serial';
  readonly current: { lineage: string; serial: number };
  readonly attempted: { lineage: string; serial: number };

  constructor(
    current: { lineage: string; serial: number },
    attempted: { lineage: string; serial: number },
    where?: string,
  ) {
    const reason = current.lineage !== attempted.lineage ? 'lineage' : 'serial';
    const at = where ? ` in ${where}` : '';
    const msg =
      reason === 'lineage'
        ? `Refusing to write a state of lineage ${attempted.lineage} over the unrelated state${at} ` +
          `(lineage ${current.lineage}). The two were not created from each other; ` +
          `use -force only if you mean to replace the current state.`
        : `Refusing to write state serial ${attempted.serial} over serial ${current.serial}${at}: ` +
          `the state was changed since it was read (another run, or an older copy). ` +
          `Read it again and retry.`;
    super('state', msg);
    this.reason = reason;
    this.current = current;
    this.attempted = attempted;
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10}s` : `${ms}ms`;
}

/** Asked before a lock is forced open, with its holder; throws to refuse. */
export type ForceUnlockCheck = (holder: {
  pid: number;
  hostname: string;
  who: string;
  operation: string;
}) => Promise<void>;

/**
 * The holder of a lock still runs on this machine: same hostname and its process is alive.
 * A holder on another machine cannot be checked (undefined: unknown).
 */
export function holderAliveHere(holder: { pid: number; hostname: string }): boolean | undefined {
  if (holder.hostname !== os.hostname() || holder.pid <= 0) return undefined;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What went wrong on a file of the state, in words a user can act on, by errno. */
export function fsProblem(
  e: unknown,
  file: string,
): { errno: string | undefined; text: string; hint: string } {
  const errno = typeof e === 'object' && e !== null ? (e as NodeJS.ErrnoException).code : undefined;
  switch (errno) {
    case 'EISDIR':
      return {
        errno,
        text: `${file} is a directory, not a file`,
        hint: `move the directory away, or point the state path (the backend "local" path) at a file`,
      };
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return {
        errno,
        text: `permission denied on ${file}${errno === 'EROFS' ? ' (read-only file system)' : ''}`,
        hint:
          `make ${path.dirname(file)} and the state files in it writable by this user (check the mode, ` +
          `the owner, the immutable flag with lsattr, a read-only mount)`,
      };
    case 'ENOSPC':
    case 'EDQUOT':
      return {
        errno,
        text: `no space left on the device holding ${file}`,
        hint: `free space on the file system of ${path.dirname(file)} (df -h ${path.dirname(file)}) and retry`,
      };
    case 'ENOTDIR':
      return {
        errno,
        text: `a part of the path ${file} is a file, not a directory`,
        hint: `check the state path (the backend "local" path)`,
      };
    case 'ENAMETOOLONG':
      return { errno, text: `the path ${file} is too long`, hint: `use a shorter state path` };
    default:
      return {
        errno,
        text: `${file}: ${e instanceof Error ? e.message : String(e)}`,
        hint: `check ${path.dirname(file)} and retry`,
      };
  }
}

/**
 * The state (or its history, lock or journal) could not be written. Thrown by the backends
 * so that a caller (apply) can say what changed on the hosts while the state was not updated.
 */
export class StateWriteError extends KollaError {
  override readonly name: string = 'StateWriteError';
  /** The errno (ENOSPC, EACCES, ...) when the failure came from the file system. */
  readonly errno: string | undefined;

  constructor(
    /** The file (or backend description) that could not be written. */
    readonly path: string,
    cause: unknown,
    what = 'the state',
  ) {
    const p = fsProblem(cause, path);
    super('state', `Cannot write ${what}: ${p.text}.`, { cause, hint: p.hint });
    this.errno = p.errno;
  }
}

/** The state (or its lock) could not be read for a reason of the file system. */
export class StateReadError extends KollaError {
  override readonly name: string = 'StateReadError';
  readonly errno: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
    what = 'the state',
  ) {
    const p = fsProblem(cause, path);
    super('state', `Cannot read ${what}: ${p.text}.`, { cause, hint: p.hint });
    this.errno = p.errno;
  }
}

/**
 * A state that belongs to another project than the configuration's: using it would plan the
 * destruction of that project's resources (or adopt them). An empty state is anyone's.
 */
export function assertStateProject(
  state: { project: string; resources: unknown[] },
  project: string | undefined,
  where: string,
): void {
  if (project === undefined || state.project === project || state.resources.length === 0) return;
  throw new KollaError(
    'state',
    `The state (${where}) belongs to project "${state.project}", but this configuration is project "${project}".`,
    {
      hint:
        `point this configuration at its own state (another state path, backend or workspace), or, if the ` +
        `project was renamed on purpose, set kolla { project = "${state.project}" }`,
    },
  );
}
