/**
 * Waiting for a state lock, the same for every backend: try, and while another operation
 * holds the lock, say once who it is (`onWait`) and try again with a doubling delay (100 ms
 * up to 2 s) until the timeout, then fail with LockHeldError naming the holder. A timeout of
 * 0 tries once.
 */
import { LockHeldError } from './backend.js';
import type { LockInfo } from './state.js';

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;

/**
 * One try at the lock: taken (with what the backend returns for it), held by `holder`, or
 * `retry`: free again already (released between the try and the look at its holder, or a
 * stale lock removed), so tried again at once.
 */
export type LockAttempt<T> = { taken: T } | { holder: LockInfo } | 'retry';

export interface LockWaitOptions {
  timeoutMs: number;
  /** What the lock protects, for the error message. */
  where: string;
  /** Called once, when the first try finds the lock held and the timeout lets us wait. */
  onWait?: ((holder: LockInfo) => void) | undefined;
}

export async function waitForLock<T>(attempt: () => Promise<LockAttempt<T>>, o: LockWaitOptions): Promise<T> {
  const timeoutMs = Math.max(0, o.timeoutMs);
  const start = Date.now();
  const deadline = start + timeoutMs;
  let delay = FIRST_DELAY_MS;
  let waiting = false;
  for (;;) {
    const r = await attempt();
    if (r === 'retry') continue;
    if ('taken' in r) return r.taken;
    const now = Date.now();
    if (now >= deadline) {
      throw new LockHeldError(r.holder, { where: o.where, timeoutMs, waitedMs: now - start });
    }
    if (!waiting) {
      waiting = true;
      o.onWait?.(r.holder);
    }
    await sleep(Math.min(delay, deadline - now));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
