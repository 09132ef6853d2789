/**
 * LocalTransport: the host kolla runs on. Docker through the local socket (or DOCKER_HOST),
 * files through node:fs with crash-safe atomic writes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import { inspect } from 'node:util';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type Dockerode from 'dockerode';
import type { DockerOptions } from 'dockerode';
import type { Transport } from './transport.js';
import { loadDockerode } from './dockerode-loader.js';
import { DEFAULT_HOST_TIMEOUT_MS, limitDocker, type CallLimits } from './call-limits.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export interface LocalTransportOptions {
  /** Inventory name of the host; defaults to "localhost". */
  host?: string;
  /** Engine socket path used when neither dockerHost nor DOCKER_HOST is set. */
  dockerSocket?: string;
  /** Docker host URL (unix://, tcp://, ssh://); beats the DOCKER_HOST environment variable. */
  dockerHost?: string;
  /** Limit on each Docker call (0: none); default DEFAULT_HOST_TIMEOUT_MS. */
  timeoutMs?: number;
  /** The run's interrupt: Docker calls in flight when it fires are aborted. */
  signal?: AbortSignal;
}

export class LocalTransport implements Transport {
  readonly host: string;
  private readonly opts: LocalTransportOptions;
  private client: Promise<Dockerode> | undefined;

  constructor(opts: LocalTransportOptions = {}) {
    this.host = opts.host ?? 'localhost';
    this.opts = opts;
  }

  /** The time limit and interrupt every Docker call of this host gets. */
  protected get limits(): CallLimits {
    const l: CallLimits = { host: this.host, timeoutMs: this.opts.timeoutMs ?? DEFAULT_HOST_TIMEOUT_MS };
    if (this.opts.signal) l.signal = this.opts.signal;
    return l;
  }

  docker(): Promise<Dockerode> {
    // dockerode (and its request stack) costs tens of milliseconds to load; commands that
    // never touch Docker (validate, state list) should not pay for it.
    this.client ??= Promise.resolve().then(() => {
      const Docker = loadDockerode();
      const o = dockerOptions(this.opts, process.env);
      // docker-modem hands `agent` to node:http (its options type does not name it).
      const withAgent = o.socketPath ? ({ ...o, agent: socketAgent() } as DockerOptions) : o;
      return limitDocker(new Docker(withAgent), this.limits);
    });
    return this.client;
  }

  async readFile(file: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(file);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async writeFileAtomic(file: string, data: Buffer | string, mode: number): Promise<void> {
    const dir = path.dirname(file);
    // Same directory as the target so that rename() is atomic (same filesystem); the
    // random suffix keeps concurrent writers from sharing a temp file.
    const tmp = path.join(
      dir,
      `.${path.basename(file)}.kolla-tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
    );
    const handle = await fs.open(tmp, 'wx', mode);
    try {
      try {
        await handle.writeFile(data);
        // open()'s mode is filtered by the umask; chmod makes the result exact.
        await handle.chmod(mode);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await syncDir(dir);
  }

  async createExclusive(file: string, data: string, mode: number): Promise<boolean> {
    let handle;
    try {
      handle = await fs.open(file, 'wx', mode);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) return false;
      throw err;
    }
    try {
      await handle.writeFile(data);
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  }

  async removeFile(file: string): Promise<void> {
    await fs.rm(file, { force: true });
  }

  async mkdirp(dir: string, mode: number): Promise<void> {
    const first = await fs.mkdir(dir, { recursive: true, mode });
    if (first === undefined) return;
    // mkdir's mode is filtered by the umask: fix every directory we created, from the
    // first one down to the leaf, and leave pre-existing parents alone.
    const target = path.resolve(dir);
    let cur = path.resolve(first);
    for (;;) {
      await fs.chmod(cur, mode);
      if (cur === target) break;
      const rest = path.relative(cur, target).split(path.sep)[0];
      if (rest === undefined || rest === '') break;
      cur = path.join(cur, rest);
    }
  }

  fileHash(file: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(file)
        .on('error', (err) => (isErrno(err, 'ENOENT') ? resolve(undefined) : reject(err)))
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => resolve(hash.digest('hex')));
    });
  }

  async close(): Promise<void> {
    // dockerode keeps no persistent connection to the local socket; nothing to release.
    this.client = undefined;
  }
}

/**
 * The agent of a unix-socket engine: node:http's default one (Node 20's globalAgent options),
 * but with no TLS server name to work out. Without it, every request derives one from its
 * Host header with net.isIP, whose IPv6 expression takes ~8 ms to compile on a run's first
 * request (a tenth of a no-op plan of ten containers' own time).
 */
export function socketAgent(): http.Agent {
  return new SocketAgent({
    keepAlive: true,
    scheduling: 'lifo',
    timeout: 5000,
    servername: '',
  } as http.AgentOptions);
}

class SocketAgent extends http.Agent {
  /**
   * docker-modem formats every request's options, agent included, with util.inspect
   * (showHidden, no depth limit) even with its debugging off: an agent that shows its pool
   * of sockets costs ~3 ms a request (as ssh-docker-agent.ts's StreamAgent says).
   */
  [inspect.custom](): string {
    return 'SocketAgent';
  }
}

/**
 * Options for dockerode. Precedence: explicit dockerHost, then DOCKER_HOST (a unix socket read
 * here; a TCP or SSH host left to docker-modem, which also honours DOCKER_TLS_VERIFY /
 * DOCKER_CERT_PATH), then the socket.
 */
export function dockerOptions(opts: LocalTransportOptions, env: NodeJS.ProcessEnv): DockerOptions {
  if (opts.dockerHost !== undefined && opts.dockerHost !== '') {
    return parseDockerHost(opts.dockerHost);
  }
  const envHost = env['DOCKER_HOST'];
  // A socket path is ours to read (it then gets the socket agent); TCP and SSH hosts are
  // docker-modem's, with their TLS variables.
  // (An empty `unix://` is docker-modem's too: it looks for Docker Desktop's socket first.)
  if (envHost && envHost !== 'unix://' && (envHost.startsWith('unix://') || envHost.startsWith('/')))
    return parseDockerHost(envHost);
  if (envHost) return {};
  return { socketPath: opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET };
}

/**
 * Turn a Docker host URL into dockerode options. Every connection field is set (possibly
 * to undefined) because docker-modem merges our options over what it read from
 * DOCKER_HOST, and a stray env host must not win over an explicit one.
 */
export function parseDockerHost(url: string): DockerOptions {
  const cleared: DockerOptions = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
  };
  if (url.startsWith('unix://')) {
    return { ...cleared, socketPath: url.slice('unix://'.length) || DEFAULT_DOCKER_SOCKET };
  }
  if (url.startsWith('/')) return { ...cleared, socketPath: url };
  const u = new URL(url.includes('//') ? url : `tcp://${url}`);
  switch (u.protocol) {
    case 'tcp:':
    case 'http:':
      return { ...cleared, protocol: 'http', host: u.hostname, port: u.port || '2375' };
    case 'https:':
      return { ...cleared, protocol: 'https', host: u.hostname, port: u.port || '2376' };
    case 'ssh:':
      return {
        ...cleared,
        protocol: 'ssh',
        host: u.hostname,
        port: u.port || '22',
        ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      };
    default:
      throw new Error(`unsupported docker host URL "${url}" (expected unix://, tcp:// or ssh://)`);
  }
}

async function syncDir(dir: string): Promise<void> {
  // Persist the rename itself; some filesystems refuse fsync on a directory, and the
  // write is already complete for readers, so failure here is not an error.
  try {
    const h = await fs.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* best effort */
  }
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
