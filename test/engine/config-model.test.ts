/**
 * The Kolla config model against the real engine: templates with layered overrides,
 * config.json, restarts of exactly the containers whose files changed, COPY_ONCE
 * recreation, bootstrap tasks, and secrets that never reach the output or the state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { cleanupProject, ensureDocker, uniqueProject } from '../helpers/docker.js';
import { buildOnce, configDir, kolla } from '../helpers/kolla.js';

let docker: Dockerode;
const project = uniqueProject('cfg');
const etc = mkdtempSync(path.join(os.tmpdir(), 'kolla-etc-'));
let dir: string;
const A = `${project}_a`;
const B = `${project}_b`;
const ONCE = `${project}_once`;

function main(opts: { bootCmd?: string; bootExit?: number } = {}): string {
  const boot =
    opts.bootExit !== undefined
      ? `echo booting; echo secret is \${secret.db_password}; exit ${opts.bootExit}`
      : (opts.bootCmd ?? 'echo ran >> /data/boot.log');
  return `
kolla {
  project     = "${project}"
  config_dir  = "${etc}"
  settle_time = "1s"
}
secret "db_password" { length = 24 }
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
volume "${project}_data" {}

service "a" {
  hosts = group.all
  config "a.conf" {
    template  = "templates/a.conf.j2"
    overrides = ["overrides/global.conf", "overrides/a.conf"]
    format    = "ini"
    dest      = "/etc/a/a.conf"
    owner     = "nobody"
    perm      = "0640"
  }
  bootstrap "init" {
    image   = "kolla-test/busybox:1"
    command = ["sh", "-c", "${boot.replace(/"/g, '\\"')}"]
    volumes = ["${project}_data:/data"]
  }
  container "${A}" {
    image        = "kolla-test/busybox:1"
    kolla_start  = false
    command      = "/bin/sleep 2147483647"
    stop_timeout = "1s"
    volumes      = ["${project}_data:/data"]
  }
}

service "b" {
  hosts = group.all
  config "b.conf" {
    template  = "templates/b.conf.j2"
    overrides = ["overrides/global.conf", "overrides/b.conf"]
    format    = "ini"
    dest      = "/etc/b/b.conf"
  }
  container "${B}" {
    image        = "kolla-test/busybox:1"
    # busybox has no kolla_start: the image's own CMD (sleep) runs; config.json is still written
    command      = "/usr/bin/b-server --debug"
    stop_timeout = "1s"
  }
  container "${ONCE}" {
    image        = "kolla-test/busybox:1"
    stop_timeout = "1s"
    environment  = { KOLLA_CONFIG_STRATEGY = "COPY_ONCE" }
  }
  config "once.conf" {
    content   = "value = \${var.once}\\n"
    container = "${ONCE}"
    dest      = "/etc/once.conf"
  }
}

variable "once" {
  type    = string
  default = "1"
}
`;
}

async function inspect(name: string): Promise<Dockerode.ContainerInspectInfo> {
  return docker.getContainer(name).inspect();
}

function ok(r: { code: number | null; stderr: string; stdout: string }): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`).toBe(0);
}

async function bootLog(): Promise<string> {
  const v = await docker.getVolume(`${project}_data`).inspect();
  return readFileSync(path.join(v.Mountpoint, 'boot.log'), 'utf8');
}

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  dir = configDir({
    'main.hcl': main(),
    'templates/a.conf.j2':
      '[DEFAULT]\nhost = {{ host.name }}\n\n[database]\nconnection = mysql://a:{{ secret.db_password }}@db/a\n',
    'templates/b.conf.j2': '[DEFAULT]\nname = {{ service.name }}\n',
    'overrides/global.conf': '[DEFAULT]\ndebug = False\n',
    'overrides/b.conf': '[extra]\nkey = one\n',
  });
}, 600_000);

afterAll(async () => {
  await cleanupProject(docker, project);
});

describe('config model', () => {
  it('refuses to plan while a used secret has no value', async () => {
    const r = await kolla(['plan'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No value for secret "db_password"/);
    expect(r.stderr).toMatch(/kolla secrets generate/);
  });

  it('delivers rendered, merged files and config.json with the right modes', async () => {
    ok(await kolla(['secrets', 'generate'], { cwd: dir }));
    const secrets = JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(statSync(path.join(dir, 'kolla.secrets.json')).mode & 0o777).toBe(0o600);
    const pw = secrets['db_password']!;
    expect(pw).toHaveLength(24);

    const p = await kolla(['plan'], { cwd: dir });
    ok(p);
    expect(p.stdout).toContain('connection = mysql://a:(sensitive)@db/a');
    expect(p.stdout + p.stderr).not.toContain(pw);
    expect(p.stdout).toMatch(/bootstrap\.init will run/);
    expect(p.stdout).toMatch(/irreversible/);

    const r = await kolla(['apply', '-auto-approve'], { cwd: dir });
    ok(r);
    expect(r.stdout + r.stderr).not.toContain(pw);
    const aconf = path.join(etc, A, 'a.conf');
    expect(readFileSync(aconf, 'utf8')).toBe(
      `[DEFAULT]\nhost = local\ndebug = False\n\n[database]\nconnection = mysql://a:${pw}@db/a\n\n`,
    );
    expect(statSync(aconf).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path.join(etc, A, 'config.json'), 'utf8'))).toEqual({
      config_files: [
        {
          source: '/var/lib/kolla/config_files/a.conf',
          dest: '/etc/a/a.conf',
          owner: 'nobody',
          perm: '0640',
        },
      ],
    });
    expect(JSON.parse(readFileSync(path.join(etc, B, 'config.json'), 'utf8'))).toEqual({
      command: '/usr/bin/b-server --debug',
      config_files: [
        { source: '/var/lib/kolla/config_files/b.conf', dest: '/etc/b/b.conf', owner: 'root', perm: '0600' },
      ],
    });
    const a = await inspect(A);
    expect(a.Mounts.some((m) => m.Destination === '/var/lib/kolla/config_files' && m.RW === false)).toBe(
      true,
    );
    expect(a.Config.Cmd).toEqual(['/bin/sleep', '2147483647']);
    const b = await inspect(B);
    expect(b.Config.Env).toContain('KOLLA_CONFIG_STRATEGY=COPY_ALWAYS');
    expect(b.Config.Env).toContain(`KOLLA_SERVICE_NAME=${B}`);
    const state = readFileSync(path.join(dir, 'kolla.state.json'), 'utf8');
    expect(state).not.toContain(pw);
    expect(state).toContain('((secret.db_password))');
    expect(await bootLog()).toBe('ran\n');
  });

  it('an unchanged bootstrap does not run again', async () => {
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(p.stdout).toContain('No changes.');
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await bootLog()).toBe('ran\n');
  });

  it('a changed override restarts exactly the container whose file changed', async () => {
    const before = { a: await inspect(A), b: await inspect(B), once: await inspect(ONCE) };
    writeFileSync(path.join(dir, 'overrides/b.conf'), '[extra]\nkey = two\n');
    const p = await kolla(['plan'], { cwd: dir });
    expect(p.stdout).toContain('-key = one');
    expect(p.stdout).toContain('+key = two');
    expect(p.stdout).toMatch(new RegExp(`container\\.${B}\\["local"\\] will be restarted`));
    expect(p.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy, 1 to restart.');
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    const after = { a: await inspect(A), b: await inspect(B), once: await inspect(ONCE) };
    expect(after.b.Id).toBe(before.b.Id);
    expect(after.b.State.StartedAt).not.toBe(before.b.State.StartedAt);
    expect(after.a.State.StartedAt).toBe(before.a.State.StartedAt);
    expect(after.once.State.StartedAt).toBe(before.once.State.StartedAt);
  });

  it('COPY_ONCE: a changed file recreates the container', async () => {
    const before = await inspect(ONCE);
    const p = await kolla(['plan', '-var', 'once=2'], { cwd: dir });
    expect(p.stdout).toMatch(/COPY_ONCE/);
    expect(p.stdout).toMatch(new RegExp(`container\\.${ONCE}\\["local"\\] must be replaced`));
    ok(await kolla(['apply', '-auto-approve', '-var', 'once=2'], { cwd: dir }));
    expect((await inspect(ONCE)).Id).not.toBe(before.Id);
  });

  it('a changed bootstrap runs again; a failing one aborts the apply and rolls back', async () => {
    writeFileSync(path.join(dir, 'main.hcl'), main({ bootCmd: 'echo again >> /data/boot.log' }));
    ok(await kolla(['apply', '-auto-approve', '-var', 'once=2'], { cwd: dir }));
    expect(await bootLog()).toBe('ran\nagain\n');

    const aBefore = await inspect(A);
    const conf = readFileSync(path.join(etc, A, 'a.conf'), 'utf8');
    writeFileSync(path.join(dir, 'overrides/global.conf'), '[DEFAULT]\ndebug = True\n');
    writeFileSync(path.join(dir, 'main.hcl'), main({ bootExit: 3 }));
    const r = await kolla(['apply', '-auto-approve', '-var', 'once=2'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bootstrap exited with code 3/);
    expect(r.stderr).toContain('booting');
    expect(r.stderr).toContain('secret is (sensitive)');
    const secrets = JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(r.stderr + r.stdout).not.toContain(secrets['db_password']!);
    expect(readFileSync(path.join(etc, A, 'a.conf'), 'utf8')).toBe(conf);
    const aAfter = await inspect(A);
    expect(aAfter.Id).toBe(aBefore.Id);
    expect(aAfter.State.Running).toBe(true);
  });

  it('kolla render writes the files locally', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'kolla-render-'));
    const r = await kolla(['render', 'service.a', '--out', out], { cwd: dir });
    ok(r);
    expect(readFileSync(path.join(out, 'local', A, 'a.conf'), 'utf8')).toContain('debug = True');
    expect(statSync(path.join(out, 'local', A, 'a.conf')).mode & 0o777).toBe(0o600);
  });
});
