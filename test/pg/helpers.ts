/**
 * Shared by the pg backend tests: a real PostgreSQL (scripts/pg-up.sh installs and starts
 * it when needed), a schema of their own per test file, the built CLI, and child processes
 * that take the lock through dist/states/pg-backend.js.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { ROOT } from '../helpers/kolla.js';

export { ROOT };
export const BIN = path.join(ROOT, 'bin', 'run.js');

let conn: string | undefined;
/** Starts PostgreSQL if needed and returns the kolla role's connection string. */
export function pgUp(): string {
  if (conn) return conn;
  const out = execFileSync('bash', [path.join(ROOT, 'scripts', 'pg-up.sh')], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const last = out.trim().split('\n').pop() ?? '';
  if (!last.startsWith('postgres://')) throw new Error(`pg-up.sh printed no connection string: ${out}`);
  conn = last;
  return conn;
}

let built = false;
export function buildOnce(): void {
  if (built) return;
  if (process.env['KOLLA_TEST_PREBUILT'] !== '1')
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

/** A schema name of this test run: kt_<tag>_<random>. */
export function uniqueSchema(tag: string): string {
  return `kt_${tag}_${randomBytes(4).toString('hex')}`;
}

/** Runs one query on a connection of its own (an "other client"). */
export async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(
  connStr: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const c = new pg.Client({ connectionString: connStr });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}

export async function dropSchema(connStr: string, schema: string): Promise<void> {
  await sql(connStr, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI, without KOLLA_* variables from the caller's environment unless given. */
export function kolla(args: string[], cwd: string, env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KOLLA_')));
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...base, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A configuration with no containers: apply writes a state without Docker. */
export function mainHcl(backend: string, project = 'pgtest'): string {
  return `kolla {
  project = "${project}"
${backend}
}

host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
`;
}

export function pgBlock(connStr: string, schema: string): string {
  return `  backend "pg" {\n    conn_str    = "${connStr}"\n    schema_name = "${schema}"\n  }`;
}

export function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-pg-'));
  writeFilesIn(dir, files);
  return dir;
}

export function writeFilesIn(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const f = path.join(dir, name);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, content);
  }
}

/**
 * A node process that takes the lock through the built backend
 * (dist/states/pg-backend.js) and prints what happens, one JSON line per event:
 * {"event":"wait"|"locked"|"error"|"released"|"query-error", ...}.
 */
const LOCKER = `
const [modUrl, connStr, schema, workspace, operation, timeoutMs, holdMs] = process.argv.slice(2);
const { PgBackend } = await import(modUrl);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const b = new PgBackend({ connStr, schema, workspace });
try {
  const h = await b.lock({ operation, who: 'locker@test' }, Number(timeoutMs), (holder) => say({ event: 'wait', holder }));
  say({ event: 'locked', id: h.info.id, pid: process.pid, staleTakenOver: h.staleTakenOver ?? null });
  const until = Date.now() + Number(holdMs);
  // Holding, and using the state meanwhile (on the lock's connection), as an apply would.
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    try {
      await b.read();
    } catch (e) {
      say({ event: 'query-error', name: e.name, message: e.message });
      break;
    }
  }
  await h.release();
  say({ event: 'released' });
} catch (e) {
  say({ event: 'error', name: e.name, message: e.message, holder: e.holder ?? null, waitedMs: e.waitedMs ?? null });
  process.exitCode = 3;
} finally {
  await b.close();
}
`;

export interface LockerEvent {
  event: 'wait' | 'locked' | 'error' | 'released' | 'query-error';
  [k: string]: unknown;
}

export class Locker {
  readonly events: LockerEvent[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  private listeners: (() => void)[] = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) this.events.push(JSON.parse(line) as LockerEvent);
        for (const l of this.listeners) l();
      }
    });
    child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => child.on('close', (code) => r(code)));
  }

  /** The first event of this kind, waiting up to `timeoutMs` for it. */
  next(kind: LockerEvent['event'], timeoutMs = 20_000): Promise<LockerEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = this.events.find((x) => x.event === kind);
        if (e) {
          clearTimeout(timer);
          this.listeners = this.listeners.filter((l) => l !== listener);
          resolve(e);
          return true;
        }
        return false;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(
          new Error(
            `no "${kind}" event within ${timeoutMs}ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.listeners.push(listener);
    });
  }
}

export function startLocker(
  connStr: string,
  schema: string,
  o: { workspace?: string; operation?: string; timeoutMs?: number; holdMs?: number } = {},
): Locker {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-locker-'));
  const script = path.join(dir, 'locker.mjs');
  writeFileSync(script, LOCKER);
  const mod = pathToFileURL(path.join(ROOT, 'dist', 'states', 'pg-backend.js')).href;
  const child = spawn(
    process.execPath,
    [
      script,
      mod,
      connStr,
      schema,
      o.workspace ?? 'default',
      o.operation ?? 'apply',
      String(o.timeoutMs ?? 0),
      String(o.holdMs ?? 60_000),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  return new Locker(child);
}
