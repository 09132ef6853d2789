import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockHeldError } from '../../../src/states/backend.js';
import { LocalBackend } from '../../../src/states/local-backend.js';
import { isStaleLock, lockWho, pidAlive } from '../../../src/states/lock-file.js';
import type { LockInfo } from '../../../src/states/state.js';
import { scratchDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let statePath: string;
let lockPath: string;
const children: { kill(): boolean }[] = [];
beforeEach(async () => {
  ({ dir, cleanup } = await scratchDir());
  statePath = path.join(dir, 'kolla.state.json');
  lockPath = `${statePath}.lock`;
});
afterEach(async () => {
  for (const c of children.splice(0)) c.kill();
  await cleanup();
});

const req = { operation: 'apply', who: 'alice@control' };

/** Another process that holds the lock by creating the lock file itself, with plain Node. */
async function otherHolder(
  holdMs: number,
): Promise<{ pid: number; id: string; exited: Promise<void>; kill(): boolean }> {
  const id = 'aaaaaaaa-1111-2222-3333-444444444444';
  const script = `
    const fs = require('node:fs'), os = require('node:os');
    const fd = fs.openSync(process.argv[1], 'wx', 0o600);
    fs.writeSync(fd, JSON.stringify({ id: ${JSON.stringify(id)}, operation: 'apply', who: 'bob@' + os.hostname(),
      created: new Date().toISOString(), pid: process.pid, hostname: os.hostname() }));
    fs.closeSync(fd);
    process.stdout.write('locked\\n');
    setTimeout(() => { fs.unlinkSync(process.argv[1]); process.exit(0); }, ${holdMs});`;
  const child = spawn(process.execPath, ['-e', script, lockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  return { pid: child.pid!, id, exited, kill: () => child.kill() };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise<void>((r) => child.once('exit', () => r()));
  return child.pid!;
}

async function writeLock(info: Partial<LockInfo>): Promise<LockInfo> {
  const full: LockInfo = {
    id: 'bbbbbbbb-1111-2222-3333-444444444444',
    operation: 'plan',
    who: 'carol@elsewhere',
    created: '2024-01-02T03:04:05.000Z',
    pid: process.ppid,
    hostname: os.hostname(),
    ...info,
  };
  await writeFile(lockPath, JSON.stringify(full), { mode: 0o600 });
  return full;
}

describe('state lock', () => {
  it('writes a 0600 lock file describing the holder, and removes it on release', async () => {
    const b = new LocalBackend(statePath);
    const h = await b.lock(req, 0);
    expect(h.staleTakenOver).toBeUndefined();
    expect(h.info).toMatchObject({
      operation: 'apply',
      who: 'alice@control',
      pid: process.pid,
      hostname: os.hostname(),
    });
    expect(h.info.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Date.parse(h.info.created)).not.toBeNaN();
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual(h.info);
    if (process.platform !== 'win32') expect((await stat(lockPath)).mode & 0o777).toBe(0o600);
    await h.release();
    await h.release();
    expect(await readdir(dir)).toEqual([]);
    // free again
    await (await b.lock(req, 0)).release();
  });

  it('a second lock() in the same process fails with LockHeldError naming the holder', async () => {
    const b = new LocalBackend(statePath);
    const [r1, r2] = await Promise.allSettled([
      b.lock(req, 0),
      b.lock({ operation: 'plan', who: 'bob@x' }, 0),
    ]);
    const ok = [r1, r2].filter((r) => r.status === 'fulfilled');
    const failed = [r1, r2].filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    const holder = (ok[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof b.lock>>>).value.info;
    const err = (failed[0] as PromiseRejectedResult).reason as LockHeldError;
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.holder).toEqual(holder);
    expect(err.message).toContain('Error acquiring the state lock');
    expect(err.message).toContain(`ID:        ${holder.id}`);
    expect(err.message).toContain(`Operation: ${holder.operation}`);
    expect(err.message).toContain(`Who:       ${holder.who}`);
    expect(err.message).toContain(`Created:   ${holder.created}`);
    expect(err.message).toContain(`kolla force-unlock ${holder.id}`);
  });

  it('waits for a lock held by another process, with backoff, then fails at the timeout', async () => {
    const other = await otherHolder(60_000);
    const b = new LocalBackend(statePath);
    const waits: LockInfo[] = [];
    const t0 = Date.now();
    const err = (await b.lock(req, 700, (h) => waits.push(h)).catch((e: unknown) => e)) as LockHeldError;
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.holder).toMatchObject({ id: other.id, pid: other.pid, who: `bob@${os.hostname()}` });
    expect(err.message).toContain('did not release it within 700ms');
    expect(elapsed).toBeGreaterThanOrEqual(690);
    expect(elapsed).toBeLessThan(3000);
    expect(waits).toHaveLength(1);
    expect(waits[0]!.id).toBe(other.id);
    // the holder's lock is untouched
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ id: other.id });
  });

  it('a hand-written lock of a live process (our parent) blocks too; timeout 0 tries once', async () => {
    const held = await writeLock({ pid: process.ppid });
    const b = new LocalBackend(statePath);
    let waited = false;
    const t0 = Date.now();
    await expect(b.lock(req, 0, () => (waited = true))).rejects.toMatchObject({ holder: held, timeoutMs: 0 });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(waited).toBe(false);
  });

  it('gets the lock once the other process releases it while we wait', async () => {
    const other = await otherHolder(400);
    const b = new LocalBackend(statePath);
    let waitedFor: string | undefined;
    const h = await b.lock(req, 10_000, (holder) => (waitedFor = holder.id));
    expect(waitedFor).toBe(other.id);
    expect(h.staleTakenOver).toBeUndefined();
    await h.release();
  });

  it('takes over a stale lock of a dead process on this host and says so', async () => {
    const pid = await deadPid();
    expect(pidAlive(pid)).toBe(false);
    const stale = await writeLock({ pid, operation: 'apply' });
    expect(isStaleLock(stale)).toBe(true);
    const b = new LocalBackend(statePath);
    const h = await b.lock(req, 0);
    expect(h.staleTakenOver).toEqual(stale);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual(h.info);
    await h.release();
    // no stale-* leftovers
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over the lock of a holder process that was killed', async () => {
    const other = await otherHolder(60_000);
    other.kill();
    await other.exited;
    const h = await new LocalBackend(statePath).lock(req, 0);
    expect(h.staleTakenOver?.id).toBe(other.id);
    await h.release();
  });

  it('does not judge locks of other hosts, even with a dead pid', async () => {
    const held = await writeLock({ pid: await deadPid(), hostname: 'some-other-host.invalid' });
    expect(isStaleLock(held)).toBe(false);
    await expect(new LocalBackend(statePath).lock(req, 0)).rejects.toBeInstanceOf(LockHeldError);
  });

  it('reports an unreadable lock file without offering force-unlock', async () => {
    await writeFile(lockPath, 'garbage');
    const b = new LocalBackend(statePath);
    const err = (await b.lock(req, 0).catch((e: unknown) => e)) as LockHeldError;
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.holder.id).toBe('');
    expect(err.message).toContain('delete it by hand');
    await expect(b.forceUnlock('anything')).rejects.toThrow(/cannot be read/);
  });
});

describe('force-unlock', () => {
  it('removes the lock only when the ID matches', async () => {
    const held = await writeLock({});
    const b = new LocalBackend(statePath);
    await expect(b.forceUnlock('wrong-id')).rejects.toThrow(`locked with ID ${held.id}, not wrong-id`);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual(held);
    await b.forceUnlock(held.id);
    expect(await readdir(dir)).toEqual([]);
    await expect(b.forceUnlock(held.id)).rejects.toThrow(/is not locked/);
  });

  it('a released handle does not remove a lock taken by someone else after a force-unlock', async () => {
    const b = new LocalBackend(statePath);
    const mine = await b.lock(req, 0);
    await b.forceUnlock(mine.info.id);
    const theirs = await b.lock({ operation: 'plan', who: 'bob@x' }, 0);
    await mine.release();
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual(theirs.info);
    await theirs.release();
  });
});

describe('lockWho', () => {
  it('is user@hostname', () => {
    expect(lockWho()).toMatch(new RegExp(`^[^@]+@${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });
});
