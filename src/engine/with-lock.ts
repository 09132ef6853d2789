/**
 * Running an operation under the state lock, the same for every command that changes (or
 * must see a stable) state: plan, apply, init -migrate-state, workspace new and delete, state
 * push and rm. Waiting for the lock is reported as a `lock-wait` event, and taking over a
 * lock left by a kolla that died as a warning (that run may have been interrupted).
 */
import type { Backend } from '../states/backend.js';
import { lockWho } from '../states/lock-file.js';
import type { EventSink } from './events.js';

export interface LockOptions {
  /** false: -lock=false, run without the lock. */
  lock: boolean;
  /** How long to wait for a held lock (-lock-timeout); 0 tries once. */
  lockTimeoutMs: number;
  onEvent: EventSink;
}

export async function withLock<T>(
  backend: Backend,
  o: LockOptions,
  operation: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (!o.lock) return fn();
  const handle = await backend.lock({ operation, who: lockWho() }, o.lockTimeoutMs, (holder) =>
    o.onEvent({ type: 'lock-wait', holder: `${holder.who} (${holder.operation}, id ${holder.id})` }),
  );
  if (handle.staleTakenOver) {
    o.onEvent({
      type: 'message',
      level: 'warning',
      text: `took over a stale lock ${handle.staleTakenOver.id} left by process ${handle.staleTakenOver.pid} (${handle.staleTakenOver.operation}), which is no longer running`,
    });
  }
  try {
    return await fn();
  } finally {
    await handle.release();
  }
}
