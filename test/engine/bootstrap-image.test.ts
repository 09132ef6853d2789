/**
 * A bootstrap runs again when its image tag points at another image (a rebuilt image, an
 * upgrade): apply records the image ID it ran with, and the next plan compares.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { cleanupProject, ensureDocker, IMAGE_1, IMAGE_2, uniqueProject } from '../helpers/docker.js';
import { buildOnce, configDir, kolla } from '../helpers/kolla.js';

let docker: Dockerode;
const project = uniqueProject('bootimg');
const repo = `kolla-test/moving-${project}`;
let dir: string;

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
  await docker.getImage(IMAGE_1).tag({ repo, tag: 'latest' });
  dir = configDir({
    'main.hcl': `
kolla {
  project     = "${project}"
  settle_time = "1s"
}
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
volume "${project}_data" {}
service "s" {
  hosts = group.all
  bootstrap "migrate" {
    image   = "${repo}:latest"
    command = ["sh", "-c", "echo ran >> /data/boot.log"]
    volumes = ["${project}_data:/data"]
  }
}
`,
  });
}, 600_000);

afterAll(async () => {
  await cleanupProject(docker, project);
  await docker
    .getImage(`${repo}:latest`)
    .remove()
    .catch(() => {});
});

describe('bootstrap image', () => {
  it('runs again when its tag moved to another image, not before', async () => {
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await bootLog()).toBe('ran\n');
    const state = JSON.parse(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8')) as {
      resources: { address: string; image_id?: string }[];
    };
    const boot = state.resources.find((r) => r.address === 'service.s.bootstrap.migrate');
    expect(boot?.image_id).toBe((await docker.getImage(IMAGE_1).inspect()).Id);
    expect((await kolla(['plan', '-detailed-exitcode'], { cwd: dir })).code).toBe(0);

    await docker.getImage(IMAGE_2).tag({ repo, tag: 'latest' });
    const p = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/service\.s\.bootstrap\.migrate will run/);
    ok(await kolla(['apply', '-auto-approve'], { cwd: dir }));
    expect(await bootLog()).toBe('ran\nran\n');
    expect((await kolla(['plan', '-detailed-exitcode'], { cwd: dir })).code).toBe(0);
  });
});

describe('bootstrap timeout', () => {
  it('kills a bootstrap that runs past its timeout and rolls the apply back', async () => {
    const p2 = uniqueProject('boottime');
    const d = configDir({
      'main.hcl': `
kolla { project = "${p2}" }
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
service "s" {
  hosts = group.all
  bootstrap "slow" {
    image   = "${IMAGE_1}"
    command = ["sleep", "600"]
    timeout = "2s"
  }
}
`,
    });
    try {
      const t0 = Date.now();
      const r = await kolla(['apply', '-auto-approve'], { cwd: d });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/service\.s\.bootstrap\.slow/);
      expect(r.stderr).toMatch(/timed out|timeout|did not finish/i);
      expect(Date.now() - t0).toBeLessThan(60_000);
      const left = await docker.listContainers({ all: true, filters: { label: [`kolla.project=${p2}`] } });
      expect(left).toEqual([]);
    } finally {
      await cleanupProject(docker, p2);
    }
  });
});
