/**
 * SshTransport against real sshd and dockerd (scripts/testbed): Docker through the
 * forwarded socket, files through SFTP, one connection reused, bastions, Docker over TLS,
 * and what a missing Docker socket looks like.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { HostConnections, type InventoryHost } from '../../src/engine/hosts.js';
import { SshError } from '../../src/transport/ssh-errors.js';
import type { SshTransport } from '../../src/transport/ssh.js';
import { ensureDocker, IMAGE_1 } from '../helpers/docker.js';
import {
  ensureTestbed,
  testbedAddress,
  testbedDocker,
  testbedHost,
  TESTBED_KNOWN_HOSTS,
  TESTBED_TLS,
} from '../helpers/testbed.js';

const dir = `/tmp/kolla-ssh-test-${randomBytes(3).toString('hex')}`;
let conns: HostConnections;

function connsFor(...hosts: InventoryHost[]): HostConnections {
  return new HostConnections(new Map(hosts.map((h) => [h.name, h])), { knownHostsFile: TESTBED_KNOWN_HOSTS });
}

/** Established TCP connections to sshd in host i's namespace, by peer address. */
function sshPeers(i: number): string[] {
  const out = execFileSync('nsenter', [
    `--net=/run/netns/kolla-tb${i}`,
    'ss',
    '-Htn',
    'state',
    'established',
    '( sport = :22 )',
  ]).toString();
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/).pop()!.replace(/:\d+$/, ''));
}

beforeAll(async () => {
  await ensureDocker();
  await ensureTestbed(3);
  conns = connsFor(testbedHost(1));
}, 600_000);

afterAll(async () => {
  await conns.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('Docker through the forwarded socket', () => {
  it('pings, lists and runs a container on the host engine', async () => {
    const docker = await conns.get('tb1').docker();
    expect(String(await docker.ping())).toBe('OK');
    const direct = testbedDocker(1);
    // The same engine as the host's own socket, not the controller's.
    expect((await docker.info()).ID).toBe((await direct.info()).ID);
    const name = `kt-ssh-${randomBytes(3).toString('hex')}`;
    const c = await docker.createContainer({
      name,
      Image: IMAGE_1,
      Cmd: ['sleep', '30'],
      HostConfig: { NetworkMode: 'host' },
    });
    try {
      await c.start();
      const info = await direct.getContainer(name).inspect();
      expect(info.State.Running).toBe(true);
      const listed = await docker.listContainers({ filters: { name: [name] } });
      expect(listed.map((x) => x.Id)).toEqual([c.id]);
    } finally {
      await c.remove({ force: true });
    }
  });

  it('uses one SSH connection for everything', async () => {
    const t = conns.get('tb1');
    const docker = await t.docker();
    await Promise.all([
      ...Array.from({ length: 20 }, () => docker.listContainers({ all: true })),
      ...Array.from({ length: 10 }, () => t.fileHash('/etc/hostname')),
    ]);
    expect(sshPeers(1).filter((p) => p === '10.77.0.1')).toHaveLength(1);
  });

  it('names the host and the path when the Docker socket is missing', async () => {
    const c = connsFor(testbedHost(1, { dockerSocket: '/var/lib/kolla-testbed/1/missing.sock' }));
    try {
      const err = await (await c.get('tb1').docker()).ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SshError);
      expect((err as SshError).failure).toBe('docker-socket-missing');
      expect((err as Error).message).toMatch(
        /^host "tb1" \(root@10\.77\.0\.11:22\): Docker socket \/var\/lib\/kolla-testbed\/1\/missing\.sock does not exist/,
      );
    } finally {
      await c.closeAll();
    }
  });

  it('says permission denied when the user may not use the Docker socket', async () => {
    const c = connsFor(testbedHost(1, { user: 'kollatb' }));
    try {
      const err = await (await c.get('tb1').docker()).ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SshError);
      expect((err as SshError).failure).toBe('docker-socket-denied');
      expect((err as Error).message).toBe(
        'host "tb1" (kollatb@10.77.0.11:22): permission denied on the Docker socket /var/lib/kolla-testbed/1/docker.sock for user "kollatb" (add the user to the docker group, or connect as root)',
      );
      const w = await c
        .get('tb1')
        .writeFileAtomic('/etc/kolla-not-yours.conf', 'x', 0o644)
        .catch((e: unknown) => e);
      expect((w as Error).message).toBe(
        'host "tb1" (kollatb@10.77.0.11:22): write /etc/kolla-not-yours.conf: permission denied',
      );
    } finally {
      await c.closeAll();
    }
  });

  it('says when something that is not a socket is named as the Docker socket', async () => {
    const c = connsFor(testbedHost(1, { dockerSocket: '/etc/hostname' }));
    try {
      const err = await (await c.get('tb1').docker()).ping().catch((e: unknown) => e);
      expect((err as SshError).failure).toBe('docker-socket-missing');
      expect((err as Error).message).toContain('/etc/hostname exists but is not a socket');
    } finally {
      await c.closeAll();
    }
  });
});

