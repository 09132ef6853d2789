/**
 * Data that survives a rollback (issue #19 items 2 and 3), with the real kolla binary, the
 * real Docker engine and a real MariaDB (kolla/mariadb:zed): a bootstrap that `migrates` a
 * schema adds a table per "version" (as a db_sync would); the app's health check fails or
 * passes by a variable.
 * - A first run takes no backup (nothing to keep); a re-run is planned "backs up … first".
 * - A failed health gate rolls back: the schema is restored from the backup taken before the
 *   migration (the added table gone, rows written before kept), before the old container.
 * - kill -9 after the migration, then the next apply's recovery: the same.
 * - A successful apply leaves its backup in `kolla backup list`; `backup restore` brings it back.
 * - `backup create` keeps backup_retention backups; an unknown ID fails with exit 1.
 * - `kolla rollback --to` across a migration restores the backup taken before it.
 * - A rotated password whose apply fails is set back (the old one logs in again).
 * - No secret value in any output or the state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { IMAGE_1, cleanupProject, ensureDocker, uniqueProject } from '../helpers/docker.js';
import { MARIADB_IMAGE, MARIADB_SERVER_SCRIPT, ensureMariadbImage } from '../helpers/mariadb.js';
import { buildOnce, configDir, kolla, type RunResult } from '../helpers/kolla.js';
import { execWithStdin } from '../../src/providers/docker/sql-exec.js';

const IMAGE = MARIADB_IMAGE;
const project = uniqueProject('dbbackup');
const SERVER = `${project}_mariadb`;
const SCHEMA = project.replace(/-/g, '_');
const ROOT_PW = `root-${project}-Pw`;
const APP_PW = `app-${project}-S3cret`;
let docker: Dockerode;
let dir: string;

/** The migration: one table per version, made by the app's own account over TCP. */
const MIGRATE = `mysql -h 127.0.0.1 -u app_user -e "CREATE TABLE IF NOT EXISTS ${SCHEMA}.migration_$VERSION (id INT)"`;

const MAIN = `
kolla {
  project          = "${project}"
  settle_time      = "1s"
  backup_retention = 3
}
variable "version" { default = "1" }
variable "healthy" { default = true }
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
secret "root_pw" {}
secret "app_pw" {}
volume "${project}_db" {}
volume "${project}_backup" {}
service "mariadb" {
  hosts = group.all
  container "mariadb" {
    name         = "${SERVER}"
    image        = "${IMAGE}"
    kolla_start  = false
    network_mode = "bridge"
    entrypoint   = ["sh", "-c"]
    command      = [${JSON.stringify(MARIADB_SERVER_SCRIPT)}]
    environment  = { ROOT_PW = secret.root_pw }
    volumes      = ["${project}_db:/var/lib/mysql", "${project}_backup:/backup"]
    stop_timeout = "10s"
    healthcheck {
      test     = ["CMD-SHELL", "mysqladmin -h 127.0.0.1 ping --silent"]
      interval = "1s"
      retries  = 60
    }
  }
  database "app" {
    container      = "mariadb"
    schema         = "${SCHEMA}"
    user           = "app_user"
    password       = secret.app_pw
    admin_password = secret.root_pw
  }
}
service "app" {
  hosts      = group.all
  depends_on = [service.mariadb]
  bootstrap "migrate" {
    image        = "${IMAGE}"
    network_mode = "container:${SERVER}"
    migrates     = ["${SCHEMA}"]
    command      = ["sh", "-c", ${JSON.stringify(MIGRATE)}]
    environment  = { VERSION = var.version, MYSQL_PWD = secret.app_pw }
  }
  container "app" {
    name        = "${project}_app"
    image       = "${IMAGE_1}"
    kolla_start = false
    command     = ["sleep", "3600"]
    environment = { VERSION = var.version }
    healthcheck {
      test         = ["CMD", "${'$'}{var.healthy ? "true" : "false"}"]
      interval     = "1s"
      retries      = 2
      start_period = "0s"
    }
  }
}
`;

