/**
 * The state backend a configuration asks for, in the selected workspace.
 *
 * Workspaces (as Terraform's) keep separate states of one configuration in one backend:
 *   - the selected one is `KOLLA_WORKSPACE`, else the name in `.kolla/environment` of the
 *     configuration directory (`kolla workspace select`), else `default`;
 *   - local backend: `default` is the configured state file, another workspace W is
 *     `kolla.state.d/W/<file name>` (Terraform's layout), with its own history, lock and journal;
 *   - pg backend: rows keyed by workspace in the schema's tables, a lock per workspace.
 *
 * `kolla init` records the backend it set up in `.kolla/backend.json`. When the configured
 * backend no longer matches that record (or a pg backend is configured while a local state
 * is still beside the configuration), commands refuse to run until `kolla init
 * -migrate-state` (or `-reconfigure`), so that nobody plans against an empty new backend
 * while the real state is elsewhere.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackendSettings, Settings } from '../config/config.js';
import { loadConfig } from '../config/load.js';
import type { VarArg } from '../config/variables.js';
import type { Backend } from '../states/backend.js';
import { isErrno, PRIVATE_DIR, PRIVATE_FILE } from '../states/fs-safe.js';
import { DEFAULT_STATE_FILE, LocalBackend } from '../states/local-backend.js';
import { PgBackend, workspaceNameProblem } from '../states/pg-backend.js';
import {
  connTarget,
  DEFAULT_PG_SCHEMA,
  DEFAULT_WORKSPACE,
  PgStore,
  redactConnStr,
} from '../states/pg-store.js';
import { KollaError, type KollaErrorOptions } from '../diags/kolla-error.js';

export { DEFAULT_WORKSPACE, workspaceNameProblem };

/** The environment variable selecting the workspace (Terraform's TF_WORKSPACE). */
export const WORKSPACE_ENV = 'KOLLA_WORKSPACE';
/** The connection string used when the pg backend block has no conn_str. */
export const PG_CONN_STR_ENV = 'KOLLA_PG_CONN_STR';
/** Directory of the local backend's non-default workspaces (Terraform's terraform.tfstate.d). */
export const LOCAL_WORKSPACE_DIR = 'kolla.state.d';

/** A user error about backends or workspaces; printed without a stack trace by the CLI. */
export class BackendSetupError extends KollaError {
  override readonly name: string = 'BackendSetupError';
  constructor(message: string, options: KollaErrorOptions = {}) {
    super('configuration', message, options);
  }
}

/**
 * The settings of the configuration in `dir` (its `kolla` block) for commands that need the
 * backend but not the services: init, workspace. Throws the configuration's diagnostics.
 */
export async function loadSettings(dir: string, vars: VarArg[] = []): Promise<Settings> {
  const r = await loadConfig({ dir, vars });
  if (!r.config || r.diagnostics.hasErrors()) {
    throw Object.assign(new BackendSetupError('the configuration has errors'), {
      diagnostics: [...r.diagnostics],
    });
  }
  return r.config.settings;
}

/** `.kolla/` of the configuration directory. */
export function kollaDir(dir: string): string {
  return path.join(path.resolve(dir), '.kolla');
}

export function environmentFile(dir: string): string {
  return path.join(kollaDir(dir), 'environment');
}

export function backendRecordFile(dir: string): string {
  return path.join(kollaDir(dir), 'backend.json');
}

export interface SelectedWorkspace {
  name: string;
  source: 'env' | 'file' | 'default';
}