describe('files through SFTP', () => {
  it('creates directories with exact modes and writes atomically with mode and owner', async () => {
    const t = conns.get('tb1');
    await t.mkdirp(`${dir}/a/b`, 0o750);
    expect(statSync(`${dir}/a`).mode & 0o777).toBe(0o750);
    expect(statSync(`${dir}/a/b`).mode & 0o777).toBe(0o750);
    await t.mkdirp(`${dir}/a/b`, 0o700); // exists: left alone
    expect(statSync(`${dir}/a/b`).mode & 0o777).toBe(0o750);

    const f = `${dir}/a/b/app.conf`;
    await t.writeFileAtomic(f, 'one\n', 0o640);
    expect(readFileSync(f, 'utf8')).toBe('one\n');
    expect(statSync(f).mode & 0o777).toBe(0o640);
    const big = randomBytes(3 * 1024 * 1024 + 17);
    await t.writeFileAtomic(f, big, 0o600);
    expect(readFileSync(f).equals(big)).toBe(true);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect((await t.readFile(f))?.equals(big)).toBe(true);
    expect(await t.fileHash(f)).toBe(createHash('sha256').update(big).digest('hex'));
    // No temp file is left beside it.
    expect(readdirSync(`${dir}/a/b`)).toEqual(['app.conf']);

    await (t as SshTransport).writeFileAtomic(f, 'owned\n', 0o644, { uid: 65534, gid: 65534 });
    expect(statSync(f).uid).toBe(65534);
    expect(statSync(f).gid).toBe(65534);
  });

  it('reports a missing file as undefined and removes idempotently', async () => {
    const t = conns.get('tb1');
    expect(await t.readFile(`${dir}/nope`)).toBeUndefined();
    expect(await t.fileHash(`${dir}/nope`)).toBeUndefined();
    await t.writeFileAtomic(`${dir}/gone`, 'x', 0o644);
    await t.removeFile(`${dir}/gone`);
    expect(existsSync(`${dir}/gone`)).toBe(false);
    await t.removeFile(`${dir}/gone`);
  });

  it('names the host and the file when a write fails', async () => {
    const err = await conns
      .get('tb1')
      .writeFileAtomic(`${dir}/no-such-dir/x.conf`, 'x', 0o644)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
    expect((err as Error).message).toBe(
      `host "tb1" (root@10.77.0.11:22): write ${dir}/no-such-dir/x.conf: no such file or directory`,
    );
  });

  it('runs a command', async () => {
    const r = await (conns.get('tb1') as SshTransport).exec('hostname -I; echo err >&2; exit 3');
    expect(r.code).toBe(3);
    expect(r.stdout.trim()).toBe(testbedAddress(1));
    expect(r.stderr.trim()).toBe('err');
  });
});

describe('a host behind a bastion', () => {
  it('reaches host 2 through host 1', async () => {
    const c = connsFor(testbedHost(1), testbedHost(2, { bastion: 'tb1' }));
    try {
      const docker = await c.get('tb2').docker();
      expect((await docker.info()).ID).toBe((await testbedDocker(2).info()).ID);
      // sshd on host 2 sees the bastion, not the controller.
      expect(sshPeers(2)).toContain(testbedAddress(1));
      expect(await c.get('tb2').fileHash('/etc/hostname')).toMatch(/^[0-9a-f]{64}$/);
      // The bastion's connection is the run's connection to host 1 too.
      await (await c.get('tb1').docker()).ping();
      expect(sshPeers(1).filter((p) => p === '10.77.0.1')).toHaveLength(2); // this run's + the shared suite's
    } finally {
      await c.closeAll();
    }
  });

  it('refuses a bastion loop', () => {
    const c = connsFor(testbedHost(1, { bastion: 'tb2' }), testbedHost(2, { bastion: 'tb1' }));
    expect(() => c.get('tb1')).toThrow(/bastion loop tb1 -> tb2 -> tb1/);
  });
});

describe('Docker over TLS', () => {
  it('speaks TLS to docker_host while files still go over SSH', async () => {
    const c = connsFor(
      testbedHost(3, {
        dockerHost: `tcp://${testbedAddress(3)}:2376`,
        dockerTlsCa: TESTBED_TLS.ca,
        dockerTlsCert: TESTBED_TLS.cert,
        dockerTlsKey: TESTBED_TLS.key,
      }),
    );
    try {
      const t = c.get('tb3');
      const docker = await t.docker();
      expect((docker.modem as { protocol?: string }).protocol).toBe('https');
      expect((await docker.info()).ID).toBe((await testbedDocker(3).info()).ID);
      await t.writeFileAtomic(`${dir}-tls`, 'tls\n', 0o600);
      expect(readFileSync(`${dir}-tls`, 'utf8')).toBe('tls\n');
    } finally {
      rmSync(`${dir}-tls`, { force: true });
      await c.closeAll();
    }
  });

  it('is refused without a client certificate the engine trusts', async () => {
    const c = connsFor(
      testbedHost(3, {
        dockerHost: `tcp://${testbedAddress(3)}:2376`,
        dockerTlsCa: TESTBED_TLS.ca,
        // The engine's own certificate is signed by the CA but is not a client certificate.
        dockerTlsCert: '/var/lib/kolla-testbed/3/tls/server-cert.pem',
        dockerTlsKey: '/var/lib/kolla-testbed/3/tls/server-key.pem',
      }),
    );
    try {
      await expect((await c.get('tb3').docker()).ping()).rejects.toThrow();
    } finally {
      await c.closeAll();
    }
  });

  it('reports TLS settings given half-way', () => {
    const c = connsFor(
      testbedHost(3, { dockerHost: `tcp://${testbedAddress(3)}:2376`, dockerTlsCa: TESTBED_TLS.ca }),
    );
    expect(() => c.get('tb3')).toThrow(
      'host "tb3": docker_tls_ca, docker_tls_cert and docker_tls_key must be set together',
    );
  });
});
