/**
 * Database backups on the MariaDB server's own host (issue #19): a consistent dump
 * (`mysqldump --single-transaction --add-drop-database`) of some schemas, gzipped, written by
 * a docker exec in the running server container into a directory that must be a volume of that
 * container (a backup in the container's own layer would go with the container). Each backup
 * is two files: `ID.sql.gz` and `ID.json` (what it holds), both 0600. A restore feeds the dump
 * back to the mysql client: each schema is dropped and made again as it was (tables a
 * migration added are gone).
 *
 * Every value reaches the shell through the exec's environment, never its command line; the
 * admin password is MYSQL_PWD.
 */
import type Dockerode from 'dockerode';
import { randomBytes } from 'node:crypto';
import { execWithStdin } from './sql-exec.js';
import { PROJECT_LABEL } from './labels.js';

/** Where a backup is, and how to log in to the server that holds it. */
export interface BackupServer {
  /** The server container's Docker name. */
  container: string;
  /** A directory in it, a volume mount. */
  dir: string;
  adminUser: string;
  adminPassword?: string;
  /** The container must carry this project's label. */
  project: string;
}

/** What `ID.json` holds. */
export interface BackupMeta {
  id: string;
  /** ISO time the dump started. */
  created: string;
  schemas: string[];
  /** Why it was taken, e.g. "before service.keystone.bootstrap.db_sync". */
  reason: string;
  /** Bytes of the gzipped dump (filled in when listed). */
  size?: number;
}

const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

export function isBackupId(id: string): boolean {
  return BACKUP_ID.test(id);
}

/** A new backup ID: its time first, so that IDs sort by age. */
export function newBackupId(now = new Date()): string {
  const t = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${t}-${randomBytes(3).toString('hex')}`;
}

const TAKE = `set -euo pipefail
umask 077
cd "$KOLLA_BACKUP_DIR"
trap 'rm -f "$KOLLA_ID.sql.gz.part"' EXIT
# shellcheck disable=SC2086
mysqldump -u "$KOLLA_ADMIN" --single-transaction --routines --triggers --events \\
  --add-drop-database --databases $KOLLA_SCHEMAS | gzip -c > "$KOLLA_ID.sql.gz.part"
mv "$KOLLA_ID.sql.gz.part" "$KOLLA_ID.sql.gz"
printf '%s\\n' "$KOLLA_META" > "$KOLLA_ID.json"`;

const REMOVE = `set -eu
cd "$KOLLA_BACKUP_DIR"
for id in $KOLLA_IDS; do rm -f "$id.json" "$id.sql.gz"; done`;

const RESTORE = `set -euo pipefail
test -f "$KOLLA_BACKUP_DIR/$KOLLA_ID.sql.gz"
gunzip -c "$KOLLA_BACKUP_DIR/$KOLLA_ID.sql.gz" | mysql -u "$KOLLA_ADMIN"`;

const LIST = `set -eu
cd "$KOLLA_BACKUP_DIR"
for f in *.json; do
  [ -f "$f" ] || continue
  id="\${f%.json}"
  [ -f "$id.sql.gz" ] || continue
  printf '%s\\t%s\\n' "$(stat -c %s "$id.sql.gz")" "$(head -n 1 "$f")"
done`;

/** Checks that the container is this project's, runs and has `dir` as a volume. */
async function checkServer(docker: Dockerode, s: BackupServer): Promise<void> {
  let c: Awaited<ReturnType<Dockerode.Container['inspect']>>;
  try {
    c = await docker.getContainer(s.container).inspect();
  } catch {
    throw new Error(`container ${s.container} does not exist`);
  }
  if (!c.State.Running) throw new Error(`container ${s.container} is not running`);
  const owner = c.Config.Labels?.[PROJECT_LABEL];
  if (owner !== s.project)
    throw new Error(
      `container ${s.container} is not this project's (${owner === undefined ? 'not made by kolla' : `project "${owner}"`})`,
    );
  const dir = s.dir.replace(/\/+$/, '');
  if (!c.Mounts.some((m) => m.Destination === dir))
    throw new Error(
      `${s.dir} is not a volume of container ${s.container}: a backup there would be lost with the container (mount one, e.g. volumes = ["mariadb_backup:${dir}"])`,
    );
}

