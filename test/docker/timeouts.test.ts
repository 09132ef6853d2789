// Issue #21 defect 9: every call to a host has a time limit, one dead host does not hang the
// others, and Ctrl-C is honoured during a hanging call. The frozen daemon is a real second
// dockerd that this file starts (its own data root, exec root and socket) and then stops
// with SIGSTOP; the hanging registry is a TCP listener that accepts and never answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostConnections } from '../../src/engine/hosts.js';
import { refreshWorld } from '../../src/engine/refresh.js';
import type { HostSpec } from '../../src/expand/instances.js';
import { IMAGE_1, cleanupProject, ensureDocker, uniqueProject } from '../helpers/docker.js';
import { BIN, buildOnce, configDir } from '../helpers/kolla.js';
import { startFrozenDockerd, type FrozenDockerd } from '../helpers/frozen-dockerd.js';

const project = uniqueProject('timeouts');
let docker: Dockerode;
let frozen: FrozenDockerd | undefined;
let frozenSocket: string;

beforeAll(async () => {
  docker = await ensureDocker();
  buildOnce();
  frozen = await startFrozenDockerd();
  frozenSocket = frozen.socket;
}, 120_000);

afterAll(async () => {
  await frozen?.stop();
  if (docker) await cleanupProject(docker, project);
}, 30_000);

function hosts(): Map<string, HostSpec> {
  const base = { address: '127.0.0.1', port: 22, user: 'root', connection: 'local' as const, vars: {} };
  return new Map([
    ['frozen', { ...base, name: 'frozen', dockerSocket: frozenSocket } as unknown as HostSpec],
    ['live', { ...base, name: 'live', dockerSocket: '/var/run/docker.sock' } as unknown as HostSpec],
  ]);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, onStart?: (child: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onStart?.(child);
  });
}

describe('a frozen Docker daemon', () => {
  it('refresh: the frozen host times out, the live one is still refreshed', async () => {
    const conns = new HostConnections(hosts(), { timeoutMs: 2000 });
    try {
      const world = await refreshWorld(conns, project, [
        { host: 'frozen', images: [IMAGE_1], files: [] },
        { host: 'live', images: [IMAGE_1], files: [] },
      ]);
      expect(world.get('live')?.error).toBeUndefined();
      expect(world.get('live')?.images.get(IMAGE_1)).toMatch(/^sha256:/);
      expect(world.get('frozen')?.error).toMatch(/host "frozen": .*timed out after 2s/);
      expect(world.get('frozen')?.error).toMatch(/host_timeout/);
    } finally {
      await conns.closeAll();
    }
  }, 30_000);

  it('plan -detailed-exitcode exits 1 naming the host that timed out', async () => {
    const dir = configDir({
      'main.hcl': `
kolla {
  project      = "${project}"
  host_timeout = "2s"
}
host "frozen" {
  address       = "127.0.0.1"
  connection    = "local"
  docker_socket = "${frozenSocket}"
}
host "live" {
  address    = "127.0.0.1"
  connection = "local"
}
service "s" {
  hosts = group.all
  container "${project}-c" {
    image   = "${IMAGE_1}"
    command = ["sleep", "3600"]
  }
}
`,
    });
    try {
      const r = await run(['plan', '-detailed-exitcode'], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/host "frozen".*timed out after 2s/);
      expect(r.stderr).not.toMatch(/host "live"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('Ctrl-C during a hanging pull', () => {
  let server: net.Server;
  const held: net.Socket[] = [];
  let connected: () => void;
  const firstConnection = new Promise<void>((r) => (connected = r));

  beforeAll(async () => {
    server = net.createServer((s) => {
      held.push(s); // accept and never answer
      s.on('error', () => {});
      connected();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => {
    for (const s of held) s.destroy();
    server.close();
  });

  it('apply stops promptly with a clear message', async () => {
    const port = (server.address() as net.AddressInfo).port;
    const dir = configDir({
      'main.hcl': `
kolla {
  project = "${project}"
}
host "local" {
  address    = "127.0.0.1"
  connection = "local"
}
service "p" {
  hosts = group.all
  container "${project}-pull" {
    image   = "127.0.0.1:${port}/kolla-test/hang:1"
    command = ["sleep", "3600"]
  }
}
`,
    });
    try {
      let interruptedAt = 0;
      let exitedAt = 0;
      const r = await run(['apply', '-auto-approve'], dir, (child) => {
        // The engine dialled the registry: the pull is under way and hangs. Interrupt it.
        void firstConnection.then(async () => {
          await sleep(500);
          interruptedAt = Date.now();
          child.kill('SIGINT');
        });
        child.on('exit', () => (exitedAt = Date.now()));
      });
      expect(interruptedAt).toBeGreaterThan(0);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Interrupt received/);
      expect(`${r.stdout}${r.stderr}`).toMatch(/interrupted \(Ctrl-C\)/);
      // Well under the ~30 s the engine takes to give up on the registry by itself.
      expect(exitedAt - interruptedAt).toBeLessThan(15_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
