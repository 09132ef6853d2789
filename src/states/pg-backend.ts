/**
 * The PostgreSQL backend (`backend "pg" { conn_str = ..., schema_name = "kolla" }`): the
 * state, its history and the apply journal of each workspace in the tables of one schema
 * (pg-schema.ts), so that several operators and CI runners share one state.
 *
 * The lock is a session-level advisory lock (`pg_try_advisory_lock`) on a key derived from
 * the schema and the workspace, held on a connection of its own for as long as the lock is
 * held. PostgreSQL releases it when that connection ends, so a kolla that crashes or is
 * killed leaves no lock behind. Who holds it (id, operation, who, when) is kept in the
 * `locks` table for the waiting users' error message and for `force-unlock`.
 *
 * While this backend holds the lock, every query (state writes, journal entries) runs on
 * the lock's connection: if that connection is lost, the lock is lost with it, and the next
 * write fails (PgConnectionLostError) instead of changing a state someone else may own now.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';
import { KollaError } from '../diags/kolla-error.js';
import type {
  Backend,
  ForceUnlockCheck,
  HistoryOutcome,
  LockHandle,
  LockRequest,
  WriteOptions,
} from './backend.js';
import {
  assertStateProject,
  FAILED_HISTORY_LIMIT,
  outcomeOfMessage,
  StaleLineageError,
  StateWriteError,
  withOutcome,
} from './backend.js';
import type { Journal } from './journal.js';
import { sleep, waitForLock } from './lock-wait.js';
import { PgJournal } from './pg-journal.js';
import type { AdvisoryKey } from './pg-schema.js';
import { stateLockKey } from './pg-schema.js';
import type { PgStoreOptions, Queryable } from './pg-store.js';
import {
  DEFAULT_WORKSPACE,
  errorText,
  isConnectionError,
  PgBackendError,
  PgStore,
  rows,
} from './pg-store.js';
import type { HistoryEntry, LockInfo, State } from './state.js';
import { parseState, validateState } from './statefile.js';

export { DEFAULT_PG_SCHEMA, DEFAULT_WORKSPACE, PgBackendError, PgStore } from './pg-store.js';

export const DEFAULT_PG_HISTORY_LIMIT = 20;

const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,89}$/;

/** Why `name` cannot be a workspace name, or undefined when it can. */
export function workspaceNameProblem(name: string): string | undefined {
  if (WORKSPACE_NAME.test(name)) return undefined;
  return (
    `invalid workspace name "${name}": use letters, digits, "_", "." and "-", starting with ` +
    `a letter or digit (at most 90 characters)`
  );
}

/** A history row: the state as written and what wrote it (as the local backend's files). */
export interface PgHistoryRecord {
  entry: HistoryEntry;
  state: State;
}

/**
 * The connection holding this backend's lock was lost, so the lock is lost too (PostgreSQL
 * released it): nothing more may be written under it.
 */
export class PgConnectionLostError extends PgBackendError {
  constructor(where: string, cause: unknown) {
    super(
      `Lost the connection to the PostgreSQL state backend (${where}) that held the state lock: ` +
        `${errorText(cause)}.\n` +
        `PostgreSQL released the lock with that connection, so kolla stopped writing to the state; ` +
        `the last write may not have been recorded. The apply journal kept in the database lists ` +
        `the steps already taken: once the database is reachable again, the next \`kolla apply\` ` +
        `rolls them back (or \`kolla apply --continue\` keeps them).`,
      cause,
    );
  }
}

export interface PgBackendOptions extends Partial<PgStoreOptions> {
  /** Default `default`. */
  workspace?: string;
  /** How many states the history keeps per workspace (at least 1). */
  historyLimit?: number;
  /** The configuration's project: read() refuses a non-empty state of another project. */
  project?: string;
  /**
   * A store shared with other backends of the same schema (workspaces); the backend then
   * uses its pool and close() leaves it open. connStr and schema are taken from it; without
   * it, connStr is required.
   */
  store?: PgStore;
}

