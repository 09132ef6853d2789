/** What `kolla init` set up: the backend record in `.kolla/backend.json`. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackendSettings } from '../../config/config.js';
import { isErrno, PRIVATE_DIR, PRIVATE_FILE } from '../../states/fs-safe.js';
import { DEFAULT_STATE_FILE } from '../../states/local-backend.js';
import { connTarget, DEFAULT_PG_SCHEMA, redactConnStr } from '../../states/pg-store.js';
import { BackendSetupError } from './errors.js';
import { kollaDir } from './kolla-dir.js';
import { PG_CONN_STR_ENV, pgConnStr } from './pg-conn.js';

export function backendRecordFile(dir: string): string {
  return path.join(kollaDir(dir), 'backend.json');
}

/**
 * The backend `kolla init` set up, in `.kolla/backend.json`. A pg connection string is kept
 * without its password (conn_str may come from file() or a variable, so the password need not
 * be in the configuration): moving the state away from that database later takes the
 * password from KOLLA_PG_CONN_STR, the configuration (same database), PGPASSWORD or
 * ~/.pgpass. `target` (user@host:port/database) says which database it was.
 */
export interface BackendRecord {
  version: 1;
  type: 'local' | 'pg';
  /** local: the state file, as configured (relative to the configuration directory). */
  path?: string;
  /** pg */
  conn_str?: string;
  schema_name?: string;
  target?: string;
}

export function readBackendRecord(dir: string): BackendRecord | undefined {
  let text: string;
  try {
    text = readFileSync(backendRecordFile(dir), 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BackendSetupError(
      `${backendRecordFile(dir)} is not valid JSON; delete it and run kolla init again.`,
    );
  }
  const o = v as Partial<BackendRecord> | null;
  if (!o || typeof o !== 'object' || (o.type !== 'local' && o.type !== 'pg')) {
    throw new BackendSetupError(
      `${backendRecordFile(dir)} is not a kolla backend record; delete it and run kolla init again.`,
    );
  }
  return o as BackendRecord;
}

export function recordOf(backend: BackendSettings, env: NodeJS.ProcessEnv = process.env): BackendRecord {
  if (backend.type === 'local')
    return { version: 1, type: 'local', path: backend.path ?? DEFAULT_STATE_FILE };
  const r: BackendRecord = {
    version: 1,
    type: 'pg',
    schema_name: backend.schemaName ?? DEFAULT_PG_SCHEMA,
    target: connTarget(pgConnStr(backend, env)),
  };
  r.conn_str = withoutPassword(pgConnStr(backend, env));
  return r;
}

/** The connection string without its password (none is kept on disk). */
export function withoutPassword(connStr: string): string {
  try {
    const u = new URL(connStr);
    u.password = '';
    u.searchParams.delete('password');
    return u.toString();
  } catch {
    return connStr.replace(/\s*password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/gi, '');
  }
}

export function writeBackendRecord(dir: string, backend: BackendSettings): void {
  mkdirSync(kollaDir(dir), { recursive: true, mode: PRIVATE_DIR });
  writeFileSync(backendRecordFile(dir), JSON.stringify(recordOf(backend), null, 2) + '\n', {
    mode: PRIVATE_FILE,
  });
}

/**
 * The backend settings a record describes. For pg, the first connection string to the
 * recorded database among: the configured backend's (same database, other schema),
 * KOLLA_PG_CONN_STR, and the recorded one without password (PGPASSWORD or ~/.pgpass then
 * supply it, as for any libpq client).
 */
export function settingsOfRecord(
  r: BackendRecord,
  current?: BackendSettings,
  env: NodeJS.ProcessEnv = process.env,
): BackendSettings {
  if (r.type === 'local') return { type: 'local', path: r.path ?? DEFAULT_STATE_FILE };
  const s: BackendSettings = { type: 'pg', schemaName: r.schema_name ?? DEFAULT_PG_SCHEMA };
  const candidates = [current?.type === 'pg' ? current.connStr : undefined, env[PG_CONN_STR_ENV], r.conn_str];
  const conn = candidates.find((c) => c !== undefined && (!r.target || connTarget(c) === r.target));
  if (conn) s.connStr = conn;
  return s;
}

/** `local file kolla.state.json`, `pg kolla@127.0.0.1:5432/kolla schema "kolla"`. */
export function describeRecord(r: BackendRecord): string {
  if (r.type === 'local') return `local (${r.path ?? DEFAULT_STATE_FILE})`;
  const where = r.conn_str ? redactConnStr(r.conn_str) : (r.target ?? '?');
  return `pg (${where}, schema "${r.schema_name ?? DEFAULT_PG_SCHEMA}")`;
}

/** Whether two records name the same place. */
export function sameBackend(dir: string, a: BackendRecord, b: BackendRecord): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'local') {
    return (
      path.resolve(dir, a.path ?? DEFAULT_STATE_FILE) === path.resolve(dir, b.path ?? DEFAULT_STATE_FILE)
    );
  }
  return (
    (a.schema_name ?? DEFAULT_PG_SCHEMA) === (b.schema_name ?? DEFAULT_PG_SCHEMA) && a.target === b.target
  );
}
