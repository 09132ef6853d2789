/**
 * Day-2 operations across three SSH hosts of the testbed, with the real kolla binary: drift
 * on one host, a rolling update that fails on the second host and is rolled back on the
 * first two, `--limit`, a host that is down, and the per-host lock between two state files.
 *
 * Its own project and container names: examples/rolling's test uses the same hosts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupProject, dockerHealth, ensureDocker } from '../helpers/docker.js';
import { buildOnce, kolla, type RunResult } from '../helpers/kolla.js';
import {
  ensureTestbed,
  testbed,
  testbedDocker,
  TESTBED_KEY,
  TESTBED_KNOWN_HOSTS,
  TESTBED_ROOT,
} from '../helpers/testbed.js';

const PROJECT = 'mnops';
const NAME = 'mnops-agent';
const env = { KOLLA_KNOWN_HOSTS: TESTBED_KNOWN_HOSTS };
const HOSTS = [1, 2, 3];

const MAIN = `
kolla { project = "${PROJECT}" }

variable "ssh_key" { type = string }
variable "testbed_dir" { type = string }
variable "gen" { default = "1" }
variable "fail_on" { default = "" }
variable "delay" { default = "0" }

${HOSTS.map(
  (i) => `host "node${i}" {
  address       = "10.77.0.1${i}"
  identity_file = var.ssh_key
  docker_socket = "\${var.testbed_dir}/${i}/docker.sock"
  lock_dir      = "\${var.testbed_dir}/${i}/locks"
  groups        = ["compute"]
}`,
).join('\n')}

service "agent" {
  hosts  = group.compute
  serial = 1

  container "${NAME}" {
    image       = "kolla-test/busybox:1"
    command     = "sh -c 'sleep \${var.delay}; touch /tmp/up; exec sleep 100000'"
    environment = { NODE = host.name, GEN = var.gen }
    healthcheck {
      test     = ["CMD-SHELL", "test -f /tmp/up && test \\"$NODE\\" != \\"\${var.fail_on}\\""]
      interval     = "1s"
      retries      = 2
      start_period = "\${var.delay + 5}s"

    }
  }
}
`;

let dir: string;
const vars = (...extra: string[]): string[] => [
  '-var',
  `ssh_key=${TESTBED_KEY}`,
  '-var',
  `testbed_dir=${TESTBED_ROOT}`,
  ...extra.flatMap((e) => ['-var', e]),
];

function ok(r: RunResult): void {
  expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-3000)}`).toBe(0);
}

interface Seen {
  id: string;
  gen: string | undefined;
  startedAt: string;
}

async function agent(i: number): Promise<Seen> {
  const c = await testbedDocker(i).getContainer(NAME).inspect();
  const gen = c.Config.Env.find((e) => e.startsWith('GEN='))?.slice(4);
  return { id: c.Id, gen, startedAt: c.State.StartedAt };
}

async function agents(): Promise<Seen[]> {
  return Promise.all(HOSTS.map(agent));
}

/** Containers on host i whose name is not exactly NAME (leftovers: .kolla-prev, .kolla-new). */
async function leftovers(i: number): Promise<string[]> {
  const all = await testbedDocker(i).listContainers({ all: true });
  return all.flatMap((c) => c.Names).filter((n) => n.startsWith(`/${NAME}`) && n !== `/${NAME}`);
}

const lockFile = (i: number): string => `${TESTBED_ROOT}/${i}/locks/${PROJECT}.lock`;

beforeAll(async () => {
  await ensureDocker();
  await ensureTestbed(3);
  buildOnce();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-mnops-'));
  writeFileSync(path.join(dir, 'main.hcl'), MAIN);
  for (const i of HOSTS) {
    await cleanupProject(testbedDocker(i), PROJECT);
    rmSync(lockFile(i), { force: true });
  }
  ok(await kolla(['apply', '-auto-approve', ...vars()], { cwd: dir, env }));
}, 900_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const i of HOSTS) await cleanupProject(testbedDocker(i), PROJECT).catch(() => {});
});

