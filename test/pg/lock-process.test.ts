/**
 * The pg lock between real processes: node processes that import the built backend
 * (dist/states/pg-backend.js) and hold the lock, and the CLI. A second process waits or
 * fails with the holder's details; kill -9 of the holder frees the lock at once (its
 * connection drops); force-unlock ends a holder's session.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LockHeldError } from '../../src/states/backend.js';
import { PgBackend } from '../../src/states/pg-backend.js';
import {
  buildOnce,
  configDir,
  dropSchema,
  kolla,
  mainHcl,
  pgBlock,
  pgUp,
  startLocker,
  uniqueSchema,
  type Locker,
} from './helpers.js';

let conn: string;
const schema = uniqueSchema('lockproc');
const lockers: Locker[] = [];

function locker(o: Parameters<typeof startLocker>[2] = {}): Locker {
  const l = startLocker(conn, schema, o);
  lockers.push(l);
  return l;
}

// Each test runs the CLI many times (about a second each, more on a busy machine).
vi.setConfig({ testTimeout: 300_000 });

beforeAll(() => {
  conn = pgUp();
  buildOnce();
});
afterAll(async () => {
  for (const l of lockers) if (l.child.exitCode === null) l.child.kill('SIGKILL');
  await Promise.all(lockers.map((l) => l.exited));
  await dropSchema(conn, schema);
});

describe('the pg lock between processes', () => {
  it('a second process fails with the holder details, or waits until the holder releases', async () => {
    const holder = locker({ workspace: 'p1', operation: 'apply', holdMs: 2500 });
    const locked = await holder.next('locked');
    // Tries once: fails at once, naming the holder.
    const quick = locker({ workspace: 'p1', operation: 'plan', timeoutMs: 0 });
    const err = await quick.next('error');
    expect(await quick.exited).toBe(3);
    expect(err['name']).toBe('LockHeldError');
    expect(err['holder']).toMatchObject({
      id: locked['id'],
      operation: 'apply',
      who: 'locker@test',
      pid: locked['pid'],
    });
    expect(err['message']).toContain(`kolla force-unlock ${String(locked['id'])}`);
    // Waits: told who holds it, then gets it once the holder is done.
    const patient = locker({ workspace: 'p1', operation: 'plan', timeoutMs: 20_000, holdMs: 0 });
    const wait = await patient.next('wait');
    expect(wait['holder']).toMatchObject({ id: locked['id'] });
    await holder.next('released');
    const got = await patient.next('locked');
    expect(got['staleTakenOver']).toBeNull();
    expect(await patient.exited).toBe(0);
    expect(await holder.exited).toBe(0);
  });

  it('kill -9 of the holder releases the lock: the next lock succeeds at once', async () => {
    const holder = locker({ workspace: 'p2', holdMs: 60_000 });
    const locked = await holder.next('locked');
    const b = new PgBackend({ connStr: conn, schema, workspace: 'p2' });
    try {
      await expect(b.lock({ operation: 'apply', who: 'me@test' }, 0)).rejects.toThrow(LockHeldError);
      holder.child.kill('SIGKILL');
      await holder.exited;
      const t0 = Date.now();
      const h = await b.lock({ operation: 'apply', who: 'me@test' }, 10_000);
      expect(Date.now() - t0).toBeLessThan(2000);
      // The dead holder's details are reported as taken over.
      expect(h.staleTakenOver).toMatchObject({ id: locked['id'], pid: locked['pid'] });
      await h.release();
    } finally {
      await b.close();
    }
  });

  it('the CLI reports the holder, and force-unlock refuses a holder still running on this machine', async () => {
    const dir = configDir({ 'main.hcl': mainHcl(pgBlock(conn, schema)) });
    const env = { KOLLA_WORKSPACE: 'p3' };
    expect((await kolla(['apply', '-auto-approve'], dir, env)).code).toBe(0);
    const holder = locker({ workspace: 'p3', operation: 'apply', holdMs: 60_000 });
    const locked = await holder.next('locked');
    const id = String(locked['id']);
    const r = await kolla(['apply', '-auto-approve', '-lock-timeout=1s'], dir, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error acquiring the state lock');
    expect(r.stderr).toContain(`ID:        ${id}`);
    expect(r.stderr).toContain('Who:       locker@test');
    expect(r.stderr).toContain('did not release it within 1s');
    expect(r.stderr).not.toContain('internal error');
    const wrong = await kolla(['force-unlock', 'nope'], dir, env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`locked with ID ${id}, not nope`);
    // The holder runs on this machine (its PID is alive): even -force does not free its lock.
    const fu = await kolla(['force-unlock', '-force', id], dir, env);
    expect(fu.code).toBe(1);
    expect(fu.stderr).not.toContain('internal error');
    expect(fu.stdout).not.toContain('successfully unlocked');
  });
});