function ok(r: RunResult): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`).toBe(0);
}

async function asRoot(sql: string): Promise<string> {
  const r = await execWithStdin(docker, SERVER, ['mysql', '-u', 'root', '-N', '-B'], sql, {
    environment: { MYSQL_PWD: ROOT_PW },
    timeoutMs: 30_000,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

/** Does app_user log in over TCP with this password? */
async function canLogin(password: string): Promise<boolean> {
  const r = await execWithStdin(
    docker,
    SERVER,
    ['mysql', '-h', '127.0.0.1', '-u', 'app_user', '-N', '-B'],
    'SELECT 1;',
    {
      environment: { MYSQL_PWD: password },
      timeoutMs: 30_000,
    },
  );
  return r.exitCode === 0;
}

async function tables(): Promise<string[]> {
  return (
    await asRoot(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = '${SCHEMA}' ORDER BY 1;`,
    )
  )
    .split('\n')
    .filter(Boolean);
}

async function rows(): Promise<string> {
  return (await asRoot(`SELECT GROUP_CONCAT(x ORDER BY x) FROM ${SCHEMA}.data;`)).trim();
}

function stateText(): string {
  return readFileSync(path.join(dir, 'kolla.state.json'), 'utf8');
}

function expectNoSecret(...texts: string[]): void {
  for (const t of texts) for (const v of [ROOT_PW, APP_PW]) expect(t).not.toContain(v);
}

interface Listed {
  servers: {
    container: string;
    backups: { id: string; schemas: string[]; reason: string; size: number }[];
  }[];
}

async function listed(): Promise<Listed['servers'][number]['backups']> {
  const r = await kolla(['backup', 'list', '--json'], { cwd: dir });
  ok(r);
  const j = JSON.parse(r.stdout) as Listed;
  expect(j.servers.map((s) => s.container)).toEqual([SERVER]);
  return j.servers[0]!.backups;
}

const v = (version: number, healthy = true): string[] => [
  '-auto-approve',
  '--var',
  `version=${version}`,
  '--var',
  `healthy=${healthy}`,
];

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  await ensureMariadbImage(docker);
  dir = configDir({ 'main.hcl': MAIN });
  const f = path.join(dir, 'kolla.secrets.json');
  writeFileSync(f, JSON.stringify({ root_pw: ROOT_PW, app_pw: APP_PW }));
  chmodSync(f, 0o600);
}, 1_800_000);

afterAll(async () => {
  await cleanupProject(docker, project);
}, 60_000);

