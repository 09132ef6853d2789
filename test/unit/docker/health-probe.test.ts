import { describe, expect, it } from 'vitest';
import {
  probeCommand,
  probeDelayMs,
  probeSlot,
  RateLimiter,
} from '../../../src/providers/docker/health-probe.js';

describe("kolla's own health probe", () => {
  it('runs the command Docker would run', () => {
    expect(probeCommand(['CMD', 'true'])).toEqual(['true']);
    expect(probeCommand(['CMD-SHELL', 'test -f /ok'])).toEqual(['/bin/sh', '-c', 'test -f /ok']);
    expect(probeCommand(['NONE'])).toBeUndefined();
    expect(probeCommand(undefined)).toBeUndefined();
  });

  it('backs off from 0.25 s, never past the interval nor past 5 s', () => {
    expect([0, 1, 2, 3].map((n) => probeDelayMs(n, 5_000))).toEqual([250, 500, 1000, 2000]);
    expect(probeDelayMs(10, 5_000)).toBe(5_000);
    // A shorter interval caps it; a longer one (kolla-ansible's 30 s) does not stretch it past 5 s.
    expect(probeDelayMs(10, 2_000)).toBe(2_000);
    expect([4, 5, 6, 10].map((n) => probeDelayMs(n, 30_000))).toEqual([4_000, 5_000, 5_000, 5_000]);
  });

  it('reserves rate-limited slots without waiting: now, then one every 1/rate s (10 a second)', () => {
    // Whatever earlier tests took, the next slot is at most 100 ms away; take it first.
    const first = probeSlot().delayMs;
    expect(first).toBeLessThanOrEqual(100);
    const later = [probeSlot(), probeSlot(), probeSlot()].map((s) => s.delayMs);
    // Each reservation is 100 ms after the one before; none blocked this thread.
    expect(later[0]! - first).toBeGreaterThanOrEqual(95);
    expect(later[1]! - later[0]!).toBeGreaterThanOrEqual(95);
    expect(later[2]! - later[1]!).toBeGreaterThanOrEqual(95);
    expect(later[2]!).toBeLessThanOrEqual(450);
  });

  it('gives an unused slot back while no later one was reserved; later ones keep their times', () => {
    const l = new RateLimiter(10); // a slot every 100 ms
    const now = 1_000_000;
    expect(l.reserve(now).delayMs).toBe(0);
    const second = l.reserve(now);
    expect(second.delayMs).toBe(100);
    second.release(); // its gate opened on Docker's status: the slot is free again
    const third = l.reserve(now);
    expect(third.delayMs).toBe(100);
    const fourth = l.reserve(now);
    expect(fourth.delayMs).toBe(200);
    third.release(); // a later slot was reserved since: nothing moves
    expect(l.reserve(now).delayMs).toBe(300);
    // A slot is given back once: a second release cannot free the slot reserved after it.
    const fifth = l.reserve(now);
    expect(fifth.delayMs).toBe(400);
    fifth.release();
    const sixth = l.reserve(now);
    expect(sixth.delayMs).toBe(400);
    fifth.release();
    expect(l.reserve(now).delayMs).toBe(500);
  });
});
