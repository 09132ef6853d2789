/**
 * Which refresh errors leave a host out of the plan (it is down) and which stop the plan (it
 * refuses): engine/refresh.ts isHostDown.
 */
import { describe, expect, it } from 'vitest';
import { isHostDown } from '../../../src/engine/refresh.js';
import { SshError, type SshFailure } from '../../../src/transport/ssh-errors.js';
import { KollaError } from '../../../src/diags/kolla-error.js';

const ssh = (failure: SshFailure) => new SshError('node3', failure, 'why', 'root@10.0.0.3:22');
const errno = (code: string) => Object.assign(new Error(code), { code });

describe('isHostDown', () => {
  it('a host with no network path, a timed-out or dropped SSH connection, or no Docker engine is down', () => {
    for (const f of [
      'unreachable',
      'timeout',
      'disconnected',
      'docker-socket-missing',
      'docker-socket-refused',
    ] as const)
      expect(isHostDown(ssh(f)), f).toBe(true);
    for (const c of ['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ETIMEDOUT'])
      expect(isHostDown(errno(c)), c).toBe(true);
  });

  it('a host that answers and refuses is not: authentication, host keys, permissions, protocol', () => {
    for (const f of [
      'no-credentials',
      'auth',
      'host-key-unknown',
      'host-key-changed',
      'host-key-revoked',
      'docker-socket-denied',
      'protocol',
    ] as const)
      expect(isHostDown(ssh(f)), f).toBe(false);
    expect(isHostDown(errno('EACCES'))).toBe(false);
    expect(isHostDown(new KollaError('host', 'engine too old'))).toBe(false);
    expect(isHostDown(new Error('something else'))).toBe(false);
  });
});
