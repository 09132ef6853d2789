/**
 * Regressions of the faults found by breaking kolla on purpose (issue #21), against the real
 * engine: two projects with one container name, a container changed by another state file,
 * a state that cannot be written at the commit, plan's exit code after a kill -9, a saved
 * plan whose image tag moved, and `apply --continue` with a container still starting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { cleanupProject, ensureDocker, IMAGE_1, IMAGE_2, uniqueProject } from '../helpers/docker.js';
import { buildOnce, configDir, kolla, writeFiles, type RunResult } from '../helpers/kolla.js';
import { scenario, type Knobs } from './scenario.js';

let docker: Dockerode;
const projects: string[] = [];

function fresh(tag: string, extra: Partial<Knobs> = {}): { knobs: Knobs; dir: string } {
  const project = uniqueProject(tag);
  projects.push(project);
  const knobs: Knobs = { project, configDir: mkdtempSync(path.join(os.tmpdir(), 'kolla-etc-')), ...extra };
  return { knobs, dir: configDir(scenario(knobs)) };
}

function ok(r: RunResult): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-2000)}`).toBe(0);
}

async function labelled(project: string): Promise<string[]> {
  const cs = await docker.listContainers({ all: true, filters: { label: [`kolla.project=${project}`] } });
  return cs.map((c) => c.Names[0]!.replace(/^\//, '')).sort();
}

function state(dir: string): { serial: number; resources: { address: string; observed?: { id: string } }[] } {
  return JSON.parse(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8')) as ReturnType<typeof state>;
}

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
}, 600_000);

afterAll(async () => {
  for (const p of projects) await cleanupProject(docker, p);
  for (const p of projects)
    await docker
      .getImage(`kolla-test/${p}:moving`)
      .remove()
      .catch(() => undefined);
});

describe('two projects, one container name', () => {
  const shared = uniqueProject('shared');
  const twoProjects = (project: string): Record<string, string> => ({
    'main.hcl': `
kolla {
  project     = "${project}"
  config_dir  = "${mkdtempSync(path.join(os.tmpdir(), 'kolla-etc-'))}"
  settle_time = "1s"
}
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
service "slow" {
  hosts = group.all
  container "${shared}" {
    image        = "${IMAGE_1}"
    command      = ["sleep", "2147483647"]
    stop_timeout = "1s"
  }
}
`,
  });

  it("plan refuses at once, and a saved plan's failed apply leaves the other project's container alone", async () => {
    const a = uniqueProject('pa');
    const b = uniqueProject('pb');
    projects.push(a, b);
    const dirA = configDir(twoProjects(a));
    const dirB = configDir(twoProjects(b));
    // b's plan is saved while the name is still free.
    ok(await kolla(['plan', '-out', 'b.plan'], { cwd: dirB }));
    ok(await kolla(['apply', '-auto-approve'], { cwd: dirA }));
    const held = await docker.getContainer(shared).inspect();
    expect(held.Config.Labels['kolla.project']).toBe(a);

    // A new plan of b says at once that the name is taken, and by whom.
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dirB });
    expect(p.code).toBe(1);
    expect(p.stderr).toContain(
      `Container name "${shared}" on host "local" is held by another project ("${a}")`,
    );
    expect(p.stderr).not.toMatch(/internal error|at .*\.js:/);

    // The saved plan goes as far as Docker's 409; its rollback must not touch a's container.
    const r = await kolla(['apply', 'b.plan'], { cwd: dirB });
    expect(r.code).toBe(1);
    const after = await docker.getContainer(shared).inspect();
    expect(after.Id).toBe(held.Id);
    expect(after.State.Running).toBe(true);
    expect(after.Config.Labels['kolla.project']).toBe(a);
  });
});

describe('a container changed by another state file', () => {
  it('shows as drift and a replacement, never "No changes"', async () => {
    const { knobs, dir } = fresh('other');
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    ok(await kolla(['plan', '-detailed-exitcode'], { cwd: dir }));
    // A second checkout of the same project, with its own state, changes the container.
    const copy = mkdtempSync(path.join(os.tmpdir(), 'kolla-copy-'));
    cpSync(dir, copy, { recursive: true });
    writeFiles(copy, scenario({ ...knobs, env: 'from-the-other-checkout' }));
    ok(await kolla(['apply', '-auto-approve'], { cwd: copy }));
    const app = await docker.getContainer(`${knobs.project}_app`).inspect();
    expect(app.Config.Env).toContain('MODE=from-the-other-checkout');

    // The first state still matches its configuration; the live container does not.
    const p = await kolla(['plan', '-detailed-exitcode', '--no-color'], { cwd: dir });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toContain('was recreated or edited outside kolla');
    expect(p.stdout).toMatch(/service\.app\.container\.\S+ must be replaced/);
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect((await docker.getContainer(`${knobs.project}_app`).inspect()).Config.Env).toContain('MODE=one');
    ok(await kolla(['plan', '-detailed-exitcode'], { cwd: dir }));
  });
});

describe('the state cannot be written at the commit', () => {
  it('rolls the hosts back, says so, and plan then tells the truth', async () => {
    const { knobs, dir } = fresh('nowrite');
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    const before = await docker.getContainer(`${knobs.project}_app`).inspect();
    const stateText = readFileSync(path.join(dir, 'kolla.state.json'), 'utf8');
    writeFiles(dir, scenario({ ...knobs, env: 'two', greeting: 'changed' }));
    // Root ignores file modes; an immutable file cannot be replaced even by root.
    execFileSync('chattr', ['+i', path.join(dir, 'kolla.state.json')]);
    let r: RunResult;
    try {
      r = await kolla(['apply', '-auto-approve', '--no-color'], { cwd: dir });
    } finally {
      execFileSync('chattr', ['-i', path.join(dir, 'kolla.state.json')]);
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/state could not be written/);
    expect(r.stderr).toMatch(/rolled back/);
    expect(r.stderr).not.toMatch(/internal error/);
    // The hosts are as the (unchanged) state describes them.
    expect(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8')).toBe(stateText);
    const after = await docker.getContainer(`${knobs.project}_app`).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.State.Running).toBe(true);
    expect(await labelled(knobs.project)).toEqual([`${knobs.project}_app`, `${knobs.project}_db`]);
    expect(existsSync(path.join(dir, 'kolla.state.json.journal'))).toBe(false);
    // The plan shows the configured change, and no drift: the hosts match the state.
    const p = await kolla(['plan', '-detailed-exitcode', '--no-color'], { cwd: dir });
    expect(p.code).toBe(2);
    expect(p.stdout).not.toContain('Objects have changed outside of kolla');
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    ok(await kolla(['plan', '-detailed-exitcode'], { cwd: dir }));
  });
});

describe('plan after a kill -9', () => {
  it('exits 2 while a journal is open, and reports leftovers when the journal is gone', async () => {
    const { knobs, dir } = fresh('leftover');
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    writeFiles(dir, scenario({ ...knobs, env: 'two' }));
    const crashed = await kolla(['apply', '-auto-approve'], {
      cwd: dir,
      env: { KOLLA_TEST_CRASH_AT: 'after-rename' },
    });
    expect(crashed.signal).toBe('SIGKILL');
    writeFiles(dir, scenario(knobs));
    const p = await kolla(['plan', '-detailed-exitcode', '--no-color'], { cwd: dir });
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/interrupted apply/);

    // Without the journal (deleted by hand), the leftovers are still drift, and apply removes them.
    rmSync(path.join(dir, 'kolla.state.json.journal'));
    const q = await kolla(['plan', '-detailed-exitcode', '--no-color'], { cwd: dir });
    expect(q.code).toBe(2);
    expect(q.stdout).toContain(
      `container ${knobs.project}_app.kolla-prev is left over from an interrupted apply`,
    );
    expect(q.stdout).toContain(
      `container ${knobs.project}_app.kolla-new is left over from an interrupted apply`,
    );
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await labelled(knobs.project)).toEqual([`${knobs.project}_app`, `${knobs.project}_db`]);
    ok(await kolla(['plan', '-detailed-exitcode'], { cwd: dir }));
  });
});

describe('a saved plan whose image tag moved', () => {
  it('is refused', async () => {
    const project = uniqueProject('moved');
    projects.push(project);
    const tag = `kolla-test/${project}:moving`;
    await docker.getImage(IMAGE_1).tag({ repo: `kolla-test/${project}`, tag: 'moving' });
    const knobs: Knobs = { project, configDir: mkdtempSync(path.join(os.tmpdir(), 'kolla-etc-')) };
    const dir = configDir(scenario({ ...knobs, image: tag }));
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    writeFiles(dir, scenario({ ...knobs, image: tag, env: 'two' }));
    ok(await kolla(['plan', '-out', 'next.plan'], { cwd: dir }));
    // Someone points the tag at another image before the plan is applied.
    await docker.getImage(IMAGE_2).tag({ repo: `kolla-test/${project}`, tag: 'moving' });
    const r = await kolla(['apply', 'next.plan', '--no-color'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('an image it would deploy has changed');
    expect(r.stderr).toContain(tag);
    expect((await docker.getContainer(`${project}_app`).inspect()).Config.Env).toContain('MODE=one');
  });
});

describe('apply --continue after a kill -9 during the health wait', () => {
  it('waits for the kept container to be healthy and records the container that runs', async () => {
    const { knobs, dir } = fresh('cont', { slowHealthS: 4 });
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    writeFiles(dir, scenario({ ...knobs, env: 'kept' }));
    const crashed = await kolla(['apply', '-auto-approve'], {
      cwd: dir,
      env: { KOLLA_TEST_CRASH_AT: 'health-wait' },
    });
    expect(crashed.signal).toBe('SIGKILL');
    const r = await kolla(['apply', '-auto-approve', '--continue'], { cwd: dir });
    ok(r);
    const app = await docker.getContainer(`${knobs.project}_app`).inspect();
    expect(app.Config.Env).toContain('MODE=kept');
    // The gate held: its healthcheck passes now (it takes 4 s after the start to).
    const probe = await docker.getContainer(app.Id).exec({ Cmd: ['test', '-f', '/tmp/ok'] });
    await probe.start({ Detach: true });
    await new Promise((r) => setTimeout(r, 300));
    expect((await probe.inspect()).ExitCode).toBe(0);
    const rec = state(dir).resources.find(
      (x) => x.address === `service.app.container.${knobs.project}_app["local"]`,
    );
    expect(rec?.observed?.id).toBe(app.Id);
    expect(await labelled(knobs.project)).toEqual([`${knobs.project}_app`, `${knobs.project}_db`]);
    ok(await kolla(['plan', '-detailed-exitcode'], { cwd: dir }));
  });
});

describe('the health gate does not wait for Docker’s first probe', () => {
  it('opens on kolla’s own probe while Docker still says "starting"', async () => {
    const project = uniqueProject('gate');
    projects.push(project);
    const dir = configDir({
      'main.hcl': `
kolla {
  project     = "${project}"
  config_dir  = "${mkdtempSync(path.join(os.tmpdir(), 'kolla-etc-'))}"
  settle_time = "1s"
}
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
service "s" {
  hosts = group.all
  container "${project}_c" {
    image          = "${IMAGE_1}"
    command        = ["sh", "-c", "touch /tmp/ok && exec sleep 2147483647"]
    stop_timeout   = "1s"
    # Docker's first probe comes 5 minutes after the start; the gate gives up after 60 s.
    health_timeout = "60s"
    healthcheck {
      test     = ["CMD", "test", "-f", "/tmp/ok"]
      interval = "300s"
      retries  = 3
    }
  }
}
`,
    });
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    const c = await docker.getContainer(`${project}_c`).inspect();
    expect(c.State.Running).toBe(true);
    // Docker has not probed yet: only kolla's probe can have opened the gate.
    expect(c.State.Health?.Status).toBe('starting');
    // And with the probe switched off, the same gate times out waiting for Docker.
    writeFiles(dir, {
      'main.hcl': readFileSync(path.join(dir, 'main.hcl'), 'utf8')
        .replace('60s', '5s')
        .replace('touch /tmp/ok', 'touch /tmp/ok2 && touch /tmp/ok'),
    });
    const r = await kolla(['apply', '-auto-approve', '--no-color'], {
      cwd: dir,
      env: { KOLLA_HEALTH_PROBE: '0' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/did not become healthy within 5s/);
  });
});

describe('a volume that exists but is not the project’s', () => {
  it('is refused, and the rollback keeps it and its data', async () => {
    const project = uniqueProject('vkeep');
    projects.push(project);
    const name = `${project}_data`;
    // Made by hand (no kolla labels), with data in it.
    await docker.createVolume({ Name: name });
    const seed = await docker.createContainer({
      Image: IMAGE_1,
      Cmd: ['sh', '-c', 'echo precious > /data/f'],
      HostConfig: { Binds: [`${name}:/data`] },
    });
    await seed.start();
    await seed.wait();
    await seed.remove();
    try {
      const dir = configDir({
        'main.hcl': `
kolla {
  project    = "${project}"
  config_dir = "${mkdtempSync(path.join(os.tmpdir(), 'kolla-etc-'))}"
}
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
volume "data" {
  name  = "${name}"
  hosts = group.all
}
`,
      });
      const r = await kolla(['apply', '-auto-approve', '--no-color'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`volume ${name} already exists and is not managed by kolla`);
      expect(r.stdout + r.stderr).toContain(`volume ${name} on local kept: this apply did not create it`);
      // Still there, with its data.
      const check = await docker.createContainer({
        Image: IMAGE_1,
        Cmd: ['cat', '/data/f'],
        HostConfig: { Binds: [`${name}:/data:ro`] },
      });
      const out = await check.attach({ stream: true, stdout: true, stderr: true });
      let text = '';
      out.on('data', (b: Buffer) => (text += b.toString('latin1')));
      await check.start();
      await check.wait();
      await check.remove();
      expect(text).toContain('precious');
    } finally {
      await docker
        .getVolume(name)
        .remove()
        .catch(() => undefined);
    }
  });
});