describe('backups before migrations, restored on rollback', () => {
  it('a first run migrates without a backup (there is nothing to keep yet)', async () => {
    const a = await kolla(['apply', ...v(1)], { cwd: dir });
    ok(a);
    expect(a.stdout).not.toContain('backs up');
    expect(await tables()).toEqual(['migration_1']);
    await asRoot(`CREATE TABLE ${SCHEMA}.data (x INT); INSERT INTO ${SCHEMA}.data VALUES (1), (2), (3);`);
    expect(await listed()).toEqual([]);
  }, 900_000);

  it('a failed health gate restores the schema from the backup taken before the migration', async () => {
    const p = await kolla(['plan', '--var', 'version=2', '--var', 'healthy=false'], { cwd: dir });
    ok(p);
    expect(p.stdout).toContain(`(backs up ${SCHEMA} first: a rollback restores the backup)`);
    expect(p.stdout).toContain(`# backs up ${SCHEMA} first (in ${SERVER}:/backup on local)`);
    const a = await kolla(['apply', ...v(2, false)], { cwd: dir });
    expect(a.code, a.stdout).toBe(1);
    const out = a.stdout + a.stderr;
    expect(out).toMatch(
      new RegExp(
        `restore ${SCHEMA} on local from backup \\S+ \\(taken before service\\.app\\.bootstrap\\.migrate\\)`,
      ),
    );
    // Restored before the previous container comes back (the undo of the container step).
    const restoreAt = out.indexOf(`rollback: restore ${SCHEMA}`);
    expect(restoreAt).toBeGreaterThan(-1);
    expect(restoreAt).toBeLessThan(out.indexOf(`rollback: restore container ${project}_app`));
    // The migration's table is gone, the rows written before it are there.
    expect(await tables()).toEqual(['data', 'migration_1']);
    expect(await rows()).toBe('1,2,3');
    const b = await listed();
    expect(b).toHaveLength(1);
    expect(b[0]!.reason).toBe('before service.app.bootstrap.migrate');
    expect(b[0]!.schemas).toEqual([SCHEMA]);
    expect(b[0]!.size).toBeGreaterThan(0);
    expectNoSecret(p.stdout, a.stdout, a.stderr, stateText());
  }, 600_000);

  it('a kill -9 after the migration, then the next apply: the interrupted apply is rolled back with the data', async () => {
    const killed = await kolla(['apply', ...v(3)], {
      cwd: dir,
      env: { KOLLA_TEST_CRASH_AT: 'after-bootstrap' },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(await tables()).toEqual(['data', 'migration_1', 'migration_3']);
    // The same configuration as before the interrupted apply: recovery, then nothing to do.
    const a = await kolla(['apply', ...v(1)], { cwd: dir });
    ok(a);
    expect(a.stdout + a.stderr).toMatch(new RegExp(`restore ${SCHEMA} on local from backup`));
    expect(await tables()).toEqual(['data', 'migration_1']);
    expect(await rows()).toBe('1,2,3');
    expect((await kolla(['plan', '-detailed-exitcode', '--var', 'version=1'], { cwd: dir })).code).toBe(0);
  }, 600_000);

  it('a successful migration keeps its backup, which backup restore brings back', async () => {
    const a = await kolla(['apply', ...v(4)], { cwd: dir });
    ok(a);
    expect(await tables()).toEqual(['data', 'migration_1', 'migration_4']);
    const st = JSON.parse(stateText()) as {
      resources: {
        address: string;
        backups?: { id: string; schemas: string[]; admin_password?: string }[];
      }[];
    };
    const records = st.resources.find((r) => r.address === 'service.app.bootstrap.migrate')?.backups;
    expect(records).toHaveLength(1);
    expect(records![0]!.schemas).toEqual([SCHEMA]);
    expect(records![0]!.admin_password).toBe('((secret.root_pw))');
    const taken = records!.map((b) => b.id);
    expect((await listed()).map((b) => b.id)).toContain(taken[0]);
    const show = await kolla(['state', 'show', 'service.app.bootstrap.migrate'], { cwd: dir });
    expect(show.stdout).toContain(taken[0]);

    await asRoot(`INSERT INTO ${SCHEMA}.data VALUES (4);`);
    const r = await kolla(['backup', 'restore', taken![0]!, '-auto-approve'], { cwd: dir });
    ok(r);
    expect(r.stdout).toContain(`Restored ${SCHEMA} on local (${SERVER}) from backup ${taken![0]}`);
    expect(await tables()).toEqual(['data', 'migration_1']);
    expect(await rows()).toBe('1,2,3');
  }, 600_000);

  it('backup create keeps backup_retention backups; restore of an unknown ID fails', async () => {
    for (let i = 0; i < 3; i++) {
      const c = await kolla(['backup', 'create', SCHEMA], { cwd: dir });
      ok(c);
      expect(c.stdout).toContain(SCHEMA);
    }
    const b = await listed();
    // The newest 3 of these schemas, and the one the state names (rollback --to may need it).
    const st = JSON.parse(stateText()) as { resources: { address: string; backups?: { id: string }[] }[] };
    const named = st.resources.find((r) => r.address === 'service.app.bootstrap.migrate')!.backups![0]!.id;
    expect(b.filter((x) => x.reason === 'kolla backup create')).toHaveLength(3);
    expect(b.map((x) => x.id).sort()).toEqual(
      [named, ...b.filter((x) => x.reason === 'kolla backup create').map((x) => x.id)].sort(),
    );
    const bad = await kolla(['backup', 'create', 'nosuchdb'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no database named "nosuchdb"');
    const r = await kolla(['backup', 'restore', '20200101T000000Z-abcdef', '-auto-approve'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no backup "20200101T000000Z-abcdef"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const files = execFileSync('docker', [
      'exec',
      SERVER,
      'stat',
      '-c',
      '%a',
      ...b.map((x) => `/backup/${x.id}.sql.gz`),
    ]).toString();
    expect(new Set(files.trim().split('\n'))).toEqual(new Set(['600']));
  }, 600_000);

  it('kolla rollback --to across a migration restores the schemas from the backup taken before it (after a backup of them as they are)', async () => {
    const before = (JSON.parse(stateText()) as { serial: number }).serial;
    ok(await kolla(['apply', ...v(5)], { cwd: dir }));
    expect(await tables()).toEqual(['data', 'migration_1', 'migration_5']);
    const p = await kolla(['rollback', '--to', String(before), '-auto-approve'], { cwd: dir });
    ok(p);
    expect(p.stdout).toMatch(
      new RegExp(
        `${SCHEMA}: restored from backup \\S+ \\(taken before the apply of serial ${before + 1} migrated them with service\\.app\\.bootstrap\\.migrate\\)`,
      ),
    );
    expect(p.stdout).toContain('the bootstrap itself does not run');
    expect(await tables()).toEqual(['data', 'migration_1']);
    expect(await rows()).toBe('1,2,3');
    const reasons = (await listed()).map((b) => b.reason);
    expect(reasons).toContain('before the rollback of service.app.bootstrap.migrate');
    // The app is back on version 4, and version 5 would migrate again (backed up first).
    const env = execFileSync('docker', [
      'inspect',
      '-f',
      '{{json .Config.Env}}',
      `${project}_app`,
    ]).toString();
    expect(env).toContain('VERSION=4');
    const again = await kolla(['plan', '--var', 'version=5'], { cwd: dir });
    expect(again.stdout).toContain(`(backs up ${SCHEMA} first: a rollback restores the backup)`);
    expectNoSecret(p.stdout, p.stderr, stateText());
  }, 600_000);

  it('a password rotation whose apply fails is rolled back: the old password logs in again, the new one does not', async () => {
    ok(await kolla(['secrets', 'rotate', 'app_pw'], { cwd: dir }));
    const secretsFile = path.join(dir, 'kolla.secrets.json');
    const rotated = (JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>)['app_pw']!;
    expect(rotated).not.toBe(APP_PW);
    const p = await kolla(['plan', '--var', 'version=4', '--var', 'healthy=false'], { cwd: dir });
    ok(p);
    expect(p.stdout).toContain('~ password = (sensitive) -> (sensitive)');
    const a = await kolla(['apply', ...v(4, false)], { cwd: dir });
    expect(a.code, a.stdout + a.stderr).toBe(1);
    expect(a.stdout + a.stderr).toContain(`rollback: set the password of 'app_user'@'%' back`);
    expect(await canLogin(APP_PW)).toBe(true);
    expect(await canLogin(rotated)).toBe(false);
    // The secret keeps its new value: the next plan shows the rotation again, and applies it.
    const again = await kolla(['plan', '--var', 'version=4'], { cwd: dir });
    expect(again.stdout).toContain('~ password = (sensitive) -> (sensitive)');
    ok(await kolla(['apply', ...v(4)], { cwd: dir }));
    expect(await canLogin(rotated)).toBe(true);
    expect(await canLogin(APP_PW)).toBe(false);
    for (const s of [p.stdout, a.stdout, a.stderr, again.stdout, stateText()])
      expect(s).not.toContain(rotated);
  }, 600_000);
});
