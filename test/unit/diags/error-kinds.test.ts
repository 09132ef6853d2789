/** Every error a user can cause is a KollaError of the right kind (issue #15 item 4). */
import { describe, expect, it } from 'vitest';
import { KollaError } from '../../../src/diags/kolla-error.js';
import { SshError } from '../../../src/transport/ssh-errors.js';
import { LockHeldError, StaleLineageError, StateWriteError } from '../../../src/states/backend.js';
import { StateFileError, StateVersionError } from '../../../src/states/statefile.js';
import { LockNotHeldError } from '../../../src/states/lock-file.js';
import { PgBackendError } from '../../../src/states/pg-store.js';
import { BackendSetupError } from '../../../src/engine/backend/errors.js';
import { PushError } from '../../../src/build/push.js';
import { ContextError } from '../../../src/build/build-context.js';
import { NoCredentialsError } from '../../../src/transport/ssh-auth.js';

const holder = { id: 'i', operation: 'apply', who: 'w', created: 'c', pid: 1, hostname: 'h' };

describe('error kinds', () => {
  it.each([
    [new SshError('node1', 'unreachable', 'connection refused', '10.0.0.1:22'), 'host'],
    [new NoCredentialsError('no key'), 'host'],
    [new PushError('refused'), 'host'],
    [new LockHeldError(holder), 'state'],
    [new StaleLineageError({ lineage: 'a', serial: 1 }, { lineage: 'b', serial: 1 }), 'state'],
    [new StateFileError('bad'), 'state'],
    [new StateVersionError(9, 'f', undefined), 'state'],
    [new LockNotHeldError('not locked'), 'state'],
    [new PgBackendError('down'), 'state'],
    [
      new StateWriteError('/x/kolla.state.json', Object.assign(new Error('full'), { code: 'ENOSPC' })),
      'state',
    ],
    [new BackendSetupError('bad backend'), 'configuration'],
    [new ContextError('no folder'), 'configuration'],
  ] as const)('%s is a KollaError of kind %s', (err, kind) => {
    expect(err).toBeInstanceOf(KollaError);
    expect((err as KollaError).kind).toBe(kind);
    expect((err as KollaError).isUserError).toBe(true);
  });

  it('an SSH failure names the host and says what to check', () => {
    const e = new SshError('node1', 'auth', 'authentication refused', 'root@10.0.0.1:22');
    expect(e.message).toContain('host "node1"');
    expect(e.hint).toContain('authorized_keys');
  });

  it('a state write failure keeps the path and errno', () => {
    const e = new StateWriteError(
      '/x/kolla.state.json',
      Object.assign(new Error('full'), { code: 'ENOSPC' }),
    );
    expect(e.errno).toBe('ENOSPC');
    expect(e.path).toBe('/x/kolla.state.json');
    expect(e.message).toContain('no space left');
  });
});
