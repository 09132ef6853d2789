/**
 * Modules against the real engine: a local module called with for_each over two instances,
 * its outputs consumed by another module (which depends_on it), a secret declared in the
 * module (kept under the module path in kolla.secrets.json, masked everywhere), and a config
 * override from the root's folder. Plan, apply, no-op, -target of one instance, destroy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { cleanupProject, ensureDocker, IMAGE_1, uniqueProject } from '../helpers/docker.js';
import { buildOnce, configDir, kolla } from '../helpers/kolla.js';

let docker: Dockerode;
const project = uniqueProject('mod');
const etc = mkdtempSync(path.join(os.tmpdir(), 'kolla-etc-'));
let dir: string;
const WEB_A = `${project}_web_a`;
const WEB_B = `${project}_web_b`;
const PROXY = `${project}_proxy`;

const files = (): Record<string, string> => ({
  'main.hcl': `
kolla {
  project     = "${project}"
  config_dir  = "${etc}"
  settle_time = "1s"
}
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
module "web" {
  source   = "./modules/web"
  for_each = { a = 8081, b = 8082 }
  name     = "${project}_web_\${each.key}"
  port     = each.value
}
module "proxy" {
  source     = "./modules/proxy"
  name       = "${PROXY}"
  backends   = [for k, w in module.web : w.url]
  depends_on = [module.web]
}
output "upstreams" { value = module.proxy.upstreams }
`,
  'modules/web/main.hcl': `
variable "name" { type = string }
variable "port" { type = number }
secret "token" { length = 20 }
service "web" {
  hosts = group.all
  container "web" {
    name         = var.name
    image        = "${IMAGE_1}"
    kolla_start  = false
    command      = "/bin/sleep 2147483647"
    stop_timeout = "1s"
  }
  config "web.conf" {
    template  = "templates/web.conf.j2"
    overrides = ["\${path.root}/config/web.conf"]
    format    = "ini"
    dest      = "/etc/web.conf"
  }
}
output "url" { value = "http://127.0.0.1:\${var.port}" }
`,
  'modules/web/templates/web.conf.j2': '[DEFAULT]\nport = {{ var.port }}\ntoken = {{ secret.token }}\n',
  'config/web.conf': '[DEFAULT]\ndebug = true\n',
  'modules/proxy/main.hcl': `
variable "name" { type = string }
variable "backends" { type = list(string) }
service "proxy" {
  hosts = group.all
  container "proxy" {
    name         = var.name
    image        = "${IMAGE_1}"
    kolla_start  = false
    command      = "/bin/sleep 2147483647"
    stop_timeout = "1s"
    environment  = { BACKENDS = join(",", var.backends) }
  }
}
output "upstreams" { value = var.backends }
`,
});

const run = (...args: string[]) => kolla([...args, '--chdir', dir], { cwd: dir });

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  dir = configDir(files());
  const g = await run('secrets', 'generate');
  expect(g.code, g.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await cleanupProject(docker, project);
  rmSync(etc, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('modules', () => {
  it('keeps module secrets under the module path, 0600', () => {
    const file = path.join(dir, 'kolla.secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object).sort()).toEqual([
      'module.web["a"].token',
      'module.web["b"].token',
    ]);
  });

  it('plans every instance under its module address, secrets masked', async () => {
    const r = await run('plan', '-no-color');
    expect(r.code, r.stderr).toBe(0);
    for (const a of [
      'module.web["a"].service.web.container.web["local"]',
      'module.web["b"].service.web.config["web.conf"]["local"]',
      'module.proxy.service.proxy.container.proxy["local"]',
    ])
      expect(r.stdout).toContain(`# ${a} will be created`);
    expect(r.stdout).toContain('token = (sensitive)');
    expect(r.stdout).toContain('+debug = true');
    const secrets = JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    for (const v of Object.values(secrets)) expect(r.stdout).not.toContain(v);
    expect(r.stdout).toContain('Plan: 7 to add');
    // Grouped by module, each opening with its path.
    expect(r.stdout.indexOf('── module.proxy ──')).toBeLessThan(r.stdout.indexOf('── module.web["a"] ──'));
    expect(r.stdout).toContain('── module.web["b"] ──');
  });

  it('applies: outputs flow between modules, depends_on orders them', async () => {
    const r = await run('apply', '-auto-approve', '-no-color');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const proxy = await docker.getContainer(PROXY).inspect();
    expect(proxy.Config.Env).toContain('BACKENDS=http://127.0.0.1:8081,http://127.0.0.1:8082');
    const webA = await docker.getContainer(WEB_A).inspect();
    expect(new Date(proxy.Created).getTime()).toBeGreaterThanOrEqual(
      new Date(webA.State.StartedAt).getTime(),
    );
    expect(webA.Config.Labels['kolla.address']).toBe('module.web["a"].service.web.container.web["local"]');
    const conf = readFileSync(path.join(etc, WEB_B, 'web.conf'), 'utf8');
    expect(conf).toContain('port = 8082');
    expect(conf).toContain('debug = true');
    const state = readFileSync(path.join(dir, 'kolla.state.json'), 'utf8');
    const secrets = JSON.parse(readFileSync(path.join(dir, 'kolla.secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    for (const v of Object.values(secrets)) expect(state).not.toContain(v);
  }, 120_000);

  it('then plans no changes', async () => {
    const r = await run('plan', '-detailed-exitcode', '-no-color');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('No changes.');
  });

  it('lists and shows module addresses in the state', async () => {
    const l = await run('state', 'list');
    expect(l.stdout.trim().split('\n')).toHaveLength(7);
    const s = await run('state', 'show', 'module.web["b"].service.web.container.web["local"]');
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain(`name           = "${WEB_B}"`);
  });

  it('-target module.web["a"] selects that instance only', async () => {
    const r = await run('plan', '-destroy', '-target', 'module.web["a"]', '-no-color');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('module.web["a"].service.web.container.web["local"] will be destroyed');
    expect(r.stdout).not.toContain('module.web["b"]');
  });

  it('destroys every module instance', async () => {
    const r = await run('destroy', '-auto-approve', '-no-color');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const left = await docker.listContainers({ all: true, filters: { label: [`kolla.project=${project}`] } });
    expect(left).toEqual([]);
  }, 120_000);
});
