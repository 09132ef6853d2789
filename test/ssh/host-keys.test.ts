/**
 * Connecting: host keys against known_hosts (unknown refused, trusted and recorded,
 * changed refused with both fingerprints), authentication refused, an address with no host
 * behind it, no credentials at all. Real sshd in the testbed; known_hosts parsing as pure
 * logic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostConnections, type HostConnectionOptions, type InventoryHost } from '../../src/engine/hosts.js';
import {
  checkHostKey,
  entryMatches,
  fingerprint,
  knownHostName,
  parseKnownHosts,
} from '../../src/transport/known-hosts.js';
import { SshError } from '../../src/transport/ssh-errors.js';
import {
  ensureTestbed,
  NO_HOST_ADDRESS,
  testbed,
  testbedHost,
  TESTBED_KNOWN_HOSTS,
  TESTBED_ROOT,
} from '../helpers/testbed.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kolla-hostkeys-'));

/** OpenSSH's own fingerprint of a public key file. */
function sshKeygenFingerprint(pub: string): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pub]).toString().split(/\s+/)[1]!;
}

async function connectError(h: InventoryHost, o: HostConnectionOptions): Promise<SshError> {
  const c = new HostConnections(new Map([[h.name, h]]), o);
  try {
    await (await c.get(h.name).docker()).ping();
  } catch (e) {
    if (e instanceof SshError) return e;
    throw e;
  } finally {
    await c.closeAll();
  }
  throw new Error('connected');
}

beforeAll(async () => {
  await ensureTestbed(3);
}, 600_000);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('host keys', () => {
  it('refuses a host whose key known_hosts does not have, showing the fingerprint', async () => {
    const kh = path.join(tmp, 'empty_known_hosts');
    writeFileSync(kh, '');
    const err = await connectError(testbedHost(1), { knownHostsFile: kh });
    expect(err.failure).toBe('host-key-unknown');
    const fp = sshKeygenFingerprint(`${TESTBED_ROOT}/1/ssh_host_ed25519_key.pub`);
    expect(err.message).toContain('host "tb1" (root@10.77.0.11:22): host key unknown');
    expect(err.message).toContain(`ssh-ed25519 key ${fp}`);
    expect(err.message).toContain('--trust-new-host-keys');
    expect(readFileSync(kh, 'utf8')).toBe('');
  });

  it('accepts and records a new key with trust, then knows it without', async () => {
    const kh = path.join(tmp, 'sub', 'dir', 'known_hosts'); // directories are created
    const notices: string[] = [];
    const c = new HostConnections(new Map([['tb2', testbedHost(2)]]), {
      knownHostsFile: kh,
      trustNewHostKeys: true,
      onNotice: (t) => notices.push(t),
    });
    try {
      expect(String(await (await c.get('tb2').docker()).ping())).toBe('OK');
    } finally {
      await c.closeAll();
    }
    const pub = readFileSync(`${TESTBED_ROOT}/2/ssh_host_ed25519_key.pub`, 'utf8').split(' ');
    expect(readFileSync(kh, 'utf8')).toBe(`10.77.0.12 ${pub[0]} ${pub[1]}\n`);
    expect(notices).toEqual([
      `Permanently added '10.77.0.12' (ssh-ed25519 ${sshKeygenFingerprint(`${TESTBED_ROOT}/2/ssh_host_ed25519_key.pub`)}) to the list of known hosts (${kh}).`,
    ]);
    // OpenSSH reads what we wrote.
    execFileSync('ssh-keygen', ['-F', '10.77.0.12', '-f', kh]);

    const again = new HostConnections(new Map([['tb2', testbedHost(2)]]), { knownHostsFile: kh });
    try {
      expect(String(await (await again.get('tb2').docker()).ping())).toBe('OK');
    } finally {
      await again.closeAll();
    }
  });

  it('refuses a changed key even with trust, showing both fingerprints', async () => {
    const kh = path.join(tmp, 'before_rekey');
    copyFileSync(TESTBED_KNOWN_HOSTS, kh);
    const oldFp = sshKeygenFingerprint(`${TESTBED_ROOT}/3/ssh_host_ed25519_key.pub`);
    try {
      await testbed(['rekey', '3']);
      const newFp = sshKeygenFingerprint(`${TESTBED_ROOT}/3/ssh_host_ed25519_key.pub`);
      expect(newFp).not.toBe(oldFp);
      const err = await connectError(testbedHost(3), { knownHostsFile: kh, trustNewHostKeys: true });
      expect(err.failure).toBe('host-key-changed');
      expect(err.message).toContain('host "tb3" (root@10.77.0.13:22): HOST KEY CHANGED');
      expect(err.message).toContain(`the server offered ssh-ed25519 key ${newFp}`);
      expect(err.message).toContain(`known_hosts has ssh-ed25519 key ${oldFp} (${kh}:3)`);
      expect(readFileSync(kh, 'utf8')).toBe(readFileSync(TESTBED_KNOWN_HOSTS, 'utf8'));
    } finally {
      // Record host 3's new key for the other tests.
      await testbed(['up', '3']);
    }
    const c = new HostConnections(new Map([['tb3', testbedHost(3)]]), {
      knownHostsFile: TESTBED_KNOWN_HOSTS,
    });
    try {
      expect(String(await (await c.get('tb3').docker()).ping())).toBe('OK');
    } finally {
      await c.closeAll();
    }
  });
});

