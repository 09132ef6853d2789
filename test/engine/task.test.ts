/**
 * Post-start tasks against a real dockerd: a task runs in its running container after its
 * `until` condition succeeds (retried), once; it runs again only when its inputs change; a
 * condition that never succeeds fails the apply with its output and rolls it back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { cleanupProject, ensureDocker, IMAGE_1, uniqueProject } from '../helpers/docker.js';
import { buildOnce, configDir, kolla } from '../helpers/kolla.js';

let docker: Dockerode;
const project = uniqueProject('task');
let dir: string;

function ok(r: { code: number | null; stderr: string; stdout: string }): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`).toBe(0);
}

function main(opts: { hosts?: string; until?: string; retries?: number } = {}): string {
  return `
kolla {
  project     = "${project}"
  settle_time = "1s"
}
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
volume "${project}_data" {}
service "worker" {
  hosts = group.all
  container "${project}_worker" {
    image          = "${IMAGE_1}"
    kolla_start    = false
    command        = ["sh", "-c", "sleep 2 && touch /data/registered && exec sleep 2147483647"]
    volumes        = ["${project}_data:/data"]
    stop_timeout   = "1s"
  }
}
service "ctl" {
  hosts = group.all
  container "${project}_ctl" {
    image        = "${IMAGE_1}"
    kolla_start  = false
    command      = ["sleep", "2147483647"]
    volumes      = ["${project}_data:/data"]
    stop_timeout = "1s"
  }
  task "discover" {
    container  = "${project}_ctl"
    depends_on = [service.worker]
    until      = ${JSON.stringify(opts.until ?? 'test -f /data/registered')}
    retries    = ${opts.retries ?? 20}
    delay      = "500ms"
    command    = ["sh", "-c", "echo \\"discovered ${opts.hosts ?? 'a'}\\" >> /data/tasks.log"]
    triggers   = ["${opts.hosts ?? 'a'}"]
  }
}
`;
}

async function taskLog(): Promise<string> {
  const v = await docker.getVolume(`${project}_data`).inspect();
  try {
    return readFileSync(path.join(v.Mountpoint, 'tasks.log'), 'utf8');
  } catch {
    return '';
  }
}

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  dir = configDir({ 'main.hcl': main() });
}, 600_000);

afterAll(async () => {
  await cleanupProject(docker, project);
});

describe('task', () => {
  it('runs once its condition holds, after what it depends on, and only once', async () => {
    const p = await kolla(['plan'], { cwd: dir });
    ok(p);
    expect(p.stdout).toMatch(/service\.ctl\.task\.discover will run/);
    expect(p.stdout).toMatch(/▶ task "discover"/);
    expect(p.stdout).toMatch(/until = "test -f \/data\/registered"/);
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    // The worker touches /data/registered 2 s after it starts: the condition was retried.
    expect(await taskLog()).toBe('discovered a\n');
    expect((await kolla(['plan', '-detailed-exitcode'], { cwd: dir })).code).toBe(0);
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await taskLog()).toBe('discovered a\n');
  }, 120_000);

  it('runs again when its inputs change, and with -replace', async () => {
    writeFileSync(path.join(dir, 'main.hcl'), main({ hosts: 'a b' }));
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/its inputs \(command, condition, environment or triggers\) changed/);
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await taskLog()).toBe('discovered a\ndiscovered a b\n');
    ok(await kolla(['apply', '-auto-approve', '-replace', 'service.ctl.task.discover'], { cwd: dir }));
    expect(await taskLog()).toBe('discovered a\ndiscovered a b\ndiscovered a b\n');
  }, 120_000);

  it('fails the apply with the condition output when it never holds, and rolls back', async () => {
    writeFileSync(
      path.join(dir, 'main.hcl'),
      main({ hosts: 'a b c', until: 'sh -c "echo not yet; exit 3"', retries: 2 }),
    );
    const r = await kolla(['apply', '-auto-approve'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/service\.ctl\.task\.discover/);
    expect(r.stderr).toMatch(/still exited with code 3 after 2 tries/);
    expect(r.stderr).toMatch(/not yet/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await taskLog()).toBe('discovered a\ndiscovered a b\ndiscovered a b\n');
    // The state is the previous one: the same change is planned again.
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/service\.ctl\.task\.discover will run/);
  }, 120_000);
});
