/**
 * waitForLock, the wait both backends' locks share: immediate retries, one onWait, doubling
 * delays, and LockHeldError at the timeout.
 */
import { describe, expect, it } from 'vitest';
import { LockHeldError } from '../../../src/states/backend.js';
import { waitForLock, type LockAttempt } from '../../../src/states/lock-wait.js';
import type { LockInfo } from '../../../src/states/state.js';

const holder: LockInfo = {
  id: 'h1',
  operation: 'apply',
  who: 'alice@x',
  created: '2026-01-01T00:00:00Z',
  pid: 1,
  hostname: 'x',
};

/** An attempt that answers from a script, recording when it was called. */
function scripted(answers: LockAttempt<string>[]): {
  attempt: () => Promise<LockAttempt<string>>;
  at: number[];
} {
  const at: number[] = [];
  let i = 0;
  return {
    at,
    attempt: () => {
      at.push(Date.now());
      return Promise.resolve(answers[Math.min(i++, answers.length - 1)]!);
    },
  };
}

describe('waitForLock', () => {
  it('returns what the first successful attempt took, without waiting', async () => {
    const s = scripted([{ taken: 'handle' }]);
    const waits: LockInfo[] = [];
    await expect(
      waitForLock(s.attempt, { timeoutMs: 0, where: 'w', onWait: (h) => waits.push(h) }),
    ).resolves.toBe('handle');
    expect(waits).toEqual([]);
  });

  it('retries at once after "retry", even with a timeout of 0', async () => {
    const s = scripted(['retry', 'retry', { taken: 'handle' }]);
    await expect(waitForLock(s.attempt, { timeoutMs: 0, where: 'w' })).resolves.toBe('handle');
    expect(s.at.length).toBe(3);
  });

  it('a timeout of 0 tries once and fails naming the holder, without onWait', async () => {
    const s = scripted([{ holder }]);
    let waited = false;
    const err = await waitForLock(s.attempt, {
      timeoutMs: 0,
      where: 'the state',
      onWait: () => (waited = true),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err).toMatchObject({ holder, timeoutMs: 0 });
    expect((err as Error).message).toContain('(the state)');
    expect(waited).toBe(false);
    expect(s.at.length).toBe(1);
  });

  it('waits with doubling delays, says who holds it once, and fails at the timeout', async () => {
    const s = scripted([{ holder }]);
    const waits: LockInfo[] = [];
    const t0 = Date.now();
    const err = (await waitForLock(s.attempt, {
      timeoutMs: 650,
      where: 'w',
      onWait: (h) => waits.push(h),
    }).catch((e: unknown) => e)) as LockHeldError;
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.timeoutMs).toBe(650);
    expect(err.waitedMs).toBeGreaterThanOrEqual(650);
    expect(elapsed).toBeGreaterThanOrEqual(640);
    expect(waits).toEqual([holder]);
    // 100, 200, 350 (cut at the deadline) ms apart: four tries (a fifth if a timer fires a
    // millisecond early), not one every few ms.
    expect(s.at.length).toBeGreaterThanOrEqual(4);
    expect(s.at.length).toBeLessThanOrEqual(5);
    const gaps = s.at.slice(1).map((t, i) => t - s.at[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(95);
    expect(gaps[1]).toBeGreaterThanOrEqual(195);
  });

  it('takes the lock once it is released while waiting', async () => {
    const s = scripted([{ holder }, { holder }, { taken: 'handle' }]);
    const waits: LockInfo[] = [];
    await expect(
      waitForLock(s.attempt, { timeoutMs: 10_000, where: 'w', onWait: (h) => waits.push(h) }),
    ).resolves.toBe('handle');
    expect(waits).toEqual([holder]);
  });

  it('an attempt that throws ends the wait with its error', async () => {
    const boom = new Error('connection lost');
    await expect(waitForLock(() => Promise.reject(boom), { timeoutMs: 10_000, where: 'w' })).rejects.toBe(
      boom,
    );
  });
});