interface StateRow {
  serial: string;
  lineage: string;
  data: string;
}

interface LockRow {
  id: string;
  operation: string;
  who: string;
  created: string;
  pid: number;
  hostname: string;
  backend_pid: number;
}

interface Held {
  client: pg.Client;
  id: string;
  backendPid: number;
  /** Set when the connection failed: the lock is gone. */
  lost?: unknown;
  /** Queries on the lock's connection, one at a time (a transaction must not interleave). */
  queue: Promise<unknown>;
}

export class PgBackend implements Backend {
  readonly store: PgStore;
  readonly workspace: string;
  readonly historyLimit: number;
  private readonly project: string | undefined;
  private readonly ownStore: boolean;
  private readonly lockKey: AdvisoryKey;
  private held: Held | undefined;

  constructor(opts: PgBackendOptions) {
    this.workspace = opts.workspace ?? DEFAULT_WORKSPACE;
    const problem = workspaceNameProblem(this.workspace);
    if (problem) throw new PgBackendError(problem);
    const limit = opts.historyLimit ?? DEFAULT_PG_HISTORY_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`historyLimit must be a whole number of at least 1, not ${limit}`);
    }
    this.historyLimit = limit;
    this.project = opts.project;
    this.ownStore = !opts.store;
    if (opts.store) this.store = opts.store;
    else if (opts.connStr !== undefined) {
      this.store = new PgStore(
        opts.schema === undefined
          ? { connStr: opts.connStr }
          : { connStr: opts.connStr, schema: opts.schema },
      );
    } else throw new PgBackendError('the pg backend needs a connection string');
    this.lockKey = stateLockKey(this.store.schema, this.workspace);
  }

  describe(): string {
    return `${this.store.where()}, workspace "${this.workspace}"`;
  }

  async read(): Promise<State | undefined> {
    const [row] = await this.run((q) =>
      rows<StateRow>(
        q,
        `SELECT serial, lineage, data FROM ${this.store.tables.states} WHERE workspace = $1`,
        [this.workspace],
      ),
    );
    if (!row) return undefined;
    const state = parseState(row.data, this.describe());
    assertStateProject(state, this.project, this.describe());
    return state;
  }

  async write(state: State, message: string, opts: WriteOptions = {}): Promise<void> {
    // Never write what could not be read back (see LocalBackend.write).
    const text = JSON.stringify(state, null, 2) + '\n';
    validateState(JSON.parse(text), 'the state to write');
    const entry: HistoryEntry = {
      serial: state.serial,
      lineage: state.lineage,
      written_at: new Date().toISOString(),
      message,
      resources: state.resources.length,
      outcome: opts.outcome ?? outcomeOfMessage(message),
    };
    // One transaction: the history row and the current state are written together or not at all.
    await this.run(async (q) => {
      const t = this.store.tables;
      const [cur] = await rows<StateRow>(
        q,
        `SELECT serial, lineage, data FROM ${t.states} WHERE workspace = $1 FOR UPDATE`,
        [this.workspace],
      );
      if (cur && !opts.force) {
        // Parsed, not only compared: a state of a newer format must not be overwritten.
        const current = parseState(cur.data, this.describe());
        if (current.lineage !== state.lineage || state.serial <= current.serial) {
          throw new StaleLineageError(
            { lineage: current.lineage, serial: current.serial },
            { lineage: state.lineage, serial: state.serial },
            this.describe(),
          );
        }
      }
      await this.insertHistory(q, { entry, state }, text);
      await this.upsertState(q, state, text);
      await this.prune(q);
    }, true).catch((e: unknown) => {
      // A user-facing error (stale lineage, lost connection) as it is; anything else the
      // database refused is a failed state write.
      if (e instanceof KollaError) throw e;
      throw new StateWriteError(this.describe(), e);
    });
  }

  async history(): Promise<HistoryEntry[]> {
    // The latest row of each serial: a serial written again (another lineage, -force) shows
    // what readHistory(serial) returns.
    const rs = await this.run((q) =>
      rows<{
        serial: string;
        lineage: string;
        written_at: string;
        message: string;
        resources: number;
        outcome: string | null;
      }>(
        q,
        `SELECT serial, lineage, written_at, message, resources, outcome FROM (
           SELECT DISTINCT ON (serial) id, serial, lineage, written_at, message, resources, outcome
             FROM ${this.store.tables.history} WHERE workspace = $1 ORDER BY serial, id DESC
         ) h ORDER BY written_at, serial`,
        [this.workspace],
      ),
    );
    return rs.map((r) =>
      withOutcome({
        serial: Number(r.serial),
        lineage: r.lineage,
        written_at: r.written_at,
        message: r.message,
        resources: r.resources,
        ...(r.outcome === null ? {} : { outcome: r.outcome as HistoryOutcome }),
      }),
    );
  }

  async readHistory(serial: number): Promise<State | undefined> {
    if (!Number.isInteger(serial) || serial < 0) return undefined;
    const [row] = await this.run((q) =>
      rows<{ data: string }>(
        q,
        `SELECT data FROM ${this.store.tables.history} WHERE workspace = $1 AND serial = $2 ORDER BY id DESC LIMIT 1`,
        [this.workspace, serial],
      ),
    );
    return row ? parseState(row.data, `${this.describe()}, history serial ${serial}`) : undefined;
  }

  /**
   * Replaces this workspace's state and history with `records` (oldest first, each with its
   * original time and message) and `current`, in one transaction: `kolla init -migrate-state`.
   */
  async importHistory(records: PgHistoryRecord[], current: State): Promise<void> {
    for (const r of records) validateState(r.state, `history serial ${r.entry.serial} to import`);
    const currentText = JSON.stringify(current, null, 2) + '\n';
    validateState(JSON.parse(currentText), 'the state to import');
    await this.run(async (q) => {
      const t = this.store.tables;
      await q.query(`DELETE FROM ${t.history} WHERE workspace = $1`, [this.workspace]);
      for (const r of records) await this.insertHistory(q, r, JSON.stringify(r.state, null, 2) + '\n');
      const last = records[records.length - 1];
      if (!last || last.entry.serial !== current.serial || last.entry.lineage !== current.lineage) {
        const entry: HistoryEntry = {
          serial: current.serial,
          lineage: current.lineage,
          written_at: new Date().toISOString(),
          message: 'migrated',
          resources: current.resources.length,
        };
        await this.insertHistory(q, { entry, state: current }, currentText);
      }
      await this.upsertState(q, current, currentText);
      await this.prune(q);
    }, true);
  }

  /** Removes everything of this workspace (state, history, journal, lock row). Hold the lock. */
  async deleteWorkspaceData(): Promise<void> {
    await this.run(async (q) => {
      const t = this.store.tables;
      for (const table of [t.states, t.history, t.journal]) {
        await q.query(`DELETE FROM ${table} WHERE workspace = $1`, [this.workspace]);
      }
      await q.query(`DELETE FROM ${t.workspaces} WHERE name = $1`, [this.workspace]);
      await q.query(`DELETE FROM ${t.locks} WHERE workspace = $1 AND id <> $2`, [
        this.workspace,
        this.held?.id ?? '',
      ]);
    }, true);
  }

  async lock(info: LockRequest, timeoutMs: number, onWait?: (holder: LockInfo) => void): Promise<LockHandle> {
    if (this.held) throw new Error(`${this.describe()}: this backend already holds the state lock`);
    await this.store.ready();
    const me: LockInfo = {
      id: randomUUID(),
      operation: info.operation,
      who: info.who,
      created: '',
      pid: process.pid,
      hostname: os.hostname(),
    };
    const client = await this.store.connectClient(`kolla state lock (${info.operation})`);
    try {
      return await waitForLock<LockHandle>(
        async () => {
          const [got] = await rows<{ ok: boolean }>(client, 'SELECT pg_try_advisory_lock($1::bigint) AS ok', [
            this.lockKey.key,
          ]);
          if (got?.ok) return { taken: await this.took(client, me) };
          const holder = await this.currentHolder(client);
          // Released between our attempt and the look: try again at once.
          return holder ? { holder } : 'retry';
        },
        { timeoutMs, where: this.describe(), onWait },
      );
    } catch (e) {
      // Ending the connection also frees the advisory lock if it was taken.
      await client.end().catch(() => undefined);
      throw this.store.wrap(e);
    }
  }

  /**
   * Releases the lock whose ID is `id`. The advisory lock belongs to the holder's database
   * session, and PostgreSQL lets no other session release it (pg_advisory_unlock only
   * works on the caller's own locks): the only way to free it is to end that session, with
   * pg_terminate_backend. That is also what makes force-unlock safe here: a holder that is
   * in fact still running (hung, or on a machine that lost its network) loses its connection
   * with the lock, so its next write fails instead of overwriting a state someone else now
   * holds the lock of. If the holder's session is already gone (the lock was freed when it
   * died), only its row is deleted. Needs the right to signal that session: the same role,
   * or membership of pg_signal_backend.
   */
  async forceUnlock(id: string, check?: ForceUnlockCheck): Promise<void> {
    await this.store.ready();
    const t = this.store.tables;
    const [row] = await rows<LockRow>(this.store, `SELECT * FROM ${t.locks} WHERE workspace = $1`, [
      this.workspace,
    ]);
    const lockPid = await this.advisoryHolderPid(this.store);
    const anon = /^pg-backend-(\d+)$/.exec(id);
    if (anon) {
      // A holder without a row (see currentHolder): identified by its server process.
      const pid = Number(anon[1]);
      if (lockPid !== pid) {
        throw new PgBackendError(
          `The state (${this.describe()}) is not locked by PostgreSQL session ${pid}: nothing was unlocked.`,
        );
      }
      await this.terminate(pid);
      return;
    }
    if (!row) {
      if (lockPid !== undefined) {
        throw new PgBackendError(
          `The state (${this.describe()}) is locked by PostgreSQL session ${lockPid}, which left no ` +
            `holder details; if no kolla is running, unlock it with: kolla force-unlock pg-backend-${lockPid}`,
        );
      }
      throw new PgBackendError(`The state (${this.describe()}) is not locked: nothing to unlock.`);
    }
    if (row.id !== id) {
      throw new PgBackendError(
        `The state (${this.describe()}) is locked with ID ${row.id}, not ${id}: nothing was unlocked.\n` +
          `It is held by ${row.who} for "${row.operation}" since ${row.created}.`,
      );
    }
    await check?.({ pid: row.pid, hostname: row.hostname, who: row.who, operation: row.operation });
    // Session first, row after: if ending the session is refused, nothing has changed.
    if (lockPid !== undefined && lockPid === row.backend_pid) await this.terminate(lockPid);
    await this.store.query(`DELETE FROM ${t.locks} WHERE workspace = $1 AND id = $2`, [this.workspace, id]);
  }

  journal(): Journal {
    return new PgJournal({
      run: (fn, tx) => this.run(fn, tx),
      table: this.store.tables.journal,
      workspace: this.workspace,
      where: () => this.describe(),
    });
  }

  /** Ends the connections this backend opened (its pool unless shared, and a held lock's). */
  async close(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    await held?.client.end().catch(() => undefined);
    if (this.ownStore) await this.store.close();
  }

  /**
   * Runs `fn` (in a transaction when `tx`) on the lock's connection while this backend holds
   * the lock, else on a pooled one.
   */
  private async run<T>(fn: (q: Queryable) => Promise<T>, tx = false): Promise<T> {
    await this.store.ready();
    const held = this.held;
    if (!held) return tx ? this.store.transaction(fn) : fn(this.store);
    const p = held.queue.then(async () => {
      if (held.lost !== undefined) throw new PgConnectionLostError(this.describe(), held.lost);
      try {
        if (!tx) return await fn(held.client);
        await held.client.query('BEGIN');
        try {
          const r = await fn(held.client);
          await held.client.query('COMMIT');
          return r;
        } catch (e) {
          if (!isConnectionError(e)) await held.client.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      } catch (e) {
        if (isConnectionError(e)) {
          held.lost ??= e;
          throw new PgConnectionLostError(this.describe(), e);
        }
        throw e;
      }
    });
    held.queue = p.catch(() => undefined);
    return p;
  }

  /** The advisory lock is ours: record who holds it and return the handle. */
  private async took(client: pg.Client, me: LockInfo): Promise<LockHandle> {
    const t = this.store.tables;
    me.created = new Date().toISOString();
    await client.query('BEGIN');
    // A row left behind: its holder died without releasing (the lock went with its connection).
    const [old] = await rows<LockRow>(client, `DELETE FROM ${t.locks} WHERE workspace = $1 RETURNING *`, [
      this.workspace,
    ]);
    const [bp] = await rows<{ pid: number }>(
      client,
      `INSERT INTO ${t.locks} (workspace, id, operation, who, created, pid, hostname, backend_pid)
       VALUES ($1, $2, $3, $4, $5, $6, $7, pg_backend_pid()) RETURNING backend_pid AS pid`,
      [this.workspace, me.id, me.operation, me.who, me.created, me.pid, me.hostname],
    );
    await client.query('COMMIT');
    const held: Held = { client, id: me.id, backendPid: bp?.pid ?? 0, queue: Promise.resolve() };
    const markLost = (e: unknown): void => {
      held.lost ??= e ?? new Error('Connection terminated');
    };
    client.on('error', markLost);
    client.on('end', () => markLost(new Error('Connection terminated')));
    this.held = held;
    let released = false;
    const handle: LockHandle = {
      info: { ...me },
      release: async () => {
        if (released) return;
        released = true;
        if (this.held === held) this.held = undefined;
        // After the queries still running on the lock's connection.
        await held.queue;
        if (held.lost === undefined) {
          try {
            await client.query(`DELETE FROM ${t.locks} WHERE workspace = $1 AND id = $2`, [
              this.workspace,
              me.id,
            ]);
            await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.lockKey.key]);
          } catch {
            // the connection failed: ending it releases the lock just the same
          }
        } else {
          // The lock went with the connection; remove our row if it is still there (best effort).
          await this.store
            .query(`DELETE FROM ${t.locks} WHERE workspace = $1 AND id = $2`, [this.workspace, me.id])
            .catch(() => undefined);
        }
        await client.end().catch(() => undefined);
      },
    };
    if (old) handle.staleTakenOver = lockInfoOf(old);
    return handle;
  }

  /**
   * Who holds the advisory lock: its row when the row's session is the one holding it; else
   * (the holder took the lock a moment ago and has not written its row yet, or something
   * other than kolla holds the key) a description of the session, with `pg-backend-PID` as
   * the ID force-unlock accepts. Undefined when nobody holds it any more.
   */
  private async currentHolder(q: Queryable): Promise<LockInfo | undefined> {
    for (let attempt = 0; ; attempt++) {
      const pid = await this.advisoryHolderPid(q);
      if (pid === undefined) return undefined;
      const [row] = await rows<LockRow>(q, `SELECT * FROM ${this.store.tables.locks} WHERE workspace = $1`, [
        this.workspace,
      ]);
      if (row && row.backend_pid === pid) return lockInfoOf(row);
      if (attempt >= 5) {
        const [a] = await rows<{
          usename: string | null;
          addr: string | null;
          app: string | null;
          since: string | null;
        }>(
          q,
          `SELECT usename, host(client_addr) AS addr, application_name AS app,
                  to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS since
             FROM pg_stat_activity WHERE pid = $1`,
          [pid],
        );
        return {
          id: `pg-backend-${pid}`,
          operation: `(unknown: PostgreSQL session ${pid}${a?.app ? `, "${a.app}"` : ''} holds the lock without holder details)`,
          who: `${a?.usename ?? '(unknown)'}@${a?.addr ?? 'local socket'}`,
          created: a?.since ?? '(unknown)',
          pid: 0,
          hostname: '',
        };
      }
      await sleep(20);
    }
  }

  /** The server process holding this workspace's advisory lock, if any. */
  private async advisoryHolderPid(q: Queryable): Promise<number | undefined> {
    const [r] = await rows<{ pid: number }>(
      q,
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid::bigint = $1 AND objid::bigint = $2`,
      [this.lockKey.hi, this.lockKey.lo],
    );
    return r?.pid ?? undefined;
  }

  /** Ends a holder's session and waits until its lock is gone. */
  private async terminate(pid: number): Promise<void> {
    let ok = false;
    try {
      const [r] = await rows<{ ok: boolean }>(this.store, 'SELECT pg_terminate_backend($1) AS ok', [pid]);
      ok = r?.ok === true;
    } catch (e) {
      throw new PgBackendError(
        `Could not end PostgreSQL session ${pid}, which holds the state lock (${this.describe()}): ` +
          `${errorText(e)}. Ask a database administrator to run SELECT pg_terminate_backend(${pid}).`,
        e,
      );
    }
    if (!ok && (await this.advisoryHolderPid(this.store)) === pid) {
      throw new PgBackendError(`Could not end PostgreSQL session ${pid}, which holds the state lock.`);
    }
    for (let i = 0; i < 100 && (await this.advisoryHolderPid(this.store)) === pid; i++) await sleep(50);
  }

  private async insertHistory(q: Queryable, r: PgHistoryRecord, text: string): Promise<void> {
    await q.query(
      `INSERT INTO ${this.store.tables.history}
         (workspace, serial, lineage, written_at, message, resources, data, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        this.workspace,
        r.entry.serial,
        r.entry.lineage,
        r.entry.written_at,
        r.entry.message,
        r.entry.resources,
        text,
        withOutcome(r.entry).outcome,
      ],
    );
  }

  private async upsertState(q: Queryable, state: State, text: string): Promise<void> {
    await q.query(
      `INSERT INTO ${this.store.tables.states} (workspace, serial, lineage, data, updated_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (workspace) DO UPDATE
         SET serial = EXCLUDED.serial, lineage = EXCLUDED.lineage, data = EXCLUDED.data, updated_at = now()`,
      [this.workspace, state.serial, state.lineage, text],
    );
  }

  /**
   * Keeps the `historyLimit` good rows written last (by write order: serials restart with a
   * new lineage) and the FAILED_HISTORY_LIMIT failed or recovered ones written last (see
   * historyToPrune). A row without outcome (before 0.2) is classed by its message.
   */
  private async prune(q: Queryable): Promise<void> {
    const h = this.store.tables.history;
    const bad = `(coalesce(outcome, CASE WHEN message LIKE 'apply failed%' THEN 'failed'
      WHEN message LIKE 'interrupted%' THEN 'recovered' ELSE 'applied' END) IN ('failed', 'recovered'))`;
    await q.query(
      `DELETE FROM ${h} WHERE workspace = $1 AND id NOT IN (
         SELECT id FROM ${h} WHERE workspace = $1 AND NOT ${bad} ORDER BY id DESC LIMIT $2)
         AND id NOT IN (
         SELECT id FROM ${h} WHERE workspace = $1 AND ${bad} ORDER BY id DESC LIMIT $3)`,
      [this.workspace, this.historyLimit, FAILED_HISTORY_LIMIT],
    );
  }
}

function lockInfoOf(r: LockRow): LockInfo {
  return {
    id: r.id,
    operation: r.operation,
    who: r.who,
    created: r.created,
    pid: r.pid,
    hostname: r.hostname,
  };
}
