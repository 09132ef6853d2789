/**
 * The `database` block end to end, with the real kolla binary, the real Docker engine and a
 * real MariaDB (kolla/mariadb:zed, built here if missing, its data on a project volume): apply
 * creates the schema and account (the account logs in); the next plan is empty; an account
 * dropped by hand is drift and apply re-creates it; a rotated secret is an ALTER USER (the new
 * password logs in, the old does not); no secret value in any plan, --json output or the state;
 * destroy drops the account and keeps the schema, destroy --include-data drops it; a failed
 * apply's rollback drops the account it created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { IMAGE_1, cleanupProject, ensureDocker, uniqueProject } from '../helpers/docker.js';
import { MARIADB_IMAGE, MARIADB_SERVER_SCRIPT, ensureMariadbImage } from '../helpers/mariadb.js';
import { buildOnce, configDir, kolla, type RunResult } from '../helpers/kolla.js';
import { execWithStdin } from '../../src/providers/docker/sql-exec.js';

const IMAGE = MARIADB_IMAGE;
const project = uniqueProject('dbkind');
const SERVER = `${project}_mariadb`;
const ROOT_PW = `root-${project}-Pw`;
const DB_PW_1 = `first-${project}-S3cret`;
let docker: Dockerode;
let dir: string;

const MAIN = `
kolla {
  project     = "${project}"
  settle_time = "1s"
}
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
secret "root_pw" {}
secret "app_pw" {}
volume "${project}_db" {}
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
    volumes      = ["${project}_db:/var/lib/mysql"]
    stop_timeout = "10s"
    healthcheck {
      test     = ["CMD-SHELL", "mysqladmin -h 127.0.0.1 ping --silent"]
      interval = "1s"
      retries  = 60
    }
  }
  database "app" {
    container      = "mariadb"
    schema         = "${project.replace(/-/g, '_')}"
    user           = "app_user"
    password       = secret.app_pw
    admin_password = secret.root_pw
  }
}
`;
const SCHEMA = project.replace(/-/g, '_');
const ADDR = 'service.mariadb.database.app';

function ok(r: RunResult): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`).toBe(0);
}

function secrets(): Record<string, string> {
  return JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')) as Record<string, string>;
}

/** Can `user` log in with `password` over TCP (the '%' account)? */
async function canLogin(user: string, password: string): Promise<boolean> {
  const r = await execWithStdin(
    docker,
    SERVER,
    ['mysql', '-h', '127.0.0.1', '-u', user, '-N', '-B'],
    `USE ${SCHEMA}; SELECT 1;`,
    {
      environment: { MYSQL_PWD: password },
      timeoutMs: 30_000,
    },
  );
  return r.exitCode === 0;
}

