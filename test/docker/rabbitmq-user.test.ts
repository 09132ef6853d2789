/**
 * The `rabbitmq_user` block end to end, with the real kolla binary, the real Docker engine and
 * the real broker image (kolla/rabbitmq:zed, RabbitMQ 3.10; on a bridge network, no host
 * port): apply creates the vhost and the user (it authenticates, has its tags and
 * permissions); the next plan is empty; a user and a vhost deleted by hand are drift and apply
 * re-creates them; a rotated secret changes the password in place (the broker keeps running:
 * same container, same start time; the new password authenticates, the old does not); tags
 * and permissions change in place; a failed apply after a password change puts the old
 * password back; a block removed deletes the user and keeps the vhost, destroy --include-data
 * deletes the vhost too; no secret value in any
 * plan, --json output, error or the state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { IMAGE_1, cleanupProject, ensureDocker, uniqueProject } from '../helpers/docker.js';
import { buildOnce, configDir, kolla, type RunResult } from '../helpers/kolla.js';
import { execWithStdin } from '../../src/providers/docker/sql-exec.js';
import { EXPORT_DEFINITIONS } from '../../src/providers/docker/rabbitmqctl.js';
import { parseDefinitions, type Definitions } from '../../src/kinds/rabbitmq-user.js';

const IMAGE = 'kolla/rabbitmq:zed';
const project = uniqueProject('rmquser');
const BROKER = `${project}_rabbitmq`;
const VHOST = `${project}_vhost`;
const PW_1 = `first-${project}-S3cret`;
const ADDR = 'service.rabbitmq.rabbitmq_user.app';
let docker: Dockerode;
let dir: string;

const block = (tags: string, perms: string): string => `
  rabbitmq_user "app" {
    container   = "rabbitmq"
    user        = "app_user"
    vhost       = "${VHOST}"
    password    = secret.app_pw
    tags        = ${tags}
    permissions = ${perms}
  }`;
const BLOCK = block('["monitoring"]', '{ configure = "^app\\\\.", write = ".*", read = ".*" }');

const main = (users: string, extra = ''): string => `
kolla {
  project     = "${project}"
  settle_time = "1s"
}
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
secret "app_pw" {}
service "rabbitmq" {
  hosts = group.all
  container "rabbitmq" {
    name         = "${BROKER}"
    image        = "${IMAGE}"
    kolla_start  = false
    network_mode = "bridge"
    command      = ["/usr/lib/rabbitmq/bin/rabbitmq-server"]
    stop_timeout = "10s"
    healthcheck {
      test     = ["CMD-SHELL", "healthcheck_listen beam.smp 5672"]
      interval = "2s"
      retries  = 90
    }
  }
  ${users}
}
${extra}
`;

function ok(r: RunResult): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`).toBe(0);
}

function secrets(): Record<string, string> {
  return JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')) as Record<string, string>;
}

function stateText(): string {
  return readFileSync(path.join(dir, 'kolla.state.json'), 'utf8');
}

/** Nothing kolla printed or kept holds a secret value (nor the first password, once rotated). */
function expectNoSecret(...texts: string[]): void {
  for (const t of texts) for (const v of [...Object.values(secrets()), PW_1]) expect(t).not.toContain(v);
}

async function ctl(...args: string[]): Promise<{ code: number; out: string }> {
  const r = await execWithStdin(docker, BROKER, ['rabbitmqctl', '-q', ...args], '', { timeoutMs: 120_000 });
  return { code: r.exitCode, out: r.stdout + r.stderr };
}

/** Does the broker accept the password? (The test's own check; kolla never runs this.) */
async function authenticates(password: string): Promise<boolean> {
  return (await ctl('authenticate_user', 'app_user', password)).code === 0;
}

async function definitions(): Promise<{
  users: { name: string; tags: string[] }[];
  vhosts: { name: string }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
}> {
  const r = await ctl('export_definitions', '-', '--format', 'json');
  expect(r.code, r.out).toBe(0);
  return JSON.parse(r.out.slice(r.out.indexOf('{'))) as Awaited<ReturnType<typeof definitions>>;
}

async function startedAt(): Promise<string> {
  return (await docker.getContainer(BROKER).inspect()).State.StartedAt;
}

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  dir = configDir({ 'main.hcl': main(BLOCK) });
  const f = path.join(dir, 'kolla.secrets.json');
  writeFileSync(f, JSON.stringify({ app_pw: PW_1 }));
  chmodSync(f, 0o600);
}, 600_000);

afterAll(async () => {
  await cleanupProject(docker, project);
}, 60_000);