describe('authentication and reachability', () => {
  it('says authentication was refused, naming the user and the key', async () => {
    const key = path.join(tmp, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const err = await connectError(testbedHost(1, { identityFile: key }), {
      knownHostsFile: TESTBED_KNOWN_HOSTS,
      env: {},
    });
    expect(err.failure).toBe('auth');
    expect(err.message).toBe(
      `host "tb1" (root@10.77.0.11:22): authentication refused for user "root" (tried key ${key}); is the public key in the user's authorized_keys?`,
    );
  });

  it('reports an address with no host behind it as unreachable within the timeout', async () => {
    const t0 = Date.now();
    const err = await connectError(testbedHost(1, { name: 'ghost', address: NO_HOST_ADDRESS }), {
      knownHostsFile: TESTBED_KNOWN_HOSTS,
      connectTimeoutMs: 4000,
    });
    const elapsed = Date.now() - t0;
    expect(['unreachable', 'timeout']).toContain(err.failure);
    expect(err.message).toMatch(/^host "ghost" \(root@10\.77\.0\.99:22\): unreachable: /);
    expect(elapsed).toBeLessThan(6000);
  });

  it('reports connection refused when nothing listens on the port', async () => {
    const err = await connectError(testbedHost(1, { port: 2222 }), { knownHostsFile: TESTBED_KNOWN_HOSTS });
    expect(err.failure).toBe('unreachable');
    expect(err.message).toBe(
      'host "tb1" (root@10.77.0.11:2222): unreachable: connection refused (no sshd listening on that port)',
    );
  });

  it('says so when there is no credential to offer', async () => {
    const missing = path.join(tmp, 'no-such-key');
    let err = await connectError(testbedHost(1, { identityFile: missing }), {
      knownHostsFile: TESTBED_KNOWN_HOSTS,
    });
    expect(err.failure).toBe('no-credentials');
    expect(err.message).toBe(`host "tb1" (root@10.77.0.11:22): identity_file ${missing} does not exist`);

    const home = mkdtempSync(path.join(tmp, 'home-'));
    const prevHome = process.env['HOME'];
    process.env['HOME'] = home;
    try {
      const h = testbedHost(1);
      delete h.identityFile;
      err = await connectError(h, { knownHostsFile: TESTBED_KNOWN_HOSTS, env: {} });
    } finally {
      process.env['HOME'] = prevHome;
    }
    expect(err.failure).toBe('no-credentials');
    expect(err.message).toContain('no SSH credentials: set identity_file on the host, or start an SSH agent');
  });

  it('authenticates through an SSH agent', async () => {
    const out = execFileSync('ssh-agent', ['-s']).toString();
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(out)![1]!;
    const pid = /SSH_AGENT_PID=(\d+);/.exec(out)![1]!;
    try {
      execFileSync('ssh-add', ['-q', `${TESTBED_ROOT}/id_ed25519`], {
        env: { ...process.env, SSH_AUTH_SOCK: sock },
      });
      const h = testbedHost(1);
      delete h.identityFile;
      const c = new HostConnections(new Map([['tb1', h]]), {
        knownHostsFile: TESTBED_KNOWN_HOSTS,
        env: { SSH_AUTH_SOCK: sock },
      });
      try {
        expect(String(await (await c.get('tb1').docker()).ping())).toBe('OK');
      } finally {
        await c.closeAll();
      }
    } finally {
      process.kill(Number(pid));
    }
  });
});

describe('known_hosts parsing', () => {
  const key = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), randomBytes(36)]);
  const other = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), randomBytes(36)]);
  const b64 = key.toString('base64');

  it('matches plain, port, wildcard, negated and hashed names', () => {
    expect(entryMatches('10.0.0.1,web1', 'web1')).toBe(true);
    expect(entryMatches('[10.0.0.1]:2222', knownHostName('10.0.0.1', 2222))).toBe(true);
    expect(entryMatches('10.0.0.1', knownHostName('10.0.0.1', 2222))).toBe(false);
    expect(entryMatches('10.0.0.*', '10.0.0.7')).toBe(true);
    expect(entryMatches('10.0.0.?', '10.0.0.17')).toBe(false);
    expect(entryMatches('10.0.0.*,!10.0.0.7', '10.0.0.7')).toBe(false);
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('10.0.0.9').digest('base64');
    expect(entryMatches(`|1|${salt.toString('base64')}|${hash}`, '10.0.0.9')).toBe(true);
    expect(entryMatches(`|1|${salt.toString('base64')}|${hash}`, '10.0.0.8')).toBe(false);
  });

  it('judges keys: known, unknown, changed, revoked', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        `web1 ssh-ed25519 ${b64} comment here`,
        `@revoked * ssh-ed25519 ${other.toString('base64')}`,
        `@cert-authority *.example ssh-ed25519 ${other.toString('base64')}`,
        'garbage',
      ].join('\n'),
    );
    expect(entries).toHaveLength(3);
    expect(checkHostKey(entries, 'web1', key)).toEqual({ kind: 'known' });
    expect(checkHostKey(entries, 'web2', key)).toEqual({ kind: 'unknown' });
    expect(checkHostKey(entries, 'web1', other)).toEqual({ kind: 'revoked' });
    const third = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), randomBytes(36)]);
    expect(checkHostKey(entries, 'web1', third)).toEqual({
      kind: 'changed',
      expected: [{ keyType: 'ssh-ed25519', fingerprint: fingerprint(key), line: 2 }],
    });
  });

  it('computes OpenSSH fingerprints', () => {
    const pub = readFileSync(`${TESTBED_ROOT}/1/ssh_host_ed25519_key.pub`, 'utf8').split(' ')[1]!;
    expect(fingerprint(Buffer.from(pub, 'base64'))).toBe(
      sshKeygenFingerprint(`${TESTBED_ROOT}/1/ssh_host_ed25519_key.pub`),
    );
  });
});
