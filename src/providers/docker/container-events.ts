/**
 * One Docker events stream per engine, shared by every health gate waiting on that engine, so
 * that a gate wakes when its container changes (a health status, a start, a death) instead of
 * inspecting it on a fixed clock. Over SSH every inspect is a channel of its own; at a hundred
 * hosts the gates' 250 ms polls were most of a cold apply's requests (bench/RESULTS.md).
 *
 * A gate arms `next()` before it inspects, so that no event between its inspect and its wait
 * is lost; the stream's own start wakes every gate (an event before the stream was there is
 * then seen by that inspect). Until the stream is up, or when it fails, `live` is false and
 * the gate keeps its short poll; with it, a long one is only a safety net. The stream is
 * closed as soon as no gate watches: an open stream would keep the process alive, and opening
 * it again for the next gate is one request.
 */
import { StringDecoder } from 'node:string_decoder';
import type Dockerode from 'dockerode';

/**
 * Actions that can change what a gate decides (health, running, restarted, gone); the stream
 * asks for these only (not the healthchecks' exec_* events, several a second on a busy host).
 */
const ACTIONS = new Set([
  'health_status',
  'start',
  'die',
  'restart',
  'oom',
  'destroy',
  'pause',
  'stop',
  'kill',
]);

export interface ContainerWatch {
  /**
   * Resolves at the next event of the container (or the stream's start) after this call; a
   * later call abandons the promise of the one before (it then never resolves).
   */
  next(): Promise<void>;
  /** The events stream is up: an event will wake `next()`. */
  readonly live: boolean;
  close(): void;
}

/** How long after a failed or dropped stream it is asked for again. */
const RETRY_MS = 2_000;

type Stream = NodeJS.ReadableStream & { destroy?: () => void };

class EventHub {
  private stream: Stream | undefined;
  private opening = false;
  private ready = false;
  private retryAt = 0;
  private readonly wakers = new Map<string, Set<() => void>>();
  private watchers = 0;

  constructor(private readonly docker: Dockerode) {}

  get live(): boolean {
    return this.ready;
  }

  watch(id: string): ContainerWatch {
    this.watchers++;
    this.open();
    return new Watch(this, id);
  }

  /** A waker for container `id` (its id, a unique prefix of 12 or more, or its name). */
  addWaker(id: string, wake: () => void): void {
    let set = this.wakers.get(id);
    if (!set) this.wakers.set(id, (set = new Set()));
    set.add(wake);
  }

  removeWaker(id: string, wake: () => void): void {
    const set = this.wakers.get(id);
    set?.delete(wake);
    if (set?.size === 0) this.wakers.delete(id);
  }

  release(): void {
    if (--this.watchers > 0) return;
    this.shut();
  }

  /** Open the stream unless it is open, opening, or failed less than RETRY_MS ago. */
  open(): void {
    if (this.stream || this.opening || this.watchers === 0 || Date.now() < this.retryAt) return;
    this.opening = true;
    this.docker.getEvents({ filters: { type: ['container'], event: [...ACTIONS] } }).then(
      (s) => {
        this.opening = false;
        const stream = s as Stream;
        if (this.watchers === 0) {
          stream.destroy?.();
          return;
        }
        this.stream = stream;
        this.ready = true;
        let buf = '';
        const utf8 = new StringDecoder('utf8');
        stream.on('data', (chunk: Buffer | string) => {
          buf += typeof chunk === 'string' ? chunk : utf8.write(chunk);
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) this.dispatch(line);
          }
        });
        // A stream that ends is opened again by the next gate's wait (not at once: an engine
        // that drops it at once is asked again after RETRY_MS). Gates fall back to their short
        // poll meanwhile; none is woken for the drop itself.
        const down = (): void => {
          if (this.stream !== stream) return;
          this.stream = undefined;
          this.ready = false;
          this.retryAt = Date.now() + RETRY_MS;
        };
        stream.on('end', down);
        stream.on('close', down);
        stream.on('error', down);
        // Anything that happened before the stream was up is seen by the inspect this wakes.
        this.wakeAll();
      },
      () => {
        this.opening = false;
        this.ready = false;
        this.retryAt = Date.now() + RETRY_MS;
      },
    );
  }

  private dispatch(line: string): void {
    let ev: {
      id?: string;
      Action?: string;
      status?: string;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
    };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      return;
    }
    const action = (ev.Action ?? ev.status ?? '').split(':')[0] ?? '';
    if (!ACTIONS.has(action)) return;
    const id = ev.Actor?.ID ?? ev.id ?? '';
    const name = ev.Actor?.Attributes?.['name'];
    for (const [key, set] of this.wakers) {
      if (key === id || (key.length >= 12 && id.startsWith(key)) || key === name)
        for (const w of [...set]) w();
    }
  }

  private wakeAll(): void {
    for (const set of this.wakers.values()) for (const w of [...set]) w();
  }

  private shut(): void {
    if (this.watchers > 0) return;
    const s = this.stream;
    this.stream = undefined;
    this.ready = false;
    s?.destroy?.();
  }
}

class Watch implements ContainerWatch {
  private readonly mine = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly hub: EventHub,
    private readonly id: string,
  ) {}

  get live(): boolean {
    return this.hub.live;
  }

  /** The waker of the last next(), dropped by the next one (its promise is then let go). */
  private waker: (() => void) | undefined;

  next(): Promise<void> {
    // A fresh promise per wait: racing one long-lived promise again and again would pile
    // reactions on it.
    if (this.waker) {
      this.mine.delete(this.waker);
      this.hub.removeWaker(this.id, this.waker);
    }
    this.hub.open();
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.mine.delete(wake);
        this.hub.removeWaker(this.id, wake);
        if (this.waker === wake) this.waker = undefined;
        resolve();
      };
      this.waker = wake;
      this.mine.add(wake);
      this.hub.addWaker(this.id, wake);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.mine) this.hub.removeWaker(this.id, w);
    this.mine.clear();
    this.hub.release();
  }
}

const hubs = new WeakMap<Dockerode, EventHub>();

/** Watch a container's events on this engine (one shared stream per engine). */
export function watchContainer(docker: Dockerode, id: string): ContainerWatch {
  let hub = hubs.get(docker);
  if (!hub) hubs.set(docker, (hub = new EventHub(docker)));
  return hub.watch(id);
}
