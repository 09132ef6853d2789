/**
 * The state backend contract: where the state, its history, its lock and the apply journal
 * live. Commands talk to this interface only, so that a remote backend can be added beside
 * the local one (local-backend.ts) without touching them. Also the errors every backend
 * reports the same way.
 */
import type { Journal } from './journal.js';
import type { HistoryEntry, LockInfo, State } from './state.js';
import { KollaError } from '../diags/kolla-error.js';

/** What the caller says about a lock it asks for; the backend fills in the rest. */
export type LockRequest = Omit<LockInfo, 'id' | 'created' | 'pid' | 'hostname'>;

export interface WriteOptions {
  /**
   * Write even when the state does not follow the current one (other lineage, serial not
   * newer): `state push -force`. Off by default, as in Terraform.
   */
  force?: boolean;
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
  /** Removes the lock if its ID is `id` (`kolla force-unlock ID`); otherwise throws. */
  forceUnlock(id: string): Promise<void>;
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
