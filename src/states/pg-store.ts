/**
 * One PostgreSQL schema holding the states of a configuration (all its workspaces): the
 * connection pool, the creation of the tables on first use, the workspaces list, and the
 * errors that say which database could not be reached without showing its password.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { QueryResult, QueryResultRow } from 'pg';
import {
  PG_LAYOUT_VERSION,
  quoteIdent,
  schemaDdl,
  schemaNameProblem,
  setupLockKey,
  tablesOf,
} from './pg-schema.js';
import type { Tables } from './pg-schema.js';
import { KollaError } from '../diags/kolla-error.js';

/**
 * The pg driver, loaded on first use: every command imports this module (through
 * engine/backend/), and loading pg costs start-up time that runs with a local state need not pay.
 */
let pgLib: typeof pg | undefined;
function pgDriver(): typeof pg {
  pgLib ??= createRequire(import.meta.url)('pg') as typeof pg;
  return pgLib;
}

export const DEFAULT_PG_SCHEMA = 'kolla';
export const DEFAULT_WORKSPACE = 'default';
const CONNECT_TIMEOUT_MS = 10_000;

/** What runs a query: the pool, a pooled client or the dedicated lock connection. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<QueryResult>;
}

/** Rows of a query, typed by the caller. */
export async function rows<R extends QueryResultRow>(
  q: Queryable,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  return (await q.query(text, values)).rows as R[];
}

/**
 * A failure of the PostgreSQL backend a user can act on (unreachable database, refused
 * login, lost connection). Named KollaError so that the CLI prints it without a stack trace.
 */
export class PgBackendError extends KollaError {
  override readonly name: string = 'PgBackendError';
  constructor(message: string, cause?: unknown, hint?: string) {
    super('state', message, { cause, ...(hint === undefined ? {} : { hint }) });
  }
}

/** The connection string with its password replaced by `***`. */
export function redactConnStr(connStr: string): string {
  try {
    const u = new URL(connStr);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // key=value form: password=secret or password='sec ret'
    return connStr.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, '$1***');
  }
}

/** `user@host:port/database`: which database, for messages and for noticing a change. */
export function connTarget(connStr: string): string {
  try {
    const u = new URL(connStr);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username);
    const user = decodeURIComponent(u.username) || '(default user)';
    return `${user}@${host}:${u.port || '5432'}/${db}`;
  } catch {
    return redactConnStr(connStr);
  }
}

/** SQLSTATEs and socket errors meaning the connection (not the statement) failed. */
export function isConnectionError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 08: connection exception; 57P01-03: terminated by an administrator, crash, starting up.
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code)) return true;
    if (
      [
        'ECONNRESET',
        'ECONNREFUSED',
        'EPIPE',
        'ETIMEDOUT',
        'EHOSTUNREACH',
        'ENETUNREACH',
        'ENOTFOUND',
        'EAI_AGAIN',
      ].includes(code)
    )
      return true;
  }
  const msg = (e as { message?: unknown }).message;
  return (
    typeof msg === 'string' &&
    /Connection terminated|not queryable|connection timeout|timeout exceeded when trying to connect|socket hang up/i.test(
      msg,
    )
  );
}

export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' && !e.message.includes(code) ? `${e.message} [${code}]` : e.message;
  }
  return String(e);
}

export interface PgStoreOptions {
  connStr: string;
  /** Default `kolla`. */
  schema?: string;
}

export class PgStore {
  readonly connStr: string;
  readonly schema: string;
  readonly tables: Tables;
  readonly pool: pg.Pool;
  private readyP: Promise<void> | undefined;
  private closed = false;

  constructor(opts: PgStoreOptions) {
    this.connStr = opts.connStr;
    this.schema = opts.schema ?? DEFAULT_PG_SCHEMA;
    const problem = schemaNameProblem(this.schema);
    if (problem) throw new PgBackendError(`backend "pg": ${problem}`);
    this.tables = tablesOf(this.schema);
    this.pool = new (pgDriver().Pool)({
      connectionString: opts.connStr,
      max: 4,
      idleTimeoutMillis: 5_000,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // A CLI run ends when its work is done, without waiting for idle connections to time out.
      allowExitOnIdle: true,
      keepAlive: true,
      application_name: 'kolla',
    });
    // An idle pooled connection that dies (server restart, pg_terminate_backend) is dropped by
    // the pool; without a listener the 'error' event would end the process.
    this.pool.on('error', () => undefined);
  }

  /** `PostgreSQL kolla@127.0.0.1:5432/kolla, schema "kolla"` */
  where(): string {
    return `PostgreSQL ${connTarget(this.connStr)}, schema "${this.schema}"`;
  }

  /** Creates the schema and tables if missing; once per store. */
  ready(): Promise<void> {
    this.readyP ??= this.setup().catch((e: unknown) => {
      this.readyP = undefined;
      throw e;
    });
    return this.readyP;
  }

