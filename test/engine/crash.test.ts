/**
 * kill -9 of apply at several points, then recovery: the next plan reports the open
 * journal, the next apply rolls it back, and nothing is left over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { cleanupProject, ensureDocker, uniqueProject } from '../helpers/docker.js';
import { buildOnce, configDir, kolla, writeFiles } from '../helpers/kolla.js';
import { scenario, type Knobs } from './scenario.js';

let docker: Dockerode;
const project = uniqueProject('crash');
const etc = mkdtempSync(path.join(os.tmpdir(), 'kolla-etc-'));
const base: Knobs = { project, configDir: etc };
let dir: string;
const app = `${project}_app`;

async function names(): Promise<string[]> {
  const cs = await docker.listContainers({ all: true, filters: { label: [`kolla.project=${project}`] } });
  return cs.map((c) => c.Names[0]!.replace(/^\//, '')).sort();
}

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  dir = configDir(scenario(base));
  const r = await kolla(['apply', '-auto-approve'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  await cleanupProject(docker, project);
});

describe.each(['after-create', 'after-rename', 'health-wait', 'after-file'])('kill -9 %s', (point) => {
  it('is recovered by the next apply with nothing left over', async () => {
    const before = await docker.getContainer(app).inspect();
    const conf = readFileSync(path.join(etc, app, 'app.conf'), 'utf8');
    const serial = JSON.parse(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8')).serial as number;
    // A change that both rewrites the file and replaces the container.
    writeFiles(dir, scenario({ ...base, env: `crash-${point}`, greeting: `crash-${point}` }));
    const crashed = await kolla(['apply', '-auto-approve'], {
      cwd: dir,
      env: { KOLLA_TEST_CRASH_AT: point },
    });
    expect(crashed.signal).toBe('SIGKILL');

    // The configuration goes back to what it was; plan warns about the open journal.
    writeFiles(dir, scenario(base));
    const p = await kolla(['plan'], { cwd: dir });
    expect(p.stderr).toMatch(/interrupted apply left a journal/);
    // The dead apply's lock is taken over, with a warning, by the first command after it.
    expect(p.stderr).toMatch(/took over a stale lock/);

    const r = await kolla(['apply', '-auto-approve'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Rolling back/);
    // The killed apply's host lock is taken over: it came from this same state.
    expect(r.stderr).toMatch(/host "[^"]+": took over the lock .* no longer running/);
    expect(await names()).toEqual([`${project}_app`, `${project}_db`]);
    const after = await docker.getContainer(app).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.State.Running).toBe(true);
    expect(after.Config.Labels['kolla.spec-hash']).toBe(before.Config.Labels['kolla.spec-hash']);
    expect(readFileSync(path.join(etc, app, 'app.conf'), 'utf8')).toBe(conf);
    const st = JSON.parse(readFileSync(path.join(dir, 'kolla.state.json'), 'utf8')) as { serial: number };
    expect(st.serial).toBeGreaterThan(serial);
    const again = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
  });
});

describe('--continue', () => {
  it('keeps what the interrupted apply did', async () => {
    writeFiles(dir, scenario({ ...base, env: 'kept' }));
    const crashed = await kolla(['apply', '-auto-approve'], {
      cwd: dir,
      env: { KOLLA_TEST_CRASH_AT: 'health-wait' },
    });
    expect(crashed.signal).toBe('SIGKILL');
    const r = await kolla(['apply', '-auto-approve', '--continue'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(await names()).toEqual([`${project}_app`, `${project}_db`]);
    expect((await docker.getContainer(app).inspect()).Config.Env).toContain('MODE=kept');
    const again = await kolla(['plan', '-detailed-exitcode'], { cwd: dir });
    expect(again.stdout).toContain('No changes.');
  });
});
