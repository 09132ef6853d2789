/**
 * Time limits and Ctrl-C for every call kolla makes to a host. A frozen dockerd accepts
 * connections (the kernel queues them) and never answers, so without a limit a plan waits
 * forever; and a request already in flight does not notice that the user pressed Ctrl-C.
 *
 * `limitDocker` wraps a Dockerode's modem so that each Engine API request is bounded:
 * - an ordinary call must be answered within the host timeout (a stop or restart gets its
 *   grace period on top);
 * - a streamed call (pull, image save and load, logs) may take as long as it needs while
 *   bytes flow, and fails after the host timeout without a byte in either direction;
 * - a wait for a container, an attach or a build has no limit of ours (they have their own,
 *   or are watched on screen), but is still aborted by Ctrl-C.
 * When the run's signal fires (Ctrl-C), every request in flight at that moment is aborted;
 * later requests (the rollback's) run normally.
 */
import type Dockerode from 'dockerode';
import { KollaError } from '../diags/kolla-error.js';

export const DEFAULT_HOST_TIMEOUT_MS = 60_000;

export interface CallLimits {
  /** Inventory name of the host, for messages. */
  host: string;
  /** The host timeout (`host_timeout` in the kolla block). */
  timeoutMs: number;
  /** The run's interrupt (Ctrl-C): requests in flight when it fires are aborted. */
  signal?: AbortSignal;
}

/** A call to a host that did not answer in time. */
export class HostTimeoutError extends KollaError {
  readonly failure = 'timeout';
  constructor(
    readonly host: string,
    readonly call: string,
    readonly timeoutMs: number,
  ) {
    super('host', `host "${host}": ${call} timed out after ${fmtMs(timeoutMs)} without an answer`, {
      hint: `Is the Docker engine (or sshd) on "${host}" frozen or overloaded? Check it there (docker info); if the host is only slow, raise host_timeout in the kolla block (now ${fmtMs(timeoutMs)}).`,
    });
  }
}

/** A call to a host abandoned because the user interrupted the run. */
export class HostCallInterruptedError extends KollaError {
  readonly failure = 'interrupted';
  constructor(
    readonly host: string,
    readonly call: string,
  ) {
    super('host', `host "${host}": ${call} interrupted (Ctrl-C)`, { exitCode: 130 });
  }
}

/** A timeout or interrupt of a call to a host: its message already names the host. */
export function isHostCallError(e: unknown): e is HostTimeoutError | HostCallInterruptedError {
  return e instanceof HostTimeoutError || e instanceof HostCallInterruptedError;
}

/** The message with its hint, for places that show one line of text per host. */
export function withHint(e: unknown): string {
  if (e instanceof KollaError && e.hint) return `${e.message}. ${e.hint}`;
  return e instanceof Error ? e.message : String(e);
}

export function fmtMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

type Callback = (err: unknown, result?: unknown) => void;

interface DialOptions {
  path?: string;
  method?: string;
  options?: Record<string, unknown>;
  isStream?: boolean;
  hijack?: boolean;
  openStdin?: boolean;
  file?: unknown;
  abortSignal?: AbortSignal;
}

type Kind = 'call' | 'stream' | 'unbounded';

function classify(o: DialOptions): { kind: Kind; extraMs: number } {
  const p = o.path ?? '';
  if (o.hijack || o.openStdin || /\/wait\?/.test(p) || p.startsWith('/build') || p.startsWith('/events')) {
    return { kind: 'unbounded', extraMs: 0 };
  }
  // Followed logs and streamed stats end only when the caller stops reading.
  if (/\/logs\?/.test(p) && o.options?.['follow'] === true) return { kind: 'unbounded', extraMs: 0 };
  if (/\/stats\?/.test(p) && o.options?.['stream'] !== false) return { kind: 'unbounded', extraMs: 0 };
  if (o.isStream || o.file !== undefined) return { kind: 'stream', extraMs: 0 };
  const t = o.options?.['t'];
  if (/\/(stop|restart)\?/.test(p)) {
    // The engine answers after the grace period (default 10 s) and the kill.
    return { kind: 'call', extraMs: (typeof t === 'number' ? t : 10) * 1000 };
  }
  return { kind: 'call', extraMs: 0 };
}

function describeCall(o: DialOptions): string {
  const p = (o.path ?? '').replace(/\?.*$/, '');
  const call = `Docker API ${o.method ?? 'GET'} ${p}`;
  const from = o.options?.['fromImage'];
  if (p === '/images/create' && typeof from === 'string') {
    const tag = o.options?.['tag'];
    return `pulling image ${from}${typeof tag === 'string' && tag !== '' && !from.includes('@') ? `:${tag}` : ''} (${call})`;
  }
  if (p === '/images/load') return `loading an image (${call})`;
  if (/^\/images\/.*\/get$/.test(p)) return `exporting an image (${call})`;
  return call;
}