  /** A query on a pooled connection; connection failures say which database. */
  async query(text: string, values: unknown[] = []): Promise<QueryResult> {
    try {
      return await this.pool.query(text, values);
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /** `fn` in one transaction on a pooled connection: committed if it resolves, else rolled back. */
  async transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.wrap(e);
    }
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const r = await fn(client);
      await client.query('COMMIT');
      return r;
    } catch (e) {
      if (isConnectionError(e)) broken = e;
      else await client.query('ROLLBACK').catch((re: unknown) => (broken = re));
      throw this.wrap(e);
    } finally {
      // A connection in an unknown state is destroyed rather than reused.
      client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
    }
  }

  /** A new connection of its own (the lock's), connected. */
  async connectClient(applicationName: string): Promise<pg.Client> {
    const client = new (pgDriver().Client)({
      connectionString: this.connStr,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // So that a holder whose host vanished is noticed by the server (and its lock freed)
      // within minutes rather than hours.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: applicationName,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw this.wrap(e);
    }
    return client;
  }

  /** Default first, then the others by name. */
  async listWorkspaces(): Promise<string[]> {
    await this.ready();
    const t = this.tables;
    const r = await this.query(
      `SELECT name FROM ${t.workspaces} UNION SELECT workspace FROM ${t.states}
       UNION SELECT workspace FROM ${t.history}`,
    );
    const names = new Set<string>((r.rows as { name: string }[]).map((x) => x.name));
    names.delete(DEFAULT_WORKSPACE);
    return [DEFAULT_WORKSPACE, ...[...names].sort()];
  }

  async workspaceExists(name: string): Promise<boolean> {
    return (await this.listWorkspaces()).includes(name);
  }

  /** Records a workspace; false when it existed already. */
  async createWorkspace(name: string): Promise<boolean> {
    if (await this.workspaceExists(name)) return false;
    const r = await this.query(
      `INSERT INTO ${this.tables.workspaces} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`,
      [name],
    );
    return r.rowCount === 1;
  }

  /** Ends the pool. Later use fails; a CLI run need not call it (idle connections do not keep it alive). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** The error, with the database named when the connection is what failed. */
  wrap(e: unknown): unknown {
    if (e instanceof PgBackendError) return e;
    const code = (e as { code?: unknown } | null)?.code;
    // 28: authentication; 3D000: no such database; 42501: permission denied.
    const msg = e instanceof Error ? e.message : '';
    if (
      isConnectionError(e) ||
      (typeof code === 'string' && /^(28|3D000$|42501$)/.test(code)) ||
      // The driver's own authentication errors have no SQLSTATE ("SASL: ... client password must be a string").
      /^SASL|password/i.test(msg)
    ) {
      return new PgBackendError(
        `The PostgreSQL state backend (${redactConnStr(this.connStr)}, schema "${this.schema}") ` +
          `failed: ${
            /client password must be a string/.test(msg)
              ? 'no password was given for it (in the connection string, PGPASSWORD or ~/.pgpass)'
              : errorText(e)
          }`,
        e,
      );
    }
    return e;
  }

  private async setup(): Promise<void> {
    const t = this.tables;
    // Fast path: the tables exist (no CREATE privilege on the database needed then).
    const found = await this.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${t.meta}`]);
    if (!(found.rows[0] as { ok: boolean } | undefined)?.ok) {
      await this.transaction(async (q) => {
        // Two first runs at once: CREATE ... IF NOT EXISTS is not safe against a concurrent
        // CREATE of the same name, so they take turns.
        await q.query('SELECT pg_advisory_xact_lock($1::bigint)', [setupLockKey(this.schema).key]);
        await q.query(schemaDdl(t));
      });
    }
    // Tables made before 0.2 lack history.outcome (nullable, added in place: older kollas still work).
    const col = await this.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'history' AND column_name = 'outcome'`,
      [this.schema],
    );
    if (col.rows.length === 0) {
      await this.transaction(async (q) => {
        await q.query('SELECT pg_advisory_xact_lock($1::bigint)', [setupLockKey(this.schema).key]);
        await q.query(`ALTER TABLE ${t.history} ADD COLUMN IF NOT EXISTS outcome text`);
      });
    }
    const v = await this.query(`SELECT value FROM ${t.meta} WHERE key = 'layout_version'`);
    const version = Number((v.rows[0] as { value?: string } | undefined)?.value ?? NaN);
    if (!(version <= PG_LAYOUT_VERSION)) {
      throw new PgBackendError(
        `The tables in schema ${quoteIdent(this.schema)} (${this.where()}) have layout version ` +
          `${String(version)}, but this kolla knows up to ${PG_LAYOUT_VERSION}. Upgrade kolla to use them.`,
      );
    }
  }
}