describe('three SSH hosts, day 2', () => {
  it('deployed one healthy agent per host and released the host locks', async () => {
    for (const i of HOSTS) {
      const c = await testbedDocker(i).getContainer(NAME).inspect();
      expect(await dockerHealth(() => testbedDocker(i).getContainer(NAME).inspect())).toBe('healthy');
      expect(c.Config.Env).toContain(`NODE=node${i}`);
      expect(existsSync(lockFile(i))).toBe(false);
    }
  });

  it('shows drift on the one host where it happened, and only there', async () => {
    await testbedDocker(2).getContainer(NAME).stop({ t: 0 });
    const p = await kolla(['plan', '-detailed-exitcode', ...vars()], { cwd: dir, env });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toContain('Objects have changed outside of kolla');
    expect(p.stdout).toContain(`["node2"]`);
    expect(p.stdout).not.toContain(`["node1"]`);
    expect(p.stdout).not.toContain(`["node3"]`);
    ok(await kolla(['apply', '-auto-approve', ...vars()], { cwd: dir, env }));
    expect((await testbedDocker(2).getContainer(NAME).inspect()).State.Running).toBe(true);
  });

  it('rolls back hosts 1 and 2 when the rolling update fails on host 2; host 3 is untouched', async () => {
    const before = await agents();
    const stateBefore = JSON.parse(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8')) as {
      serial: number;
      resources: unknown[];
    };
    const r = await kolla(['apply', '-auto-approve', ...vars('gen=2', 'fail_on=node2')], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/agent.*\["node2"\]/);
    expect(r.stderr).toContain('unhealthy');
    expect(r.stderr).toContain('rolled back');
    // Batch 1 (node1) had been replaced and is back; node2 is back; node3 was never started.
    const after = await agents();
    expect(after.map((a) => a.id)).toEqual(before.map((b) => b.id));
    expect(after.map((a) => a.gen)).toEqual(['1', '1', '1']);
    expect(after[2]!.startedAt).toBe(before[2]!.startedAt);
    for (const i of HOSTS) expect(await leftovers(i)).toEqual([]);
    for (const i of HOSTS) expect(existsSync(lockFile(i))).toBe(false);
    const stateAfter = JSON.parse(
      readFileSync(path.join(dir, 'kolla.state.json'), 'utf8'),
    ) as typeof stateBefore;
    expect(stateAfter.resources).toEqual(stateBefore.resources);
    const p = await kolla(['plan', '-detailed-exitcode', ...vars()], { cwd: dir, env });
    expect(p.code, p.stdout + p.stderr).toBe(0);
  });

  it('--limit changes only the named hosts and keeps the others in the state as they were', async () => {
    const before = await agents();
    const bad = await kolla(['plan', '--limit', 'node9', ...vars('gen=3')], { cwd: dir, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--limit: no host or group "node9"');

    const r = await kolla(['apply', '-auto-approve', '--limit', 'node2', ...vars('gen=3')], {
      cwd: dir,
      env,
    });
    ok(r);
    expect(r.stdout).toContain('Limited to host node2 (--limit)');
    expect(r.stdout).toMatch(
      /Resources: 0 added, 1 changed|Resources: 1 added, 0 changed, 1 destroyed|1 changed/,
    );
    const after = await agents();
    expect(after[0]!.id).toBe(before[0]!.id);
    expect(after[1]!.id).not.toBe(before[1]!.id);
    expect(after[1]!.gen).toBe('3');
    expect(after[2]!.id).toBe(before[2]!.id);

    // Without the limit the other two are still to change: their state was carried over.
    const p = await kolla(['plan', '-detailed-exitcode', '-no-color', ...vars('gen=3')], { cwd: dir, env });
    expect(p.code).toBe(2);
    expect(p.stdout).toContain(`service.agent.container.${NAME}["node1"]`);
    expect(p.stdout).toContain(`service.agent.container.${NAME}["node3"]`);
    expect(p.stdout).not.toContain(`container.${NAME}["node2"]`);
    ok(await kolla(['apply', '-auto-approve', ...vars('gen=3')], { cwd: dir, env }));
    expect((await agents()).map((a) => a.gen)).toEqual(['3', '3', '3']);
  });

  it('leaves a host that is down out: plans and applies the others, keeps its state, exits 4; applies it once it is back', async () => {
    const pidFile = `${TESTBED_ROOT}/3/sshd.pid`;
    type St = { resources: { address: string; host: string }[] };
    const node3 = () =>
      (JSON.parse(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8')) as St).resources.filter(
        (r) => r.host === 'node3',
      );
    const before = node3();
    expect(before.length).toBeGreaterThan(0);
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    try {
      // wait until nothing listens on node3:22 any more
      for (let t = 0; t < 50 && existsSync(pidFile); t++) await new Promise((r) => setTimeout(r, 100));
      const p = await kolla(['plan', '-detailed-exitcode', '-no-color', ...vars('gen=4')], { cwd: dir, env });
      expect(p.code, p.stderr).toBe(2);
      expect(p.stdout).toMatch(/Unreachable: host node3 is left out: nothing is planned for it/);
      expect(p.stdout).toMatch(/node3.*unreachable|refused/);
      expect(p.stdout).toContain(`service.agent.container.${NAME}["node1"]`);
      expect(p.stdout).not.toContain(`${NAME}["node3"]`);
      expect(p.stdout).not.toMatch(/will be destroyed/);

      const r = await kolla(['apply', '-auto-approve', ...vars('gen=4')], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain('not applied on node3 (unreachable): run kolla apply again once it is back');
      expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
      expect((await agent(1)).gen).toBe('4');
      expect((await agent(2)).gen).toBe('4');
      // node3's state is what it was: nothing false about a host that was not read.
      expect(node3()).toEqual(before);
    } finally {
      await testbed(['up', '3']); // starts the missing sshd again
    }
    expect((await agent(3)).gen).toBe('3');
    const back = await kolla(['plan', '-detailed-exitcode', '-no-color', ...vars('gen=4')], {
      cwd: dir,
      env,
    });
    expect(back.code).toBe(2);
    expect(back.stdout).not.toContain('Unreachable');
    expect(back.stdout).toContain(`${NAME}["node3"]`);
    expect(back.stdout).not.toContain(`${NAME}["node1"] will`);
    ok(await kolla(['apply', '-auto-approve', ...vars('gen=4')], { cwd: dir, env }));
    expect((await agent(3)).gen).toBe('4');
  });

  it('keeps a second state file off hosts that an apply is changing (per-host lock)', async () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'kolla-mnops-other-'));
    try {
      cpSync(path.join(dir, 'main.hcl'), path.join(other, 'main.hcl'));
      const slow = kolla(['apply', '-auto-approve', ...vars('gen=5', 'delay=4')], { cwd: dir, env });
      for (let t = 0; t < 300 && !existsSync(lockFile(1)); t++) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(lockFile(1))).toBe(true);
      const second = await kolla(['apply', '-auto-approve', ...vars('gen=6')], { cwd: other, env });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(
        `host "node1" is locked by another kolla apply of project "${PROJECT}"`,
      );
      expect(second.stderr).toContain(path.join(dir, 'kolla.state.json'));
      expect(second.stderr).toContain('kolla force-unlock -host node1');
      ok(await slow);
      expect((await agents()).map((a) => a.gen)).toEqual(['5', '5', '5']);
      for (const i of HOSTS) expect(existsSync(lockFile(i))).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a host lock held from another machine until force-unlock -host', async () => {
    const held = {
      id: 'c0ffee00-0000-4000-8000-000000000001',
      project: PROJECT,
      state: 'local file /elsewhere/kolla.state.json',
      operation: 'apply',
      who: 'ops@elsewhere',
      hostname: 'elsewhere',
      pid: 4242,
      created: new Date().toISOString(),
    };
    writeFileSync(lockFile(2), JSON.stringify(held));
    const r = await kolla(['apply', '-auto-approve', ...vars('gen=7')], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `host "node2" is locked by another kolla apply of project "${PROJECT}": ops@elsewhere`,
    );
    // Nothing was changed anywhere: the locks are taken before the first change.
    expect((await agents()).map((a) => a.gen)).toEqual(['5', '5', '5']);
    expect(existsSync(lockFile(1))).toBe(false);

    const wrong = await kolla(['force-unlock', '-host', 'node2', 'not-the-id', ...vars()], { cwd: dir, env });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`is locked with ID ${held.id}, not not-the-id`);
    ok(await kolla(['force-unlock', '-force', '-host', 'node2', held.id, ...vars()], { cwd: dir, env }));
    expect(existsSync(lockFile(2))).toBe(false);
    ok(await kolla(['apply', '-auto-approve', ...vars('gen=7')], { cwd: dir, env }));
    expect((await agents()).map((a) => a.gen)).toEqual(['7', '7', '7']);
  });
});