interface Destroyable {
  destroy(err?: Error): void;
  on(ev: string, f: (...a: unknown[]) => void): unknown;
  once(ev: string, f: (...a: unknown[]) => void): unknown;
}

/**
 * Bound every request of `docker` (see the module comment). Idempotent; returns `docker`.
 */
export function limitDocker(docker: Dockerode, limits: CallLimits): Dockerode {
  const modem = docker.modem as unknown as {
    dial: (o: DialOptions, cb: Callback) => void;
    __kollaLimited?: boolean;
  };
  if (modem.__kollaLimited) return docker;
  modem.__kollaLimited = true;
  const dial = modem.dial.bind(modem);
  modem.dial = (o: DialOptions, callback: Callback): void => {
    const { kind, extraMs } = classify(o);
    const what = describeCall(o);
    const ac = new AbortController();
    const own = o.abortSignal;
    let settled = false;
    let stream: Destroyable | undefined;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      limits.signal?.removeEventListener('abort', onInterrupt);
      own?.removeEventListener('abort', onOwnAbort);
    };
    const fail = (err: Error): void => {
      cleanup();
      ac.abort(err);
      if (stream) {
        stream.destroy(err);
      } else if (!settled) {
        settled = true;
        callback(err);
      }
    };
    const limit = limits.timeoutMs + extraMs;
    const arm = (): void => {
      if (kind === 'unbounded' || limits.timeoutMs <= 0) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => fail(new HostTimeoutError(limits.host, what, limit)), limit);
    };
    const onInterrupt = (): void => fail(new HostCallInterruptedError(limits.host, what));
    const onOwnAbort = (): void => ac.abort(own?.reason);
    if (limits.signal?.aborted) {
      // Ctrl-C came before this call: it is the rollback's, let it run.
    } else {
      limits.signal?.addEventListener('abort', onInterrupt, { once: true });
    }
    if (own) {
      if (own.aborted) ac.abort(own.reason);
      else own.addEventListener('abort', onOwnAbort, { once: true });
    }
    // Upload progress (image load) counts as activity.
    if (kind === 'stream') onData(o.file, arm);
    arm();
    dial({ ...o, abortSignal: ac.signal }, (err, result) => {
      if (settled) return;
      settled = true;
      if (err) {
        cleanup();
        callback(err);
        return;
      }
      const r = result as Destroyable | undefined;
      const isStream =
        r !== null && typeof r === 'object' && typeof (r as { pipe?: unknown }).pipe === 'function';
      if (!isStream || kind === 'call') {
        cleanup();
        callback(null, result);
        return;
      }
      stream = r;
      arm();
      onData(r, arm);
      r.once('end', cleanup);
      r.once('close', cleanup);
      r.once('error', cleanup);
      callback(null, result);
    });
  };
  return docker;
}

/**
 * Call `f` on each chunk a stream emits, without a 'data' listener: one would switch the
 * stream to flowing mode, and chunks would be lost before its consumer pipes it.
 */
function onData(s: unknown, f: () => void): void {
  if (s === null || typeof s !== 'object' || typeof (s as { emit?: unknown }).emit !== 'function') return;
  const x = s as { emit: (ev: string | symbol, ...a: unknown[]) => boolean };
  const emit = x.emit.bind(x);
  x.emit = (ev: string | symbol, ...a: unknown[]): boolean => {
    if (ev === 'data') f();
    return emit(ev, ...a);
  };
}

/**
 * Run `fn` with the host timeout and the run's interrupt: whichever comes first rejects
 * (and calls `onGiveUp`, to free what the call holds). For SFTP and exec calls.
 */
export function limitCall<T>(
  limits: CallLimits,
  what: string,
  fn: () => Promise<T>,
  onGiveUp?: () => void,
): Promise<T> {
  if (limits.timeoutMs <= 0 && !limits.signal) return fn();
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (): void => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onInterrupt);
    };
    const giveUp = (err: Error): void => {
      if (done) return;
      finish();
      try {
        onGiveUp?.();
      } catch {
        /* best effort */
      }
      reject(err);
    };
    const onInterrupt = (): void => giveUp(new HostCallInterruptedError(limits.host, what));
    const timer =
      limits.timeoutMs > 0
        ? setTimeout(
            () => giveUp(new HostTimeoutError(limits.host, what, limits.timeoutMs)),
            limits.timeoutMs,
          )
        : undefined;
    if (limits.signal && !limits.signal.aborted)
      limits.signal.addEventListener('abort', onInterrupt, { once: true });
    fn().then(
      (v) => {
        if (done) return;
        finish();
        resolve(v);
      },
      (e: unknown) => {
        if (done) return;
        finish();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
