// Container lifecycle against the real engine: create/start/stop/rename/remove, updates
// in place, waiting for health (and the failures, with logs), one-shot runs.
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContainerFailedError,
  createContainer,
  removeContainer,
  renameContainer,
  restartContainer,
  runOnce,
  startContainer,
  stopContainer,
  updateInPlace,
  waitHealthy,
} from '../../src/providers/docker/container-ops.js';
import { refreshHost } from '../../src/providers/docker/refresh.js';
import { inPlaceChanges, inPlaceSettings } from '../../src/providers/docker/in-place.js';
import type { ObservedContainer } from '../../src/providers/docker/refresh.js';

const settingsOf = (o: ObservedContainer) => ({
  restart_policy: o.restartPolicy,
  memory: o.memory,
  cpu_shares: o.cpuShares,
});
import { cleanupProject, ensureDocker, testMeta, testSpec, uniqueProject } from '../helpers/docker.js';

const project = uniqueProject('ops');
let docker: Dockerode;

beforeAll(async () => {
  docker = await ensureDocker();
});
afterAll(async () => {
  if (docker) await cleanupProject(docker, project);
});

const n = (s: string): string => `${project}-${s}`;
const state = async (id: string): Promise<string> => (await docker.getContainer(id).inspect()).State.Status;

/** Create and start; returns the ID. */
async function run(name: string, overrides: Parameters<typeof testSpec>[1] = {}): Promise<string> {
  const spec = testSpec(n(name), overrides);
  const id = await createContainer(docker, spec, testMeta(project, spec));
  await startContainer(docker, id);
  return id;
}

async function failure(p: Promise<unknown>): Promise<ContainerFailedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContainerFailedError);
  return err as ContainerFailedError;
}

