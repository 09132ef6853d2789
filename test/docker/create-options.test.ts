// Every ContainerSpec field reaches the engine: create a container with all of them set
// and read them back with a real inspect.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer, startContainer, waitHealthy } from '../../src/providers/docker/container-ops.js';
import { toCreateOptions } from '../../src/providers/docker/container-options.js';
import { logTail } from '../../src/providers/docker/logs.js';
import { specHash } from '../../src/providers/docker/spec-hash.js';
import { createVolume } from '../../src/providers/docker/volume-ops.js';
import { IMAGE_1, cleanupProject, ensureDocker, testSpec, uniqueProject } from '../helpers/docker.js';

const project = uniqueProject('opts');
let docker: Dockerode;
const hostDir = mkdtempSync(join(tmpdir(), 'kolla-opts-'));

beforeAll(async () => {
  docker = await ensureDocker();
});
afterAll(async () => {
  if (docker) await cleanupProject(docker, project);
  rmSync(hostDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

describe('toCreateOptions against the engine', () => {
  it('applies every field', async () => {
    const vol = `${project}-data`;
    await createVolume(
      docker,
      { name: vol, driver: 'local', labels: {} },
      { project, address: 'volume.data' },
    );
    const [tcpPort, udpPort] = [await freePort(), await freePort()];

    const spec = testSpec(`${project}-all`, {
      image: IMAGE_1,
      entrypoint: ['/bin/busybox'],
      command: [
        'sh',
        '-c',
        'echo "started FOO=$FOO pwd=$(pwd) uid=$(id -u)"; touch /tmp/ok; exec sleep 3600',
      ],
      environment: { FOO: 'bar', EMPTY: '' },
      volumes: [`${vol}:/data:rw`, `${hostDir}:/hostdir:ro`, '', '/anon'],
      ports: [`127.0.0.1:${tcpPort}:80`, `${udpPort}:81/udp`],
      network_mode: 'bridge',
      privileged: true,
      pid_mode: 'host',
      ipc_mode: 'shareable',
      cap_add: ['NET_ADMIN'],
      security_opt: ['no-new-privileges'],
      user: 'nobody',
      working_dir: '/tmp',
      labels: { 'com.example.role': 'web' },
      restart_policy: 'on-failure:3',
      healthcheck: {
        test: ['CMD-SHELL', 'test -f /tmp/ok'],
        interval: '1s',
        timeout: '500ms',
        retries: 2,
        start_period: '1m30s',
      },
      ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
      tmpfs: ['/run/scratch:size=1m,mode=1777'],
      init: true,
      memory: 64 * 1024 * 1024,
      cpu_shares: 512,
      health_timeout: '20s',
    });
    const hash = specHash(spec);
    const meta = { project, address: 'service.web.container.all', specHash: hash, configHash: 'cfg123' };
    const id = await createContainer(docker, spec, meta);
    const info = await docker.getContainer(id).inspect();
    const cfg = info.Config;
    const hc = info.HostConfig;

    expect(info.Name).toBe(`/${spec.name}`);
    expect(cfg.Image).toBe(IMAGE_1);
    expect(cfg.Entrypoint).toEqual(['/bin/busybox']);
    expect(cfg.Cmd).toEqual(spec.command);
    expect(cfg.Env).toEqual(expect.arrayContaining(['FOO=bar', 'EMPTY=']));
    expect(cfg.User).toBe('nobody');
    expect(cfg.WorkingDir).toBe('/tmp');
    expect(cfg.Labels).toMatchObject({
      'com.example.role': 'web',
      'kolla.project': project,
      'kolla.address': 'service.web.container.all',
      'kolla.spec-hash': hash,
      'kolla.config-hash': 'cfg123',
    });
    expect(cfg.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'test -f /tmp/ok'],
      Interval: 1e9,
      Timeout: 500e6,
      StartPeriod: 90e9,
      Retries: 2,
    });
    expect(cfg.ExposedPorts).toEqual({ '80/tcp': {}, '81/udp': {} });
    expect(cfg.Volumes).toEqual({ '/anon': {} });

    expect(hc.Binds).toEqual([`${vol}:/data:rw`, `${hostDir}:/hostdir:ro`]);
    expect(hc.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(tcpPort) }],
      '81/udp': [{ HostIp: '', HostPort: String(udpPort) }],
    });
    expect(hc.NetworkMode).toBe('bridge');
    expect(hc.Privileged).toBe(true);
    expect(hc.PidMode).toBe('host');
    expect(hc.IpcMode).toBe('shareable');
    expect(hc.CapAdd).toEqual(['NET_ADMIN']);
    // The daemon appends "label=disable" when sharing the host PID namespace: one of the
    // daemon-filled values that make the spec-hash label necessary.
    expect(hc.SecurityOpt).toEqual(expect.arrayContaining(['no-new-privileges']));
    expect(hc.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(hc.Ulimits).toEqual([{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    expect(hc.Tmpfs).toEqual({ '/run/scratch': 'size=1m,mode=1777' });
    expect(hc.Init).toBe(true);
    expect(hc.Memory).toBe(64 * 1024 * 1024);
    expect(hc.CpuShares).toBe(512);

    // And the running container really gets them.
    await startContainer(docker, id);
    await waitHealthy(docker, id, { timeoutMs: 20_000, settleMs: 0 });
    const running = await docker.getContainer(id).inspect();
    expect(running.NetworkSettings.Ports['80/tcp']).toEqual([
      { HostIp: '127.0.0.1', HostPort: String(tcpPort) },
    ]);
    const mounts = Object.fromEntries(running.Mounts.map((m) => [m.Destination, m]));
    expect(mounts['/data']).toMatchObject({ Type: 'volume', Name: vol, RW: true });
    expect(mounts['/hostdir']).toMatchObject({ Type: 'bind', Source: hostDir, RW: false });
    expect(mounts['/anon']).toMatchObject({ Type: 'volume', RW: true });
    expect(await logTail(docker, id)).toContain('started FOO=bar pwd=/tmp uid=65534');
  });

  it('leaves optional fields to the image and daemon when unset', async () => {
    const spec = testSpec(`${project}-min`);
    const opts = toCreateOptions(spec, { project, address: 'a', specHash: specHash(spec) });
    expect(opts.Cmd).toBeUndefined();
    expect(opts.Entrypoint).toBeUndefined();
    expect(opts.Healthcheck).toBeUndefined();
    expect(opts.HostConfig?.NetworkMode).toBeUndefined();
    expect(opts.ExposedPorts).toBeUndefined();
    const id = await createContainer(docker, spec, { project, address: 'a', specHash: specHash(spec) });
    const info = await docker.getContainer(id).inspect();
    expect(info.Config.Cmd).toEqual(['sleep', '3600']); // the image's CMD
    expect(info.HostConfig.RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
  });
});