async function shell(
  docker: Dockerode,
  s: BackupServer,
  script: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<string> {
  const environment: Record<string, string> = {
    ...env,
    KOLLA_BACKUP_DIR: s.dir,
    KOLLA_ADMIN: s.adminUser,
  };
  if (s.adminPassword !== undefined) environment.MYSQL_PWD = s.adminPassword;
  const r = await execWithStdin(docker, s.container, ['bash', '-c', script], '', {
    environment,
    user: 'root',
    timeoutMs,
  });
  if (r.exitCode !== 0) {
    let msg = r.stderr.trim() || r.stdout.trim() || '(no output)';
    if (s.adminPassword) msg = msg.split(s.adminPassword).join('(sensitive)');
    throw new Error(`exited with code ${r.exitCode}: ${msg}`);
  }
  return r.stdout;
}

/**
 * Dumps `schemas` into a new backup. Then, unless `keep` is Infinity, removes the oldest
 * backups *of the same schemas* beyond `keep` (so that one service's backups never push
 * another's out), never one named in `protect`.
 */
export async function takeBackup(
  docker: Dockerode,
  s: BackupServer,
  schemas: readonly string[],
  reason: string,
  opts: { keep: number; timeoutMs: number; id?: string; protect?: ReadonlySet<string> },
): Promise<{ meta: BackupMeta; pruned: string[] }> {
  await checkServer(docker, s);
  for (const x of schemas) if (!/^[A-Za-z0-9_]{1,64}$/.test(x)) throw new Error(`bad schema name "${x}"`);
  const meta: BackupMeta = {
    id: opts.id ?? newBackupId(),
    created: new Date().toISOString(),
    schemas: [...schemas],
    reason,
  };
  try {
    await shell(
      docker,
      s,
      TAKE,
      { KOLLA_ID: meta.id, KOLLA_SCHEMAS: schemas.join(' '), KOLLA_META: JSON.stringify(meta) },
      opts.timeoutMs,
    );
  } catch (e) {
    throw new Error(`backup of ${schemas.join(', ')} in ${s.container} failed: ${(e as Error).message}`);
  }
  if (!Number.isFinite(opts.keep)) return { meta, pruned: [] };
  const key = [...schemas].sort().join(',');
  const same = (await listBackups(docker, s, opts.timeoutMs)).filter(
    (b) => [...b.schemas].sort().join(',') === key,
  );
  const pruned = same
    .slice(0, Math.max(0, same.length - Math.max(1, opts.keep)))
    .map((b) => b.id)
    .filter((id) => id !== meta.id && !opts.protect?.has(id) && isBackupId(id));
  if (pruned.length) await shell(docker, s, REMOVE, { KOLLA_IDS: pruned.join(' ') }, opts.timeoutMs);
  return { meta, pruned };
}

/** Loads backup `id` back into the server (each schema it holds dropped and made again). */
export async function restoreBackup(
  docker: Dockerode,
  s: BackupServer,
  id: string,
  timeoutMs: number,
): Promise<void> {
  if (!isBackupId(id)) throw new Error(`"${id}" is not a backup ID`);
  await checkServer(docker, s);
  try {
    await shell(docker, s, RESTORE, { KOLLA_ID: id }, timeoutMs);
  } catch (e) {
    throw new Error(`restore of backup ${id} in ${s.container} failed: ${(e as Error).message}`);
  }
}

/** The backups in the server's directory, oldest first. */
export async function listBackups(
  docker: Dockerode,
  s: BackupServer,
  timeoutMs: number,
): Promise<BackupMeta[]> {
  await checkServer(docker, s);
  const out = await shell(docker, s, LIST, {}, timeoutMs);
  const list: BackupMeta[] = [];
  for (const line of out.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    try {
      const m = JSON.parse(line.slice(tab + 1)) as BackupMeta;
      if (typeof m.id === 'string' && isBackupId(m.id)) list.push({ ...m, size: Number(line.slice(0, tab)) });
    } catch {
      // not one of kolla's: left alone
    }
  }
  return list.sort((a, b) => a.id.localeCompare(b.id));
}