/** The selected workspace: KOLLA_WORKSPACE, else `.kolla/environment`, else default. */
export function selectedWorkspace(dir: string, env: NodeJS.ProcessEnv = process.env): SelectedWorkspace {
  const fromEnv = env[WORKSPACE_ENV]?.trim();
  if (fromEnv) return { name: checkedWorkspace(fromEnv, WORKSPACE_ENV), source: 'env' };
  let text: string;
  try {
    text = readFileSync(environmentFile(dir), 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return { name: DEFAULT_WORKSPACE, source: 'default' };
    throw e;
  }
  const name = text.trim();
  if (!name) return { name: DEFAULT_WORKSPACE, source: 'default' };
  return { name: checkedWorkspace(name, environmentFile(dir)), source: 'file' };
}

/** Records `name` as the selected workspace (`kolla workspace select`). */
export function writeSelectedWorkspace(dir: string, name: string): void {
  checkedWorkspace(name, 'workspace');
  mkdirSync(kollaDir(dir), { recursive: true, mode: PRIVATE_DIR });
  writeFileSync(environmentFile(dir), `${name}\n`, { mode: PRIVATE_FILE });
}

function checkedWorkspace(name: string, from: string): string {
  const problem = workspaceNameProblem(name);
  if (problem) throw new BackendSetupError(`${from}: ${problem}`);
  return name;
}

/**
 * The backend of the configuration in `dir`, in `workspace` (default: the selected one).
 * Refuses while the backend configuration changed since `kolla init` (see the file comment).
 */
export function backendFor(dir: string, settings: Settings, workspace?: string): Backend {
  assertBackendInitialized(dir, settings.backend);
  return backendOf(
    dir,
    settings.backend,
    settings.history,
    workspace ?? selectedWorkspace(dir).name,
    undefined,
    settings.project,
  );
}

/** The backend for these backend settings, without the `kolla init` check (init uses it). */
export function backendOf(
  dir: string,
  backend: BackendSettings,
  historyLimit: number,
  workspace: string,
  store?: PgStore,
  project?: string,
): Backend {
  checkedWorkspace(workspace, 'workspace');
  if (backend.type === 'pg') {
    return new PgBackend({
      store: store ?? pgStoreFor(backend),
      workspace,
      historyLimit,
      ...(project === undefined ? {} : { project }),
    });
  }
  return new LocalBackend(localStatePath(dir, backend, workspace), {
    historyLimit,
    ...(project === undefined ? {} : { project }),
  });
}

/** The local state file of a workspace. */
export function localStatePath(dir: string, backend: BackendSettings, workspace: string): string {
  const file = path.resolve(dir, backend.path ?? DEFAULT_STATE_FILE);
  if (workspace === DEFAULT_WORKSPACE) return file;
  return path.resolve(dir, LOCAL_WORKSPACE_DIR, workspace, path.basename(file));
}

/** conn_str of the block, else KOLLA_PG_CONN_STR. */
export function pgConnStr(backend: BackendSettings, env: NodeJS.ProcessEnv = process.env): string {
  const s = backend.connStr ?? env[PG_CONN_STR_ENV];
  if (!s) {
    throw new BackendSetupError(
      `backend "pg" needs a connection string: set conn_str in the backend block or the ` +
        `${PG_CONN_STR_ENV} environment variable (postgres://user:password@host:5432/database).`,
    );
  }
  return s;
}

/** user@host:port/database of a pg backend's connection string, or undefined when it has none. */
export function connTargetOf(
  backend: BackendSettings,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const s = backend.connStr ?? env[PG_CONN_STR_ENV];
  return s ? connTarget(s) : undefined;
}

export function pgStoreFor(backend: BackendSettings): PgStore {
  return new PgStore({ connStr: pgConnStr(backend), schema: backend.schemaName ?? DEFAULT_PG_SCHEMA });
}

// ---------------------------------------------------------------------------------------
// Workspaces of a backend

export interface WorkspaceStore {
  /** Where the workspaces are, for messages. */
  describe(): string;
  /** Default first, then the others by name. */
  list(): Promise<string[]>;
  exists(name: string): Promise<boolean>;
  /** Creates an empty workspace; false when it existed. */
  create(name: string): Promise<boolean>;
  /** Removes a workspace with its state, history, lock and journal. Hold its lock first. */
  remove(name: string, backend: Backend): Promise<void>;
  backend(name: string): Backend;
  /** Ends connections (pg); a CLI run need not call it. */
  close(): Promise<void>;
}

export function workspaceStore(dir: string, settings: Settings): WorkspaceStore {
  assertBackendInitialized(dir, settings.backend);
  return workspaceStoreOf(dir, settings.backend, settings.history);
}

/** The workspaces of these backend settings, without the `kolla init` check. */
export function workspaceStoreOf(
  dir: string,
  backend: BackendSettings,
  historyLimit: number,
): WorkspaceStore {
  if (backend.type === 'pg') {
    const store = pgStoreFor(backend);
    return {
      describe: () => store.where(),
      list: () => store.listWorkspaces(),
      exists: (name) => store.workspaceExists(name),
      create: (name) => store.createWorkspace(checkedWorkspace(name, 'workspace')),
      remove: async (name, b) => {
        if (!(b instanceof PgBackend) || b.workspace !== name) throw new Error('remove: not this workspace');
        await b.deleteWorkspaceData();
      },
      backend: (name) => backendOf(dir, backend, historyLimit, name, store),
      close: () => store.close(),
    };
  }
  const root = path.resolve(dir, LOCAL_WORKSPACE_DIR);
  const list = (): string[] => {
    let names: string[] = [];
    try {
      names = readdirSync(root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && workspaceNameProblem(d.name) === undefined)
        .map((d) => d.name);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
    return [DEFAULT_WORKSPACE, ...names.filter((n) => n !== DEFAULT_WORKSPACE).sort()];
  };
  return {
    describe: () => `local files beside ${path.resolve(dir, backend.path ?? DEFAULT_STATE_FILE)}`,
    list: () => Promise.resolve(list()),
    exists: (name) => Promise.resolve(list().includes(name)),
    create: (name) => {
      checkedWorkspace(name, 'workspace');
      if (list().includes(name)) return Promise.resolve(false);
      mkdirSync(path.join(root, name), { recursive: true, mode: PRIVATE_DIR });
      return Promise.resolve(true);
    },
    remove: (name) => {
      if (name === DEFAULT_WORKSPACE) throw new Error('remove: the default workspace cannot be removed');
      // The whole directory: state, history, journal, and the lock file we hold.
      rmSync(path.join(root, checkedWorkspace(name, 'workspace')), { recursive: true, force: true });
      return Promise.resolve();
    },
    backend: (name) => backendOf(dir, backend, historyLimit, name),
    close: () => Promise.resolve(),
  };
}

// ---------------------------------------------------------------------------------------
// What `kolla init` set up

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

/** True when a local state (default path, or any local workspace) is in `dir`. */
export function localStateExists(dir: string, backend: BackendSettings = { type: 'local' }): boolean {
  const file = path.resolve(dir, backend.path ?? DEFAULT_STATE_FILE);
  const exists = (p: string): boolean => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (exists(file)) return true;
  try {
    return readdirSync(path.resolve(dir, LOCAL_WORKSPACE_DIR)).some((w) =>
      exists(path.resolve(dir, LOCAL_WORKSPACE_DIR, w, path.basename(file))),
    );
  } catch {
    return false;
  }
}

/**
 * The backend a `kolla init -migrate-state` would move the state from, or undefined when
 * the configured backend is the one in use: the recorded one if it differs, or (never
 * initialised) the default local state file when a pg backend is configured and that file
 * exists.
 */
export function previousBackend(dir: string, backend: BackendSettings): BackendRecord | undefined {
  const rec = readBackendRecord(dir);
  if (rec) {
    let now: BackendRecord;
    try {
      now = recordOf(backend);
    } catch {
      // pg without a connection string: reported when the backend is used
      return undefined;
    }
    return sameBackend(dir, rec, now) ? undefined : rec;
  }
  if (backend.type === 'pg' && localStateExists(dir))
    return { version: 1, type: 'local', path: DEFAULT_STATE_FILE };
  return undefined;
}

function assertBackendInitialized(dir: string, backend: BackendSettings): void {
  const prev = previousBackend(dir, backend);
  if (!prev) return;
  const now = backend.type === 'local' ? `local (${backend.path ?? DEFAULT_STATE_FILE})` : 'pg';
  throw new BackendSetupError(
    `Backend configuration changed: the state is in ${describeRecord(prev)}, but the ` +
      `configuration now says ${now}.\n` +
      `Run "kolla init -migrate-state" to copy the state (with its history and workspaces) to ` +
      `the new backend, or "kolla init -reconfigure" to use the new backend as it is.`,
  );
}