async function asRoot(sql: string): Promise<string> {
  const r = await execWithStdin(docker, SERVER, ['mysql', '-u', 'root', '-N', '-B'], sql, {
    environment: { MYSQL_PWD: ROOT_PW },
    timeoutMs: 30_000,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

/** Nothing kolla printed or kept holds a secret value. */
function expectNoSecret(...texts: string[]): void {
  const values = Object.values(secrets());
  for (const t of texts) for (const v of values) expect(t).not.toContain(v);
}

function stateText(): string {
  return readFileSync(path.join(dir, 'kolla.state.json'), 'utf8');
}

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  await ensureMariadbImage(docker);
  dir = configDir({ 'main.hcl': MAIN });
  const f = path.join(dir, 'kolla.secrets.json');
  writeFileSync(f, JSON.stringify({ root_pw: ROOT_PW, app_pw: DB_PW_1 }));
  chmodSync(f, 0o600);
}, 1_800_000);

afterAll(async () => {
  await cleanupProject(docker, project);
}, 60_000);

describe('database block', () => {
  it('apply creates the schema and the account; the next plan is empty', async () => {
    const p = await kolla(['plan'], { cwd: dir });
    ok(p);
    expect(p.stdout).toContain(`# ${ADDR} will be created`);
    expect(p.stdout).toMatch(/\+ database "app" \{/);
    expect(p.stdout).toContain('+ password = (sensitive)');
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await canLogin('app_user', DB_PW_1)).toBe(true);
    const again = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(again.code, again.stdout).toBe(0);
    const json = await kolla(['plan', '--json'], { cwd: dir });
    ok(json);
    expectNoSecret(p.stdout, p.stderr, json.stdout, stateText());
    const st = JSON.parse(stateText()) as {
      resources: { address: string; database?: { password_verifier: string } }[];
    };
    expect(st.resources.find((r) => r.address === ADDR)?.database?.password_verifier).toMatch(
      /^hmac-sha256\$/,
    );
  }, 600_000);

  it('an account dropped by hand is drift; apply re-creates it', async () => {
    await asRoot(`DROP USER 'app_user'@'%';`);
    expect(await canLogin('app_user', DB_PW_1)).toBe(false);
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toContain(`account 'app_user'@'%' was dropped outside kolla`);
    expect(p.stdout).toContain(`# ${ADDR} will be updated in-place`);
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await canLogin('app_user', DB_PW_1)).toBe(true);
    expect((await kolla(['plan', '-detailed-exitcode'], { cwd: dir })).code).toBe(0);
  }, 300_000);

  it('a rotated secret is an ALTER USER: the new password logs in, the old does not', async () => {
    ok(await kolla(['secrets', 'rotate', 'app_pw'], { cwd: dir }));
    const next = secrets()['app_pw']!;
    expect(next).not.toBe(DB_PW_1);
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toContain(`~ password = (sensitive) -> (sensitive)`);
    expect(p.stdout).toContain(`the password of 'app_user'@'%' differs from its secret`);
    const json = await kolla(['plan', '--json'], { cwd: dir });
    const a = await kolla(['apply', '-auto-approve'], { cwd: dir });
    ok(a);
    expect(await canLogin('app_user', next)).toBe(true);
    expect(await canLogin('app_user', DB_PW_1)).toBe(false);
    expect((await kolla(['plan', '-detailed-exitcode'], { cwd: dir })).code).toBe(0);
    expectNoSecret(p.stdout, json.stdout, a.stdout, a.stderr, stateText());
    expect(p.stdout + json.stdout + stateText()).not.toContain(DB_PW_1);
  }, 300_000);

  it('destroy drops the account and keeps the schema; destroy --include-data drops it', async () => {
    await asRoot(`CREATE TABLE ${SCHEMA}.t (x INT); INSERT INTO ${SCHEMA}.t VALUES (42);`);
    const p = await kolla(['plan', '--destroy'], { cwd: dir });
    ok(p);
    expect(p.stdout).toContain(`keeps the schema ${SCHEMA} and its data (destroy --include-data drops it)`);
    ok(await kolla(['destroy', '-auto-approve'], { cwd: dir }));
    // The server's data is on the kept volume: bring it back and look.
    ok(await kolla(['apply', '-auto-approve', '-target', 'service.mariadb.container.mariadb'], { cwd: dir }));
    expect((await asRoot(`SELECT x FROM ${SCHEMA}.t;`)).trim()).toBe('42');
    expect((await asRoot(`SELECT COUNT(*) FROM mysql.user WHERE User = 'app_user';`)).trim()).toBe('0');

    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await canLogin('app_user', secrets()['app_pw']!)).toBe(true);
    const d = await kolla(['destroy', '-auto-approve', '--include-data'], { cwd: dir });
    ok(d);
    ok(await kolla(['apply', '-auto-approve', '-target', 'service.mariadb.container.mariadb'], { cwd: dir }));
    expect((await asRoot(`SHOW DATABASES LIKE '${SCHEMA}';`)).trim()).toBe('');
    expectNoSecret(d.stdout, d.stderr, stateText());
  }, 600_000);

  it('a failed apply is rolled back: the account it created is dropped, the schema kept', async () => {
    // A service after mariadb (and so after its databases) whose task fails.
    writeFileSync(
      path.join(dir, 'main.hcl'),
      MAIN +
        `
service "app" {
  hosts      = group.all
  depends_on = [service.mariadb]
  container "app" {
    name         = "${project}_app"
    image        = "${IMAGE_1}"
    kolla_start  = false
    network_mode = "none"
    command      = ["sleep", "2147483647"]
    stop_timeout = "1s"
  }
  task "fails" {
    container  = "app"
    depends_on = [service.mariadb]
    command    = ["sh", "-c", "echo broken; exit 4"]
  }
}
`,
    );
    const r = await kolla(['apply', '-auto-approve'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`rollback: drop new account 'app_user'@'%'`);
    expect(r.stderr).toContain(`${ADDR}: the schema ${SCHEMA} is kept (it may hold data)`);
    expect((await asRoot(`SELECT COUNT(*) FROM mysql.user WHERE User = 'app_user';`)).trim()).toBe('0');
    expect((await asRoot(`SHOW DATABASES LIKE '${SCHEMA}';`)).trim()).toBe(SCHEMA);
    expectNoSecret(r.stdout, r.stderr, stateText());
  }, 300_000);
});
