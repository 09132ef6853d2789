/**
 * plan / apply / state end to end: the real kolla binary against the real Docker engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { cleanupProject, dockerHealth, ensureDocker, uniqueProject } from '../helpers/docker.js';
import { ROOT, buildOnce, configDir, kolla, writeFiles } from '../helpers/kolla.js';
import { scenario, type Knobs } from './scenario.js';

let docker: Dockerode;
const project = uniqueProject('apply');
const etc = mkdtempSync(path.join(os.tmpdir(), 'kolla-etc-'));
const base: Knobs = { project, configDir: etc };
let dir: string;

const app = `${project}_app`;
const db = `${project}_db`;

async function inspect(name: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch {
    return undefined;
  }
}

function state(): {
  serial: number;
  lineage: string;
  resources: { address: string; observed?: { id: string } }[];
} {
  return JSON.parse(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8'));
}

function ok(r: { code: number | null; stderr: string; stdout: string }): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`).toBe(0);
}

async function apply(k: Partial<Knobs> = {}, extra: string[] = [], env?: NodeJS.ProcessEnv) {
  writeFiles(dir, scenario({ ...base, ...k }));
  return kolla(['apply', '-auto-approve', ...extra], { cwd: dir, ...(env ? { env } : {}) });
}

async function plan(k: Partial<Knobs> = {}, extra: string[] = []) {
  writeFiles(dir, scenario({ ...base, ...k }));
  return kolla(['plan', '-detailed-exitcode', ...extra], { cwd: dir });
}

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  dir = configDir(scenario(base));
}, 600_000);

afterAll(async () => {
  await cleanupProject(docker, project);
});

describe('plan and apply on the local engine', () => {
  it('creates everything from nothing, then plans no changes', async () => {
    const r = await apply();
    expect(r.stderr + r.stdout).toContain('Apply complete! Resources: 5 added');
    ok(r);
    const c = await inspect(app);
    expect(await dockerHealth(() => docker.getContainer(app).inspect())).toBe('healthy');
    expect(c?.Config.Labels['kolla.project']).toBe(project);
    expect(c?.Config.Labels['kolla.address']).toBe(`service.app.container.${app}["local"]`);
    expect(readFileSync(path.join(etc, app, 'app.conf'), 'utf8')).toBe('greeting = hello\n');
    const st = statSync(path.join(dir, 'kolla.state.json'));
    expect(st.mode & 0o777).toBe(0o600);
    const p = await plan();
    expect(p.stdout).toContain('No changes.');
    expect(p.code).toBe(0);
  });

  it('an environment change replaces the container', async () => {
    const before = await inspect(app);
    const p = await plan({ env: 'two' });
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/must be replaced/);
    expect(p.stdout).toMatch(/environment\.MODE = "one" -> "two" # forces replacement/);
    expect(p.stdout).toContain('Plan: 1 to add, 0 to change, 1 to destroy, 0 to restart.');
    const r = await apply({ env: 'two' });
    ok(r);
    const after = await inspect(app);
    expect(after?.Id).not.toBe(before?.Id);
    expect(after?.Config.Env).toContain('MODE=two');
    expect(await inspect(`${app}.kolla-prev`)).toBeUndefined();
    expect(await inspect(`${app}.kolla-new`)).toBeUndefined();
  });

  it('a restart policy change is made in place', async () => {
    const before = await inspect(app);
    const p = await plan({ env: 'two', restart: 'always' });
    expect(p.stdout).toMatch(/will be updated in-place/);
    expect(p.stdout).toMatch(/restart_policy = "unless-stopped" -> "always"/);
    const r = await apply({ env: 'two', restart: 'always' });
    ok(r);
    const after = await inspect(app);
    expect(after?.Id).toBe(before?.Id);
    expect(after?.HostConfig.RestartPolicy?.Name).toBe('always');
  });

  it('a config file change restarts only its container', async () => {
    const k = { env: 'two', restart: 'always', greeting: 'bonjour' };
    const beforeApp = await inspect(app);
    const beforeDb = await inspect(db);
    const p = await plan(k);
    expect(p.stdout).toContain('-greeting = hello');
    expect(p.stdout).toContain('+greeting = bonjour');
    expect(p.stdout).toMatch(/container\.[a-z0-9_-]+_app\["local"\] will be restarted/);
    expect(p.stdout).toContain('0 to add, 1 to change, 0 to destroy, 1 to restart');
    const r = await apply(k);
    ok(r);
    const afterApp = await inspect(app);
    const afterDb = await inspect(db);
    expect(afterApp?.Id).toBe(beforeApp?.Id);
    expect(afterApp?.State.StartedAt).not.toBe(beforeApp?.State.StartedAt);
    expect(afterDb?.State.StartedAt).toBe(beforeDb?.State.StartedAt);
    expect(readFileSync(path.join(etc, app, 'app.conf'), 'utf8')).toBe('greeting = bonjour\n');
    base.env = 'two';
    base.restart = 'always';
    base.greeting = 'bonjour';
  });

  it('a failing healthcheck during an update rolls everything back', async () => {
    const before = await inspect(app);
    const prior = state();
    const conf = readFileSync(path.join(etc, app, 'app.conf'), 'utf8');
    const r = await apply({ env: 'three', greeting: 'hola', failHealth: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`service.app.container.${app}["local"]`);
    expect(r.stderr).toMatch(/unhealthy|health/i);
    expect(r.stderr).toContain('rolled back');
    const after = await inspect(app);
    expect(after?.Id).toBe(before?.Id);
    expect(after?.Image).toBe(before?.Image);
    expect(after?.Config.Labels['kolla.spec-hash']).toBe(before?.Config.Labels['kolla.spec-hash']);
    expect(after?.State.Running).toBe(true);
    expect(readFileSync(path.join(etc, app, 'app.conf'), 'utf8')).toBe(conf);
    expect(await inspect(`${app}.kolla-prev`)).toBeUndefined();
    expect(await inspect(`${app}.kolla-new`)).toBeUndefined();
    const now = state();
    expect(now.resources).toEqual(prior.resources);
    expect(now.serial).toBe(prior.serial + 1);
    const h = await kolla(['state', 'history'], { cwd: dir });
    expect(h.stdout).toMatch(/apply failed: .*rolled back/);
    const p = await plan();
    expect(p.stdout).toContain('No changes.');
  });
});

describe('drift', () => {
  it('a container stopped outside kolla is started again', async () => {
    await docker.getContainer(db).stop({ t: 1 });
    const p = await plan();
    expect(p.stdout).toContain('Objects have changed outside of kolla');
    expect(p.stdout).toMatch(/is exited/);
    expect(p.stdout).toMatch(/_db\["local"\] will be restarted/);
    ok(await apply());
    expect((await inspect(db))?.State.Running).toBe(true);
  });

  it('a container that fails its health check is drift, and apply restarts it (kolla-ansible check)', async () => {
    const exec = await docker.getContainer(app).exec({ Cmd: ['rm', '/tmp/ok'] });
    await exec.start({ Detach: true });
    for (let i = 0; i < 100 && (await inspect(app))?.State.Health?.Status !== 'unhealthy'; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const startedAt = (await inspect(app))?.State.StartedAt;
    const p = await plan();
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/container \S+_app is unhealthy/);
    expect(p.stdout).toMatch(/_app\["local"\] will be restarted/);
    expect(p.stdout).toContain('the container is unhealthy (its health check fails): restart it');
    ok(await apply());
    const after = await inspect(app);
    expect(after?.State.StartedAt).not.toBe(startedAt);
    expect(await dockerHealth(() => docker.getContainer(app).inspect())).toBe('healthy');
    expect((await plan()).code).toBe(0);
  });

  it('a container removed outside kolla is created again', async () => {
    await docker.getContainer(app).remove({ force: true });
    const p = await plan();
    expect(p.stdout).toMatch(/was removed outside kolla/);
    expect(p.stdout).toMatch(/_app\["local"\] will be created/);
    ok(await apply());
    expect((await inspect(app))?.State.Running).toBe(true);
  });

  it('a restart policy edited by hand is set back', async () => {
    await docker.getContainer(app).update({ RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } });
    const p = await plan();
    expect(p.stdout).toMatch(/restart_policy changed outside kolla/);
    expect(p.stdout).toMatch(/will be updated in-place/);
    ok(await apply());
    expect((await inspect(app))?.HostConfig.RestartPolicy?.Name).toBe('always');
  });

  it('a managed file edited on the host is written back', async () => {
    writeFileSync(path.join(etc, app, 'app.conf'), 'greeting = tampered\n');
    const p = await plan();
    expect(p.stdout).toMatch(/was edited on the host/);
    ok(await apply());
    expect(readFileSync(path.join(etc, app, 'app.conf'), 'utf8')).toBe('greeting = bonjour\n');
  });

  it('an image tag moved to another image replaces the container', async () => {
    const tag = `kolla-test/moving-${project}:latest`;
    await docker
      .getImage('kolla-test/busybox:1')
      .tag({ repo: `kolla-test/moving-${project}`, tag: 'latest' });
    ok(await apply({ image: tag }));
    base.image = tag;
    const before = await inspect(app);
    await docker
      .getImage('kolla-test/busybox:2')
      .tag({ repo: `kolla-test/moving-${project}`, tag: 'latest' });
    const p = await plan();
    expect(p.stdout).toMatch(/now points at another image/);
    expect(p.stdout).toMatch(/must be replaced/);
    ok(await apply());
    const after = await inspect(app);
    expect(after?.Id).not.toBe(before?.Id);
    expect(after?.Image).toBe((await docker.getImage('kolla-test/busybox:2').inspect()).Id);
  });

  it('a container with the project label that no configuration names is removed', async () => {
    const c = await docker.createContainer({
      name: `${project}_stray`,
      Image: 'kolla-test/busybox:1',
      Cmd: ['sleep', '3600'],
      Labels: { 'kolla.project': project, 'kolla.address': 'service.gone.container.stray["local"]' },
    });
    await c.start();
    const p = await plan();
    expect(p.stdout).toMatch(/no configuration names it/);
    expect(p.stdout).toMatch(/will be destroyed/);
    ok(await apply());
    expect(await inspect(`${project}_stray`)).toBeUndefined();
  });
});

describe('saved plans, locks, state commands', () => {
  it('refuses a stale saved plan', async () => {
    const planFile = path.join(dir, 'saved.plan');
    const p = await kolla(['plan', '-out', planFile, '-var', 'greeting=salut'], { cwd: dir });
    expect(p.code).toBe(0);
    expect(statSync(planFile).mode & 0o777).toBe(0o600);
    ok(await apply({}, ['-var', 'greeting=ciao'])); // moves the state on
    const r = await kolla(['apply', planFile], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stale/i);
    expect(r.stderr).toMatch(/serial/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('two applies at once: one gets the lock, the other fails naming the holder', async () => {
    writeFiles(dir, scenario({ ...base, greeting: 'lock-a' }));
    const [a, b] = await Promise.all([
      kolla(['apply', '-auto-approve'], { cwd: dir }),
      new Promise((r) => setTimeout(r, 150)).then(() => kolla(['apply', '-auto-approve'], { cwd: dir })),
    ]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 1]);
    const loser = a.code === 1 ? a : b;
    expect(loser.stderr).toMatch(/lock/i);
    expect(loser.stderr).toMatch(/ID:/);
    expect(loser.stderr).toMatch(/apply/);
  });

  it('apply without a TTY and without -auto-approve refuses', async () => {
    const r = await kolla(['apply'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/-auto-approve/);
  });

  it('state show, list and rm', async () => {
    const s = await kolla(['state', 'show', '--json'], { cwd: dir });
    const js = JSON.parse(s.stdout) as { resources: unknown[] };
    expect(js.resources.length).toBe(5);
    const l = await kolla(['state', 'list'], { cwd: dir });
    expect(l.stdout).toContain(`service.db.container.${db}["local"]`);
    const rm = await kolla(['state', 'rm', `service.db.container.${db}["local"]`], { cwd: dir });
    expect(rm.code).toBe(0);
    const l2 = await kolla(['state', 'list'], { cwd: dir });
    expect(l2.stdout).not.toContain(`service.db.container.${db}`);
    // The container is still there, and the next apply adopts it again without replacing it.
    const before = await inspect(db);
    expect(before?.State.Running).toBe(true);
    ok(await apply());
    expect((await inspect(db))?.Id).toBe(before?.Id);
  });

  it('rollback --to returns to an earlier state', async () => {
    const h = await kolla(['state', 'history', '--json'], { cwd: dir });
    const entries = JSON.parse(h.stdout) as { serial: number; message: string }[];
    expect(entries.length).toBeGreaterThan(3);
    // greeting=salut was never applied; the state where greeting=hello is serial 1.
    const r = await kolla(['rollback', '--to', '1', '-auto-approve'], { cwd: dir });
    ok(r);
    expect(readFileSync(path.join(etc, app, 'app.conf'), 'utf8')).toBe('greeting = hello\n');
    expect((await inspect(app))?.Config.Env).toContain('MODE=one');
  });

  it('destroy removes containers and files but keeps volumes', async () => {
    const r = await kolla(['destroy', '-auto-approve'], { cwd: dir });
    ok(r);
    expect(await inspect(app)).toBeUndefined();
    expect(await inspect(db)).toBeUndefined();
    expect(existsSync(path.join(etc, app, 'app.conf'))).toBe(false);
    const v = await docker.getVolume(`${project}_data`).inspect();
    expect(v.Name).toBe(`${project}_data`);
    const l = await kolla(['state', 'list'], { cwd: dir });
    expect(l.stdout.trim()).toBe(`volume.${project}_data["local"]`);
  });
});

describe('plan --json', () => {
  it('matches schemas/plan.schema.json', async () => {
    const { Ajv } = await import('ajv');
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/plan.schema.json'), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    writeFiles(dir, scenario({ ...base, greeting: 'json' }));
    const r = await kolla(['plan', '--json'], { cwd: dir });
    ok(r);
    const plan = JSON.parse(r.stdout) as { summary: { add: number } };
    expect(validate(plan), JSON.stringify(validate.errors)).toBe(true);
    expect(plan.summary.add).toBeGreaterThan(0);
  });
});
