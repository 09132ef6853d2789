/**
 * `kolla backup create | list | restore` (issue #19, kolla-ansible's `mariadb_backup` plus the
 * restore it lacks): the schemas the configuration's `database` blocks declare, dumped on
 * their server's host into its backup volume. The same backups are taken by apply before a
 * bootstrap migrates a schema again (kinds/bootstrap.ts); these operations list and restore
 * them too. Nothing here prints: commands render the results and events.
 */
import type { VarArg } from '../config/variables.js';
import type { Diagnostic } from '../diags/diagnostic.js';
import { KollaError } from '../diags/kolla-error.js';
import { didYouMean } from '../diags/suggest.js';
import type { DatabaseInstance } from '../expand/instances.js';
import {
  isBackupId,
  listBackups,
  restoreBackup,
  takeBackup,
  type BackupMeta,
  type BackupServer,
} from '../providers/docker/db-backup.js';
import { durationMs } from '../providers/docker/duration.js';
import { instancesOf, kindOf } from '../kinds/registry.js';
import { backendFor } from './backend/backend-for.js';
import { HostConnections } from './hosts.js';
import { prepare } from './prepare.js';
import { withLock, type LockOptions } from './with-lock.js';
import type { EventSink } from './events.js';
import { redactEvents } from './redact.js';
import { maskerFor } from './plan.js';

export interface BackupOptions extends LockOptions {
  dir: string;
  vars: VarArg[];
}

/** One server's backups: where they are and what the server's databases are. */
export interface ServerBackups {
  host: string;
  container: string;
  dir: string;
  /** The schemas the configuration declares on it. */
  schemas: string[];
  backups: BackupMeta[];
  /** Why it could not be listed (not running, no backup volume). */
  error?: string;
}

export interface BackupOutcome {
  diagnostics: Diagnostic[];
  servers: ServerBackups[];
}

interface Server {
  host: string;
  container: string;
  dir: string;
  schemas: string[];
  /** Also the service and block names, which `create` accepts as names. */
  names: Set<string>;
  conn: BackupServer;
  timeoutMs: number;
}

/** The configuration's database servers, each with the schemas declared on it. */
function serversOf(dbs: readonly DatabaseInstance[], project: string): Server[] {
  const out = new Map<string, Server>();
  for (const d of dbs) {
    const key = `${d.host}\0${d.container}\0${d.backupDir}`;
    let s = out.get(key);
    if (!s) {
      const conn: BackupServer = {
        container: d.container,
        dir: d.backupDir,
        adminUser: d.adminUser,
        project,
      };
      if (d.adminPassword !== undefined) conn.adminPassword = d.adminPassword;
      s = {
        host: d.host,
        container: d.container,
        dir: d.backupDir,
        schemas: [],
        names: new Set(),
        conn,
        timeoutMs: Math.max(d.timeoutMs, 600_000),
      };
      out.set(key, s);
    }
    if (!s.schemas.includes(d.spec.schema)) s.schemas.push(d.spec.schema);
    s.names.add(d.spec.schema).add(d.service).add(d.name);
  }
  return [...out.values()];
}

/** Runs fn with the configuration's database servers and a connection to each host. */
async function withServers<T>(
  o: BackupOptions,
  operation: string,
  fn: (
    servers: Server[],
    conns: HostConnections,
    emit: EventSink,
    retention: number,
    protect: ReadonlySet<string>,
  ) => Promise<T>,
): Promise<{ diagnostics: Diagnostic[]; result?: T }> {
  const p = await prepare({ dir: o.dir, vars: o.vars });
  if (!p.config || !p.expansion || p.diagnostics.hasErrors()) return { diagnostics: [...p.diagnostics] };
  const config = p.config;
  const dbs = instancesOf(p.expansion.instances, 'database');
  if (!dbs.length)
    throw new KollaError('configuration', 'the configuration declares no database (no `database` block)', {
      hint: 'kolla backs up the schemas that `database` blocks declare on a MariaDB service.',
    });
  const servers = serversOf(dbs, config.settings.project);
  const emit = redactEvents(o.onEvent, maskerFor(config));
  const backend = backendFor(o.dir, config.settings);
  return withLock(backend, { ...o, onEvent: emit }, operation, async () => {
    const conns = new HostConnections(new Map(config.hosts.map((h) => [h.name, h])), {
      timeoutMs: durationMs(config.settings.hostTimeout),
    });
    try {
      return {
        diagnostics: [...p.diagnostics],
        result: await fn(servers, conns, emit, config.settings.backupRetention, await referenced(backend)),
      };
    } catch (e) {
      // A server that is not running, a missing backup volume, a failed dump: the host's
      // problem, said without a stack trace.
      if (e instanceof KollaError) throw e;
      throw new KollaError('host', maskerFor(config).maskForDisplay((e as Error).message));
    } finally {
      await conns.closeAll();
    }
  });
}