describe('rabbitmq_user block', () => {
  it('apply creates the vhost and the user; the next plan is empty', async () => {
    const p = await kolla(['plan'], { cwd: dir });
    ok(p);
    expect(p.stdout).toContain(`# ${ADDR} will be created`);
    expect(p.stdout).toMatch(/\+ rabbitmq_user "app" \{/);
    expect(p.stdout).toContain('+ password = (sensitive)');
    const a = await kolla(['apply', '-auto-approve'], { cwd: dir });
    ok(a);
    expect(await authenticates(PW_1)).toBe(true);
    const d = await definitions();
    expect(d.vhosts.map((v) => v.name)).toContain(VHOST);
    expect(d.users.find((u) => u.name === 'app_user')?.tags).toEqual(['monitoring']);
    expect(d.permissions.find((x) => x.user === 'app_user')).toEqual({
      user: 'app_user',
      vhost: VHOST,
      configure: '^app\\.',
      write: '.*',
      read: '.*',
    });
    const again = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const json = await kolla(['plan', '--json'], { cwd: dir });
    ok(json);
    expectNoSecret(p.stdout, p.stderr, a.stdout, a.stderr, json.stdout, stateText());
    const st = JSON.parse(stateText()) as {
      resources: { address: string; rabbitmq_user?: { password_verifier: string } }[];
    };
    expect(st.resources.find((r) => r.address === ADDR)?.rabbitmq_user?.password_verifier).toMatch(
      /^hmac-sha256\$/,
    );
  }, 900_000);

  it('the read goes through erl_call (no Erlang VM of its own), and through rabbitmqctl when that fails', async () => {
    const parse = (out: string): Definitions => parseDefinitions(out);
    // erl_call evaluates one expression on the node: only users, vhosts and permissions.
    const fast = await execWithStdin(docker, BROKER, EXPORT_DEFINITIONS, '', { timeoutMs: 60_000 });
    expect(fast.exitCode, fast.stderr).toBe(0);
    expect(fast.stdout.startsWith('{'), fast.stdout.slice(0, 200)).toBe(true);
    expect(Object.keys(JSON.parse(fast.stdout) as object).sort()).toEqual(['permissions', 'users', 'vhosts']);
    const a = parse(fast.stdout);
    expect(a.users.get('app_user')?.tags).toEqual(['monitoring']);
    // Env files in which erl_call fails, or prints what is not definitions (it exits 0 with no
    // output when the expression raises): the same definitions from rabbitmqctl.
    const envFiles = {
      '/tmp/kolla-erl-call-fails': 'erl_call() { return 1; }',
      '/tmp/kolla-erl-call-prints-no-json': 'erl_call() { cat >/dev/null; echo not-json; }',
    };
    for (const [file, body] of Object.entries(envFiles)) {
      const w = await execWithStdin(docker, BROKER, ['sh', '-c', `cat > ${file}`], `${body}\n`, {
        timeoutMs: 10_000,
      });
      expect(w.exitCode, w.stderr).toBe(0);
      const slow = await execWithStdin(docker, BROKER, EXPORT_DEFINITIONS, '', {
        timeoutMs: 120_000,
        environment: { RABBITMQ_CONF_ENV_FILE: file },
      });
      expect(slow.exitCode, slow.stderr).toBe(0);
      expect(slow.stdout).toContain('"rabbit_version"');
      const b = parse(slow.stdout);
      expect([...b.users.keys()].sort()).toEqual([...a.users.keys()].sort());
      expect(b.users.get('app_user')).toEqual(a.users.get('app_user'));
      expect([...b.permissions.entries()].sort()).toEqual([...a.permissions.entries()].sort());
      expect([...b.vhosts].sort()).toEqual([...a.vhosts].sort());
    }
  }, 300_000);

  it('a user and its vhost deleted by hand are drift; apply re-creates them', async () => {
    expect((await ctl('delete_user', 'app_user')).code).toBe(0);
    expect((await ctl('delete_vhost', VHOST)).code).toBe(0);
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toContain('user app_user was deleted outside kolla');
    expect(p.stdout).toContain(`vhost ${VHOST} was deleted outside kolla`);
    expect(p.stdout).toContain(`# ${ADDR} will be updated in-place`);
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await authenticates(PW_1)).toBe(true);
    expect((await definitions()).permissions.find((x) => x.user === 'app_user')?.vhost).toBe(VHOST);
    expect((await kolla(['plan', '-detailed-exitcode'], { cwd: dir })).code).toBe(0);
  }, 600_000);

  it('a rotated secret changes the password in place: the new one authenticates, the old does not', async () => {
    const before = await startedAt();
    ok(await kolla(['secrets', 'rotate', 'app_pw'], { cwd: dir }));
    const next = secrets()['app_pw']!;
    expect(next).not.toBe(PW_1);
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toContain('~ password = (sensitive) -> (sensitive)');
    expect(p.stdout).toContain('the password of user app_user differs from its secret');
    expect(p.stdout).not.toMatch(/container "rabbitmq"/);
    const json = await kolla(['plan', '--json'], { cwd: dir });
    const a = await kolla(['apply', '-auto-approve'], { cwd: dir });
    ok(a);
    expect(await authenticates(next)).toBe(true);
    expect(await authenticates(PW_1)).toBe(false);
    expect(await startedAt()).toBe(before);
    expect((await kolla(['plan', '-detailed-exitcode'], { cwd: dir })).code).toBe(0);
    expectNoSecret(p.stdout, json.stdout, a.stdout, a.stderr, stateText());
  }, 600_000);

  it('tags and permissions change in place', async () => {
    writeFileSync(
      path.join(dir, 'main.hcl'),
      main(block('["administrator", "monitoring"]', '{ configure = ".*", write = "^w", read = ".*" }')),
    );
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toContain(`# ${ADDR} will be updated in-place`);
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    const d = await definitions();
    expect(d.users.find((u) => u.name === 'app_user')?.tags).toEqual(['administrator', 'monitoring']);
    expect(d.permissions.find((x) => x.user === 'app_user')).toMatchObject({ configure: '.*', write: '^w' });
    expect(await authenticates(secrets()['app_pw']!)).toBe(true);
    expect((await kolla(['plan', '-detailed-exitcode'], { cwd: dir })).code).toBe(0);
  }, 600_000);

  it('a failed apply after a password change is rolled back: the old password again', async () => {
    const old = secrets()['app_pw']!;
    ok(await kolla(['secrets', 'rotate', 'app_pw'], { cwd: dir }));
    const next = secrets()['app_pw']!;
    // A service after rabbitmq (and so after its users) whose task fails.
    writeFileSync(
      path.join(dir, 'main.hcl'),
      main(
        block('["administrator", "monitoring"]', '{ configure = ".*", write = "^w", read = ".*" }'),
        `
service "app" {
  hosts      = group.all
  depends_on = [service.rabbitmq]
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
    depends_on = [service.rabbitmq]
    command    = ["sh", "-c", "echo broken; exit 4"]
  }
}
`,
      ),
    );
    const r = await kolla(['apply', '-auto-approve'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      'rollback: set user app_user back to its password, tags and permissions before the apply',
    );
    expect(await authenticates(old)).toBe(true);
    expect(await authenticates(next)).toBe(false);
    expectNoSecret(r.stdout, r.stderr, stateText());
    expect(r.stdout + r.stderr + stateText()).not.toContain(old);
  }, 600_000);

  it('a block removed deletes the user and keeps the vhost', async () => {
    writeFileSync(path.join(dir, 'main.hcl'), main(''));
    const p = await kolla(['plan'], { cwd: dir });
    ok(p);
    expect(p.stdout).toContain(`deletes the user app_user; keeps the vhost ${VHOST} and its queues`);
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    const d = await definitions();
    expect(d.users.map((u) => u.name)).not.toContain('app_user');
    expect(d.vhosts.map((v) => v.name)).toContain(VHOST);
    expect(stateText()).not.toContain('app_user');
  }, 600_000);

  it('destroy --include-data of the user deletes its vhost too; the broker keeps running', async () => {
    writeFileSync(path.join(dir, 'main.hcl'), main(BLOCK));
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await authenticates(secrets()['app_pw']!)).toBe(true);
    const before = await startedAt();
    const d = await kolla(['destroy', '-auto-approve', '--include-data', '-target', ADDR], { cwd: dir });
    ok(d);
    expect(d.stdout).toContain(
      `deletes the user app_user and the vhost ${VHOST} with its queues and messages`,
    );
    const defs = await definitions();
    expect(defs.users.map((u) => u.name)).not.toContain('app_user');
    expect(defs.vhosts.map((v) => v.name)).not.toContain(VHOST);
    expect(await startedAt()).toBe(before);
    // Nor in the broker's own log file, where every import and user change of the test is recorded.
    const log = await execWithStdin(docker, BROKER, ['sh', '-c', 'cat /var/log/rabbitmq/*.log'], '', {
      timeoutMs: 60_000,
    });
    const logs = log.stdout;
    expect(logs).toContain('Asked to import definitions');
    expect(logs).toContain(`Created user 'app_user'`);
    expectNoSecret(d.stdout, d.stderr, stateText(), logs);
  }, 600_000);
});