describe('lifecycle', () => {
  it('creates under a temporary name, renames, stops, restarts and removes', async () => {
    // init: sleep as PID 1 ignores SIGTERM, and every stop would wait out its timeout.
    const spec = testSpec(n('life'), { init: true });
    const id = await createContainer(docker, spec, testMeta(project, spec), n('life-new'));
    expect((await docker.getContainer(id).inspect()).Name).toBe(`/${n('life-new')}`);
    expect(await state(id)).toBe('created');

    await startContainer(docker, id);
    await startContainer(docker, id); // already running: no error
    expect(await state(id)).toBe('running');

    await renameContainer(docker, id, spec.name);
    expect((await docker.getContainer(id).inspect()).Name).toBe(`/${spec.name}`);

    await stopContainer(docker, id, 1);
    await stopContainer(docker, id, 1); // already stopped: no error
    expect(await state(id)).toBe('exited');

    await restartContainer(docker, id, 1);
    expect(await state(id)).toBe('running');

    await removeContainer(docker, id); // running: forced
    await removeContainer(docker, id); // gone: no error
    await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('reports a name clash with the container name', async () => {
    const spec = testSpec(n('clash'));
    await createContainer(docker, spec, testMeta(project, spec));
    await expect(createContainer(docker, spec, testMeta(project, spec))).rejects.toThrow(
      new RegExp(`create container ${n('clash')}.*already in use`),
    );
  });

  it('keeps anonymous volumes when removing (v=false)', async () => {
    const id = await run('anon', { volumes: ['/keep'] });
    const vol = (await docker.getContainer(id).inspect()).Mounts[0]?.Name;
    expect(vol).toBeTruthy();
    await removeContainer(docker, id);
    const v = await docker.getVolume(vol!).inspect();
    expect(v.Name).toBe(vol);
    await docker.getVolume(vol!).remove();
  });
});

describe('updateInPlace', () => {
  it('changes restart policy, memory and CPU shares without a new container', async () => {
    const spec = testSpec(n('upd'));
    const id = await run('upd');
    const want = { ...spec, restart_policy: 'unless-stopped', memory: 256 * 1024 * 1024, cpu_shares: 256 };
    await updateInPlace(docker, id, want);

    const [obs] = (await refreshHost(docker, project)).filter((o) => o.name === spec.name);
    expect(obs?.id).toBe(id);
    expect(obs).toMatchObject({
      restartPolicy: 'unless-stopped',
      memory: 256 * 1024 * 1024,
      cpuShares: 256,
      state: 'running',
    });
    expect(obs?.specHash).toBe(testMeta(project, spec).specHash);
    expect(inPlaceChanges(inPlaceSettings(want), settingsOf(obs!))).toEqual([]);

    // Raising memory above the old swap limit works (swap is moved with it).
    await updateInPlace(docker, id, { ...want, memory: 1024 * 1024 * 1024 });
    expect((await docker.getContainer(id).inspect()).HostConfig.Memory).toBe(1024 * 1024 * 1024);

    // Back to the default CPU weight: Docker keeps 1024, which compares equal to 0.
    const reset = { ...want, memory: 1024 * 1024 * 1024, cpu_shares: 0, restart_policy: 'no' };
    await updateInPlace(docker, id, reset);
    const [after] = (await refreshHost(docker, project)).filter((o) => o.name === spec.name);
    expect(after?.id).toBe(id);
    expect(inPlaceChanges(inPlaceSettings(reset), settingsOf(after!))).toEqual([]);

    // Removing a memory limit is not possible in place.
    await expect(updateInPlace(docker, id, { ...reset, memory: 0 })).rejects.toThrow(/memory limit/);
  });
});

describe('waitHealthy', () => {
  // These check the gate's reading of Docker's status; kolla's own probe (health-probe.ts,
  // tested in test/engine/faults.test.ts) would open it before Docker's first probe.
  beforeAll(() => {
    process.env['KOLLA_HEALTH_PROBE'] = '0';
  });
  afterAll(() => {
    delete process.env['KOLLA_HEALTH_PROBE'];
  });
  it('resolves when the healthcheck passes', async () => {
    const id = await run('healthy', {
      command: ['sh', '-c', 'sleep 1; touch /tmp/ok; exec sleep 3600'],
      healthcheck: { test: ['CMD-SHELL', 'test -f /tmp/ok'], interval: '1s', timeout: '1s', retries: 3 },
    });
    const ticks: number[] = [];
    await waitHealthy(docker, id, { timeoutMs: 20_000, settleMs: 0, onTick: (ms) => ticks.push(ms) });
    expect((await docker.getContainer(id).inspect()).State.Health?.Status).toBe('healthy');
    expect(ticks.length).toBeGreaterThan(1);
  });

  it("wakes on the container's health event, not on its clock", async () => {
    // A poll of a minute: only the events stream can open this gate in seconds.
    const id = await run('woken', {
      command: ['sh', '-c', 'sleep 1; touch /tmp/ok; exec sleep 3600'],
      healthcheck: { test: ['CMD-SHELL', 'test -f /tmp/ok'], interval: '1s', timeout: '1s', retries: 3 },
    });
    const t0 = Date.now();
    const ticks: number[] = [];
    await waitHealthy(docker, id, {
      timeoutMs: 120_000,
      settleMs: 0,
      pollMs: 60_000,
      onTick: (ms) => ticks.push(ms),
    });
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect((await docker.getContainer(id).inspect()).State.Health?.Status).toBe('healthy');
    // A few inspects (the first, the stream's start, the events), not one per 250 ms.
    expect(ticks.length).toBeLessThan(8);
  });

  it('without a healthcheck, resolves after running steadily for settleMs', async () => {
    const id = await run('settle');
    const t0 = Date.now();
    await waitHealthy(docker, id, { timeoutMs: 10_000, settleMs: 600, pollMs: 100 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
  });

  it('rejects with the logs when the healthcheck fails', async () => {
    const id = await run('unhealthy', {
      command: ['sh', '-c', 'echo marker-unhealthy-log; exec sleep 3600'],
      healthcheck: {
        test: ['CMD-SHELL', 'echo probe-said-no; exit 1'],
        interval: '1s',
        timeout: '1s',
        retries: 1,
      },
    });
    const err = await failure(waitHealthy(docker, id, { timeoutMs: 20_000, settleMs: 0 }));
    expect(err.reason).toBe('unhealthy');
    expect(err.message).toMatch(/is unhealthy/);
    expect(err.message).toContain('marker-unhealthy-log');
    expect(err.message).toContain('probe-said-no');
    expect(err.logTail).toContain('marker-unhealthy-log');
  });

  it('rejects with the logs and exit code when the container exits', async () => {
    const id = await run('exits', { command: ['sh', '-c', 'echo marker-exit-log >&2; exit 3'] });
    const err = await failure(waitHealthy(docker, id, { timeoutMs: 10_000, settleMs: 2000 }));
    expect(err.reason).toBe('exited');
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/exited with code 3/);
    expect(err.message).toContain('marker-exit-log');
  });

  it('rejects when the restart policy restarts a crashing container', async () => {
    const id = await run('crashloop', {
      command: ['sh', '-c', 'echo marker-crash; sleep 0.3; exit 1'],
      restart_policy: 'always',
    });
    const err = await failure(waitHealthy(docker, id, { timeoutMs: 15_000, settleMs: 5000, pollMs: 100 }));
    expect(['restarted', 'exited']).toContain(err.reason);
    expect(err.message).toContain('marker-crash');
  });

  it('rejects on timeout while the healthcheck is still starting', async () => {
    const id = await run('slow', {
      command: ['sh', '-c', 'echo marker-slow; exec sleep 3600'],
      healthcheck: { test: ['CMD-SHELL', 'true'], interval: '1m' },
    });
    const t0 = Date.now();
    const err = await failure(waitHealthy(docker, id, { timeoutMs: 1500, settleMs: 0 }));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err.reason).toBe('timeout');
    expect(err.message).toMatch(/did not become healthy within 1.5s \(health check still starting\)/);
    expect(err.message).toContain('marker-slow');
  });

  it('stops waiting when aborted', async () => {
    const id = await run('abort', { healthcheck: { test: ['CMD-SHELL', 'true'], interval: '1m' } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('user interrupt')), 300);
    await expect(
      waitHealthy(docker, id, { timeoutMs: 30_000, settleMs: 0, signal: ac.signal }),
    ).rejects.toThrow(/user interrupt|aborted/);
  });
});

describe('runOnce', () => {
  it('returns the exit code and output, and removes the container', async () => {
    const spec = testSpec(n('boot-ok'), { command: ['sh', '-c', 'echo bootstrap-done; echo on-stderr >&2'] });
    const res = await runOnce(docker, spec, testMeta(project, spec));
    expect(res.exitCode).toBe(0);
    expect(res.logTail).toContain('bootstrap-done');
    expect(res.logTail).toContain('on-stderr');
    await expect(docker.getContainer(spec.name).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('reports a non-zero exit code without throwing, even with a restart policy', async () => {
    const spec = testSpec(n('boot-fail'), {
      command: ['sh', '-c', 'echo migration failed; exit 7'],
      restart_policy: 'always',
    });
    const res = await runOnce(docker, spec, testMeta(project, spec));
    expect(res).toEqual({ exitCode: 7, logTail: 'migration failed' });
  });

  it("replaces a leftover of the project's own earlier run", async () => {
    const spec = testSpec(n('boot-left'), { command: ['sh', '-c', 'echo second'] });
    await createContainer(docker, spec, testMeta(project, spec));
    const res = await runOnce(docker, spec, testMeta(project, spec));
    expect(res.logTail).toBe('second');
  });

  it('kills the container after the timeout', async () => {
    const spec = testSpec(n('boot-slow'), { command: ['sh', '-c', 'echo slow-start; exec sleep 60'] });
    const err = await failure(runOnce(docker, spec, testMeta(project, spec), { timeoutMs: 1000 }));
    expect(err.message).toMatch(/did not finish within 1s/);
    expect(err.message).toContain('slow-start');
    await expect(docker.getContainer(spec.name).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
