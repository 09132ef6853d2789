/**
 * Issue #21 defect 9 over SSH: a Docker engine that stopped answering behind a host's
 * forwarded socket, and an SFTP call that never returns, end in a timeout naming the host;
 * the other host is still refreshed, and the run's interrupt abandons a hanging call at once.
 * The frozen engine is a real second dockerd stopped with SIGSTOP (the testbed hosts share
 * this machine's filesystem, so their sshd forwards to its socket).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, constants, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostConnections, type InventoryHost } from '../../src/engine/hosts.js';
import { refreshWorld } from '../../src/engine/refresh.js';
import { HostTimeoutError } from '../../src/transport/call-limits.js';
import type { SshTransport } from '../../src/transport/ssh.js';
import { ensureDocker, IMAGE_1 } from '../helpers/docker.js';
import { startFrozenDockerd, type FrozenDockerd } from '../helpers/frozen-dockerd.js';
import { ensureTestbed, testbedHost, TESTBED_KNOWN_HOSTS } from '../helpers/testbed.js';

let frozen: FrozenDockerd | undefined;
const fifo = `/tmp/kolla-fifo-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  await Promise.all([ensureDocker(), ensureTestbed(3)]);
  frozen = await startFrozenDockerd();
}, 300_000);

afterAll(async () => {
  // Let the sftp-server blocked on the FIFO go: open its other end, then remove it.
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    /* no reader left */
  }
  rmSync(fifo, { force: true });
  await frozen?.stop();
}, 30_000);

function conns(o: { timeoutMs: number; signal?: AbortSignal }): HostConnections {
  const hosts: InventoryHost[] = [testbedHost(1, { dockerSocket: frozen!.socket }), testbedHost(2)];
  return new HostConnections(new Map(hosts.map((h) => [h.name, h])), {
    knownHostsFile: TESTBED_KNOWN_HOSTS,
    ...o,
  });
}

describe('timeouts over SSH', () => {
  it('the host whose engine is frozen times out; the other is refreshed', async () => {
    const c = conns({ timeoutMs: 2000 });
    try {
      const world = await refreshWorld(c, 'kt-timeouts-ssh', [
        { host: 'tb1', images: [IMAGE_1], files: [] },
        { host: 'tb2', images: [IMAGE_1], files: [] },
      ]);
      expect(world.get('tb2')?.error).toBeUndefined();
      expect(world.get('tb1')?.error).toMatch(/host "tb1": Docker API .* timed out after 2s/);
    } finally {
      await c.closeAll();
    }
  }, 60_000);

  it('an SFTP call that never returns times out, and the next call works', async () => {
    execFileSync('mkfifo', [fifo]);
    const c = conns({ timeoutMs: 2000 });
    try {
      const t = c.get('tb2') as SshTransport;
      // Opening a FIFO without a writer blocks the host's sftp-server.
      const err = await t.readFile(fifo).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(HostTimeoutError);
      expect((err as Error).message).toMatch(new RegExp(`host "tb2": SFTP read ${fifo} timed out after 2s`));
      expect((await t.readFile('/etc/hostname'))?.length).toBeGreaterThan(0);
    } finally {
      await c.closeAll();
    }
  }, 60_000);

  it('the run interrupt abandons a call to a frozen engine at once', async () => {
    const ac = new AbortController();
    const c = conns({ timeoutMs: 600_000, signal: ac.signal });
    try {
      const pending = refreshWorld(c, 'kt-timeouts-ssh', [{ host: 'tb1', images: [], files: [] }]);
      setTimeout(() => ac.abort(), 500);
      const world = await pending;
      expect(world.get('tb1')?.error).toMatch(/host "tb1": Docker API .* interrupted \(Ctrl-C\)/);
    } finally {
      await c.closeAll();
    }
  }, 30_000);
});