/** The backups the state names (a rollback --to may need them): never pruned by backup create. */
async function referenced(backend: ReturnType<typeof backendFor>): Promise<Set<string>> {
  const st = await backend.read();
  const ids = new Set<string>();
  for (const r of st?.resources ?? []) for (const id of kindOf(r.kind).backupsNamed?.(r) ?? []) ids.add(id);
  return ids;
}

function message(e: unknown): string {
  return (e as Error).message.split('\n')[0]!;
}

/** Backs up the schemas named (schema, service or database block names; none: every one). */
export async function createBackupOperation(o: BackupOptions & { names: string[] }): Promise<BackupOutcome> {
  const r = await withServers(o, 'backup create', async (servers, conns, emit, keep, protect) => {
    const known = new Set(servers.flatMap((s) => [...s.names]));
    for (const n of o.names)
      if (!known.has(n))
        throw new KollaError('configuration', `no database named "${n}"${didYouMean(n, known)}`, {
          hint: `Databases: ${[...new Set(servers.flatMap((s) => s.schemas))].join(', ')}.`,
        });
    const out: ServerBackups[] = [];
    for (const s of servers) {
      const schemas = o.names.length
        ? s.schemas.filter((x) => o.names.some((n) => isOf(s, n, x)))
        : s.schemas;
      if (!schemas.length) continue;
      emit({
        type: 'message',
        level: 'info',
        text: `backing up ${schemas.join(', ')} on ${s.host} (${s.container})`,
      });
      const t0 = Date.now();
      const docker = await conns.get(s.host).docker();
      const { meta, pruned } = await takeBackup(docker, s.conn, schemas, 'kolla backup create', {
        keep,
        timeoutMs: s.timeoutMs,
        protect,
      });
      emit({
        type: 'message',
        level: 'info',
        text: `backup ${meta.id} of ${schemas.join(', ')} on ${s.host} taken in ${((Date.now() - t0) / 1000).toFixed(1)}s${pruned.length ? `; removed ${pruned.length} older (backup_retention ${keep})` : ''}`,
      });
      const listed = (await listBackups(docker, s.conn, s.timeoutMs)).find((b) => b.id === meta.id) ?? meta;
      out.push({ host: s.host, container: s.container, dir: s.dir, schemas: s.schemas, backups: [listed] });
    }
    return out;
  });
  return { diagnostics: r.diagnostics, servers: r.result ?? [] };
}

/**
 * Is schema x one that name n selects on server s? A schema name selects itself; a service or
 * block name (not itself a schema) selects every schema of that server.
 */
function isOf(s: Server, n: string, x: string): boolean {
  if (s.schemas.includes(n)) return n === x;
  return s.names.has(n);
}

/** Every server's backups, oldest first; a server that cannot be read says why. */
export async function listBackupsOperation(o: BackupOptions): Promise<BackupOutcome> {
  const r = await withServers(o, 'backup list', async (servers, conns) => {
    const out: ServerBackups[] = [];
    for (const s of servers) {
      const entry: ServerBackups = {
        host: s.host,
        container: s.container,
        dir: s.dir,
        schemas: s.schemas,
        backups: [],
      };
      try {
        entry.backups = await listBackups(await conns.get(s.host).docker(), s.conn, s.timeoutMs);
      } catch (e) {
        entry.error = message(e);
      }
      out.push(entry);
    }
    return out;
  });
  return { diagnostics: r.diagnostics, servers: r.result ?? [] };
}

/** Restores backup `id` on the server that holds it: each of its schemas dropped and made again. */
export async function restoreBackupOperation(
  o: BackupOptions & { id: string },
): Promise<{ diagnostics: Diagnostic[]; restored?: ServerBackups; elapsedMs?: number }> {
  if (!isBackupId(o.id))
    throw new KollaError('configuration', `"${o.id}" is not a backup ID`, {
      hint: 'IDs look like 20261204T193012Z-a1b2c3: see kolla backup list.',
    });
  const r = await withServers(o, 'backup restore', async (servers, conns, emit) => {
    const seen: string[] = [];
    for (const s of servers) {
      const docker = await conns.get(s.host).docker();
      let list: BackupMeta[];
      try {
        list = await listBackups(docker, s.conn, s.timeoutMs);
      } catch {
        continue;
      }
      seen.push(...list.map((b) => b.id));
      const b = list.find((x) => x.id === o.id);
      if (!b) continue;
      emit({
        type: 'message',
        level: 'info',
        text: `restoring ${b.schemas.join(', ')} on ${s.host} (${s.container}) from backup ${b.id} of ${b.created}`,
      });
      const t0 = Date.now();
      await restoreBackup(docker, s.conn, b.id, s.timeoutMs);
      return {
        restored: { host: s.host, container: s.container, dir: s.dir, schemas: s.schemas, backups: [b] },
        elapsedMs: Date.now() - t0,
      };
    }
    throw new KollaError('state', `no backup "${o.id}" on any database server${didYouMean(o.id, seen)}`, {
      hint: 'See kolla backup list.',
    });
  });
  return { diagnostics: r.diagnostics, ...(r.result ?? {}) };
}
