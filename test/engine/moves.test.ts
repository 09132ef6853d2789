/**
 * Refactoring without downtime against the real engine: a service written in the root moves
 * into a module with a moved block (the plan says "has moved to", nothing is replaced or
 * restarted, the container keeps its ID), `kolla state mv` moves it back by hand, and a
 * removed block forgets a service without destroying its container.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { cleanupProject, ensureDocker, IMAGE_1, uniqueProject } from '../helpers/docker.js';
import { buildOnce, configDir, kolla, writeFiles } from '../helpers/kolla.js';

let docker: Dockerode;
const project = uniqueProject('mv');
const etc = mkdtempSync(path.join(os.tmpdir(), 'kolla-etc-'));
let dir: string;
const WEB = `${project}_web`;
const OLD = `${project}_old`;
const PORT = 20000 + Math.floor(Math.random() * 20000);

const head = `
kolla {
  project     = "${project}"
  config_dir  = "${etc}"
  settle_time = "1s"
}
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
`;
const webService = (name: string) => `
service "web" {
  hosts = group.all
  container "web" {
    name         = "${name}"
    image        = "${IMAGE_1}"
    kolla_start  = false
    # It listens on a port of the host: the ports precheck must know it is this project's
    # even while its label still names the address it had before the move.
    network_mode = "host"
    command      = ["/bin/sh", "-c", "while true; do nc -l -p ${PORT} -e /bin/true; done"]
    listen_ports = [${PORT}]
    stop_timeout = "1s"
  }
  config "web.conf" {
    content = "port = 80\\n"
    dest    = "/etc/web.conf"
  }
}
`;
const oldService = `
service "old" {
  hosts = group.all
  container "old" {
    image        = "${IMAGE_1}"
    name         = "${OLD}"
    kolla_start  = false
    command      = "/bin/sleep 2147483647"
    stop_timeout = "1s"
  }
}
`;

const run = (...args: string[]) => kolla([...args, '--chdir', dir], { cwd: dir });
const state = (): string[] =>
  (
    JSON.parse(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8')) as {
      resources: { address: string }[];
    }
  ).resources.map((r) => r.address);

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  dir = configDir({ 'main.hcl': head + webService(WEB) + oldService });
  const r = await run('apply', '-auto-approve', '-no-color');
  expect(r.code, r.stderr + r.stdout).toBe(0);
}, 120_000);

afterAll(async () => {
  await cleanupProject(docker, project);
  await docker
    .getContainer(OLD)
    .remove({ force: true })
    .catch(() => undefined);
  rmSync(etc, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('moved blocks, state mv, removed blocks', () => {
  it('a service moved into a module: planned as moves, nothing replaced or restarted', async () => {
    const before = await docker.getContainer(WEB).inspect();
    writeFiles(dir, {
      'main.hcl': `${head}
module "front" {
  source = "./modules/front"
}
moved {
  from = service.web
  to   = module.front.service.web
}
${oldService}`,
      'modules/front/main.hcl': webService(WEB),
    });
    const p = await run('plan', '-detailed-exitcode', '-no-color');
    expect(p.code, p.stdout + p.stderr).toBe(2);
    expect(p.stdout).toContain(
      '# service.web.container.web["local"] has moved to module.front.service.web.container.web["local"]',
    );
    expect(p.stdout).toContain(
      '# service.web.config["web.conf"]["local"] has moved to module.front.service.web.config["web.conf"]["local"]',
    );
    expect(p.stdout).toContain('Plan: 3 to move, 0 to forget; nothing changes on the hosts.');
    const a = await run('apply', '-auto-approve', '-no-color');
    expect(a.code, a.stdout + a.stderr).toBe(0);
    const after = await docker.getContainer(WEB).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(state()).toContain('module.front.service.web.container.web["local"]');
    expect(state()).not.toContain('service.web.container.web["local"]');
    const again = await run('plan', '-detailed-exitcode', '-no-color');
    expect(again.code, again.stdout).toBe(0);
  }, 120_000);

  it('kolla state mv moves it back by hand (with the configuration), still the same container', async () => {
    const id = (await docker.getContainer(WEB).inspect()).Id;
    const mv = await run('state', 'mv', 'module.front.service.web', 'service.web');
    expect(mv.code, mv.stderr).toBe(0);
    expect(mv.stdout).toContain('Successfully moved 3 resource instance(s).');
    writeFiles(dir, { 'main.hcl': head + webService(WEB) + oldService });
    const p = await run('plan', '-detailed-exitcode', '-no-color');
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect((await docker.getContainer(WEB).inspect()).Id).toBe(id);
    const bad = await run('state', 'mv', 'service.nope', 'service.x');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no resource in the state matches service.nope');
  });

  it('a removed block forgets a service: its container keeps running, unmanaged', async () => {
    const id = (await docker.getContainer(OLD).inspect()).Id;
    writeFiles(dir, { 'main.hcl': `${head}${webService(WEB)}\nremoved {\n  from = service.old\n}\n` });
    const p = await run('plan', '-no-color');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain(
      '# service.old.container.old["local"] will be removed from the state, not destroyed (removed block)',
    );
    expect(p.stdout).not.toContain('will be destroyed');
    const a = await run('apply', '-auto-approve', '-no-color');
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(state().some((x) => x.startsWith('service.old'))).toBe(false);
    const c = await docker.getContainer(OLD).inspect();
    expect(c.Id).toBe(id);
    expect(c.State.Running).toBe(true);
    // Its label still names this project: while the removed block stays, it is no orphan.
    const next = await run('plan', '-detailed-exitcode', '-no-color');
    expect(next.code, next.stdout + next.stderr).toBe(0);
  }, 120_000);

  it('a moved block whose old address is still configured is skipped with a warning, not a delete', async () => {
    writeFiles(dir, {
      'main.hcl': `${head}${webService(WEB)}\nmoved {\n  from = service.web\n  to   = service.front\n}\n\nremoved {\n  from = service.old\n}\n`,
    });
    const p = await run('plan', '-detailed-exitcode', '-no-color');
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stderr).toContain('Moved object still in the configuration: service.web');
    expect(p.stdout).not.toContain('will be destroyed');
  });
});
