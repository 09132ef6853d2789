/**
 * SshTransport: a host reached over SSH (ssh2). One connection per host per run, opened on
 * first use and reused for everything: Docker API requests go through channels forwarded
 * to the host's Docker socket (`direct-streamlocal@openssh.com`, so the host needs sshd and
 * dockerd, no docker CLI), files through one SFTP session, the odd command through exec.
 * Host keys are checked against known_hosts before any credential is sent: an unknown key
 * is refused unless the run trusts new keys (then it is recorded), a changed or revoked
 * key is always refused. A host can be reached through another (a bastion) by giving a
 * `via` that opens a TCP channel on the bastion's connection.
 */
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { DockerOptions } from 'dockerode';
import type {
  AuthMethod,
  Client,
  ClientChannel,
  ConnectConfig,
  ServerHostKeyAlgorithm,
  SFTPWrapper,
} from 'ssh2';
import type { Transport } from './transport.js';
import { KollaError } from '../diags/kolla-error.js';
import {
  checkHostKey,
  fingerprint,
  keyTypeOf,
  knownHostName,
  knownKeyTypes,
  type HostKeyVerdict,
  type KnownHostsFile,
} from './known-hosts.js';
import { authPlan, NoCredentialsError, ssh2Methods, type AuthPlan } from './ssh-auth.js';
import { SshError, sftpMessage, type SshFailure } from './ssh-errors.js';
import * as sftpOps from './ssh-sftp.js';
import { StreamAgent } from './ssh-docker-agent.js';
import { loadDockerode } from './dockerode-loader.js';
import { ssh2Lib } from '../lazy/modules.js';
import { DEFAULT_HOST_TIMEOUT_MS, limitCall, limitDocker, type CallLimits } from './call-limits.js';

export const DEFAULT_READY_TIMEOUT_MS = 15_000;
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 10_000;

export interface SshTransportOptions {
  /** Inventory name of the host. */
  host: string;
  address: string;
  port: number;
  user: string;
  /** Private key file (`~` expanded); without it the SSH agent, then ~/.ssh/id_*. */
  identityFile?: string;
  /** SSH agent socket; default SSH_AUTH_SOCK; '' disables the agent. */
  agentSocket?: string;
  /** The Docker socket path on the host. */
  dockerSocket: string;
  /**
   * Reach a Docker engine that listens on TCP (plain HTTP) as the host sees it, through
   * the SSH connection (`direct-tcpip`), instead of the socket.
   */
  dockerTcp?: { address: string; port: number };
  /**
   * Reach the engine directly with these dockerode options (Docker over TLS) instead of
   * through the SSH connection; files still go over SSH.
   */
  dockerOptions?: DockerOptions;
  knownHosts: KnownHostsFile;
  /** Accept and record a host key that known_hosts does not have yet. */
  trustNewHostKeys?: boolean;
  /** How long the TCP connect, key exchange and authentication may take together. */
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Open the TCP stream to this host through a bastion instead of dialling it. */
  via?: { name: string; open: (address: string, port: number) => Promise<Duplex> };
  /** Told when a new host key was recorded (so the user sees it, as ssh says it). */
  onNotice?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Limit on each Docker, SFTP and exec call (0: none); default DEFAULT_HOST_TIMEOUT_MS. */
  timeoutMs?: number;
  /** The run's interrupt: calls in flight when it fires are abandoned. */
  signal?: AbortSignal;
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** Host key algorithms per key type as known_hosts names it. */
const HOST_KEY_ALGOS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const DEFAULT_HOST_KEY_ORDER = Object.values(HOST_KEY_ALGOS).flat();

export class SshTransport implements Transport {
  readonly host: string;
  private readonly o: SshTransportOptions;
  private conn: Promise<Client> | undefined;
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private client: Promise<Dockerode> | undefined;
  private agent: StreamAgent | undefined;
  private closed = false;

  constructor(o: SshTransportOptions) {
    this.host = o.host;
    this.o = o;
  }

  /** `user@address:port`, as messages show it. */
  get endpoint(): string {
    const via = this.o.via ? ` via ${this.o.via.name}` : '';
    return `${this.o.user}@${this.o.address}:${this.o.port}${via}`;
  }

  /** The time limit and interrupt every call to this host gets. */
  get limits(): CallLimits {
    const l: CallLimits = { host: this.host, timeoutMs: this.o.timeoutMs ?? DEFAULT_HOST_TIMEOUT_MS };
    if (this.o.signal) l.signal = this.o.signal;
    return l;
  }

  private fail(failure: SshFailure, reason: string, cause?: unknown): SshError {
    return new SshError(
      this.host,
      failure,
      reason,
      this.endpoint,
      cause === undefined ? undefined : { cause },
    );
  }

  /**
   * The connection, opened on first use. A failed connect stays failed for the run (every
   * later call reports the same error at once); a connection that drops after it was up
   * is opened again on the next call.
   */
  connection(): Promise<Client> {
    if (this.closed) return Promise.reject(this.fail('disconnected', 'transport already closed'));
    this.conn ??= this.connect();
    return this.conn;
  }

  private async connect(): Promise<Client> {
    const ssh2 = ssh2Lib();
    const o = this.o;
    const name = knownHostName(o.address, o.port);
    let entries;
    try {
      entries = await o.knownHosts.load();
    } catch (err) {
      throw this.fail('host-key-unknown', (err as Error).message, err);
    }
    let auth: AuthPlan;
    try {
      auth = await authPlan({
        user: o.user,
        ...(o.identityFile !== undefined ? { identityFile: o.identityFile } : {}),
        ...(o.agentSocket !== undefined ? { agentSocket: o.agentSocket } : {}),
        ...(o.env ? { env: o.env } : {}),
      });
    } catch (err) {
      if (err instanceof NoCredentialsError) throw this.fail('no-credentials', err.message, err);
      throw err;
    }
    let sock: Duplex | undefined;
    if (o.via) {
      try {
        const via = o.via;
        sock = await limitCall(this.limits, `opening a channel through bastion "${via.name}"`, () =>
          via.open(o.address, o.port),
        );
      } catch (err) {
        if (err instanceof KollaError) throw err;
        throw this.fail(
          'bastion',
          `cannot reach it through bastion "${o.via.name}": ${(err as Error).message}`,
          err,
        );
      }
    }

    // What the host key check found, to explain a "Host denied" from ssh2.
    let verdict: HostKeyVerdict | undefined;
    let presented: Buffer | undefined;
    let recordError: Error | undefined;
    const preferred = knownKeyTypes(entries, name).flatMap((t) => HOST_KEY_ALGOS[t] ?? []);
    const serverHostKey = [...preferred, ...DEFAULT_HOST_KEY_ORDER.filter((a) => !preferred.includes(a))];

    const cfg: ConnectConfig = {
      host: o.address,
      port: o.port,
      username: o.user,
      readyTimeout: o.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      keepaliveInterval: o.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: o.keepaliveCountMax ?? 3,
      authHandler: ssh2Methods(auth) as AuthMethod[],
      algorithms: { serverHostKey: serverHostKey as ServerHostKeyAlgorithm[] },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void): void => {
        presented = key;
        verdict = checkHostKey(entries, name, key);
        if (verdict.kind === 'known') return verify(true);
        if (verdict.kind === 'unknown' && o.trustNewHostKeys) {
          o.knownHosts.add(name, key).then(
            () => {
              o.onNotice?.(
                `Permanently added '${name}' (${keyTypeOf(key)} ${fingerprint(key)}) to the list of known hosts (${o.knownHosts.file}).`,
              );
              verify(true);
            },
            (err: Error) => {
              recordError = err;
              verify(false);
            },
          );
          return;
        }
        verify(false);
      },
    };
    if (sock) cfg.sock = sock;

    const client = new ssh2.Client();
    return new Promise<Client>((resolve, reject) => {
      let ready = false;
      client.on('ready', () => {
        ready = true;
        // Docker API calls are small request/response exchanges: Nagle's algorithm would
        // hold each request behind the previous segment's delayed ACK (40 ms a call).
        client.setNoDelay(true);
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (ready) return; // reported by the next operation (the channel fails)
        reject(this.connectError(err, { verdict, presented, recordError, auth, name }));
      });
      client.on('close', () => {
        if (!ready) {
          reject(this.fail('disconnected', 'the server closed the connection during the handshake'));
          return;
        }
        // Dropped after it was up: the next operation connects again.
        if (this.conn) this.conn = undefined;
        this.sftpSession = undefined;
      });
      client.connect(cfg);
    });
  }

  private connectError(
    err: Error & { level?: string; code?: string },
    ctx: {
      verdict: HostKeyVerdict | undefined;
      presented: Buffer | undefined;
      recordError: Error | undefined;
      auth: AuthPlan;
      name: string;
    },
  ): SshError {
    const o = this.o;
    const { verdict, presented } = ctx;
    if (presented && verdict && verdict.kind !== 'known') {
      const got = `${keyTypeOf(presented)} key ${fingerprint(presented)}`;
      const file = o.knownHosts.file;
      if (ctx.recordError) {
        return this.fail(
          'host-key-unknown',
          `could not record the new host key (${got}) in ${file}: ${ctx.recordError.message}`,
          err,
        );
      }
      switch (verdict.kind) {
        case 'unknown':
          return this.fail(
            'host-key-unknown',
            `host key unknown: the server offered ${got}, and ${file} has no key for ${ctx.name}. ` +
              `Check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then run again with --trust-new-host-keys to record it.`,
            err,
          );
        case 'revoked':
          return this.fail('host-key-revoked', `host key ${got} is marked @revoked in ${file}`, err);
        case 'changed': {
          const was = verdict.expected
            .map((e) => `${e.keyType} key ${e.fingerprint} (${file}:${e.line})`)
            .join(', ');
          return this.fail(
            'host-key-changed',
            `HOST KEY CHANGED: the server offered ${got}, but known_hosts has ${was}. ` +
              `Someone could be intercepting the connection, or the host was reinstalled. ` +
              `If the change is expected, remove the old line (ssh-keygen -R ${ctx.name} -f ${file}) and run again with --trust-new-host-keys.`,
            err,
          );
        }
      }
    }
    const secs = Math.round((o.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS) / 1000);
    if (err.level === 'client-timeout') {
      return this.fail(
        'timeout',
        `unreachable: no SSH handshake within ${secs}s (host down, or a firewall drops the packets)`,
        err,
      );
    }
    if (err.level === 'client-authentication') {
      return this.fail(
        'auth',
        `authentication refused for user "${o.user}" (tried ${ctx.auth.described.join(', ')}); is the public key in the user's authorized_keys?`,
        err,
      );
    }
    if (err.level === 'client-socket' || err.level === 'client-dns') {
      const code = err.code ?? '';
      const why: Record<string, string> = {
        ECONNREFUSED: 'connection refused (no sshd listening on that port)',
        EHOSTUNREACH: 'no route to host (host down or address wrong)',
        ENETUNREACH: 'network unreachable',
        ETIMEDOUT: 'connection timed out',
        ENOTFOUND: 'the name does not resolve',
        EAI_AGAIN: 'the name does not resolve (DNS lookup failed)',
        ECONNRESET: 'connection reset by the server',
      };
      return this.fail('unreachable', `unreachable: ${why[code] ?? err.message}`, err);
    }
    return this.fail('protocol', `SSH connection failed: ${err.message}`, err);
  }

  /** The run's SFTP session, opened on first use. */
  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= this.connection().then(
      (c) =>
        new Promise<SFTPWrapper>((resolve, reject) => {
          c.sftp((err, s) => {
            if (err) {
              this.sftpSession = undefined;
              reject(
                this.fail(
                  'file',
                  `cannot start SFTP (is the sftp subsystem enabled in sshd_config?): ${err.message}`,
                  err,
                ),
              );
              return;
            }
            s.on('close', () => (this.sftpSession = undefined));
            resolve(s);
          });
        }),
    );
    return this.sftpSession;
  }

  /** A stream to a Unix socket on the host (`direct-streamlocal@openssh.com`). */
  async forwardStreamLocal(socketPath: string): Promise<ClientChannel> {
    const c = await this.connection();
    return new Promise((resolve, reject) => {
      try {
        c.openssh_forwardOutStreamLocal(socketPath, (err, ch) => (err ? reject(err) : resolve(ch)));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** A TCP stream from the host to `address:port` (`direct-tcpip`), e.g. through a bastion. */
  async forwardTcp(address: string, port: number): Promise<ClientChannel> {
    const c = await this.connection();
    return new Promise((resolve, reject) => {
      try {
        c.forwardOut('127.0.0.1', 0, address, port, (err, ch) => {
          if (!err) return resolve(ch);
          const reason = (err as Error & { reason?: number }).reason;
          const why =
            reason === 1
              ? `"${this.host}" refuses TCP forwarding (AllowTcpForwarding in its sshd_config)`
              : reason === 2
                ? `"${this.host}" cannot connect to ${address}:${port}`
                : err.message;
          reject(new Error(why, { cause: err }));
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Run a command on the host (through the user's shell) and collect its output. */
  async exec(command: string, timeoutMs = 60_000): Promise<ExecResult> {
    const c = await this.connection();
    let channel: ClientChannel | undefined;
    // Opening the channel is bounded by the host timeout too (a frozen sshd never answers).
    return limitCall(
      { ...this.limits, timeoutMs: Math.max(this.limits.timeoutMs, timeoutMs) },
      `running "${command}"`,
      () => this.execOn(c, command, timeoutMs, (ch) => (channel = ch)),
      () => channel?.close(),
    );
  }

  private execOn(
    c: Client,
    command: string,
    timeoutMs: number,
    opened: (ch: ClientChannel) => void,
  ): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      c.exec(command, (err, ch) => {
        if (ch) opened(ch);
        if (err) {
          reject(this.fail('exec', `cannot run "${command}": ${err.message}`, err));
          return;
        }
        let stdout = '';
        let stderr = '';
        const timer = setTimeout(() => {
          ch.close();
          reject(this.fail('exec', `"${command}" did not finish within ${Math.round(timeoutMs / 1000)}s`));
        }, timeoutMs);
        ch.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
        ch.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        ch.on('close', (code: number | null, signal?: string) => {
          clearTimeout(timer);
          const r: ExecResult = { code: code ?? null, stdout, stderr };
          if (signal) r.signal = signal;
          resolve(r);
        });
      });
    });
  }

  docker(): Promise<Dockerode> {
    this.client ??= Promise.resolve().then(() => {
      const Docker = loadDockerode();
      if (this.o.dockerOptions) return limitDocker(new Docker(this.o.dockerOptions), this.limits);
      this.agent = new StreamAgent(() => this.dockerStream());
      // Every connection field is set so that nothing from DOCKER_HOST / DOCKER_CERT_PATH
      // (which docker-modem reads on its own) applies to this host.
      const docker = new Docker({
        protocol: 'http',
        host: 'docker',
        port: 2375,
        socketPath: undefined,
        ca: undefined,
        cert: undefined,
        key: undefined,
        agent: this.agent,
      } as DockerOptions);
      return limitDocker(docker, this.limits);
    });
    return this.client;
  }

  private async dockerStream(): Promise<Duplex> {
    const tcp = this.o.dockerTcp;
    if (tcp) {
      try {
        return await this.forwardTcp(tcp.address, tcp.port);
      } catch (err) {
        if (err instanceof SshError) throw err;
        throw this.fail(
          'docker-socket-refused',
          `cannot reach the Docker engine at tcp://${tcp.address}:${tcp.port} from the host: ${(err as Error).message}`,
          err,
        );
      }
    }
    const sock = this.o.dockerSocket;
    try {
      return await this.forwardStreamLocal(sock);
    } catch (err) {
      if (err instanceof SshError) throw err;
      throw await this.dockerSocketError(sock, err);
    }
  }

  /** Why a channel to the Docker socket failed: missing, not permitted, or dead. */
  private async dockerSocketError(sock: string, err: unknown): Promise<SshError> {
    const reason = (err as { reason?: number }).reason;
    if (reason === 1) {
      return this.fail(
        'docker-socket-refused',
        `the SSH server refuses to forward to the Docker socket ${sock} (AllowStreamLocalForwarding / DisableForwarding in its sshd_config)`,
        err,
      );
    }
    let st;
    try {
      st = await sftpOps.stat(await this.sftp(), sock);
    } catch {
      st = null;
    }
    if (st === undefined) {
      return this.fail(
        'docker-socket-missing',
        `Docker socket ${sock} does not exist (is dockerd running? set docker_socket if it listens elsewhere)`,
        err,
      );
    }
    if (st && !st.isSocket()) {
      return this.fail(
        'docker-socket-missing',
        `${sock} exists but is not a socket (check docker_socket)`,
        err,
      );
    }
    const probe = await this.exec(`test -w ${shellQuote(sock)}`, 10_000).catch(() => undefined);
    if (probe && probe.code === 1) {
      return this.fail(
        'docker-socket-denied',
        `permission denied on the Docker socket ${sock} for user "${this.o.user}" (add the user to the docker group, or connect as root)`,
        err,
      );
    }
    return this.fail(
      'docker-socket-refused',
      `cannot connect to the Docker socket ${sock}: nothing answers there (dockerd stopped?) or access is denied`,
      err,
    );
  }

  private fileOp<T>(what: string, file: string, fn: (s: SFTPWrapper) => Promise<T>): Promise<T> {
    // The session's start and the operation, bounded together; a session that stopped
    // answering is dropped so that the next call opens a new one.
    let session: SFTPWrapper | undefined;
    return limitCall(
      this.limits,
      `SFTP ${what} ${file}`,
      () =>
        this.fileOpOn(what, file, async (s) => {
          session = s;
          return fn(s);
        }),
      () => {
        this.sftpSession = undefined;
        session?.end();
      },
    );
  }

  private async fileOpOn<T>(what: string, file: string, fn: (s: SFTPWrapper) => Promise<T>): Promise<T> {
    const s = await this.sftp();
    try {
      return await fn(s);
    } catch (err) {
      if (err instanceof KollaError) throw err;
      if (err instanceof SshError) throw err;
      throw this.fail('file', `${what} ${file}: ${sftpMessage(err)}`, err);
    }
  }

  readFile(file: string): Promise<Buffer | undefined> {
    return this.fileOp('read', file, (s) => sftpOps.readFile(s, file));
  }

  /**
   * Replace the file atomically with exactly `mode`; `owner` (numeric uid/gid on the host)
   * needs a root login or the owner's own.
   */
  writeFileAtomic(
    file: string,
    data: Buffer | string,
    mode: number,
    owner?: { uid: number; gid: number },
  ): Promise<void> {
    return this.fileOp('write', file, (s) =>
      sftpOps.writeFileAtomic(s, file, data, owner ? { mode, owner } : { mode }),
    );
  }

  createExclusive(file: string, data: string, mode: number): Promise<boolean> {
    return this.fileOp('create', file, (s) => sftpOps.createExclusive(s, file, data, mode));
  }

  removeFile(file: string): Promise<void> {
    return this.fileOp('remove', file, (s) => sftpOps.removeFile(s, file));
  }

  mkdirp(dir: string, mode: number): Promise<void> {
    return this.fileOp('create directory', dir, (s) => sftpOps.mkdirp(s, dir, mode));
  }

  /**
   * Hashed while streamed over SFTP rather than by `sha256sum` over exec: SFTP needs no
   * tool or shell on the host, rides the one session the run already has (exec opens a
   * session channel per file, and sshd caps those with MaxSessions), and config files are
   * small, so reading them costs no more than a process start on the host.
   */
  fileHash(file: string): Promise<string | undefined> {
    return this.fileOp('hash', file, (s) => sftpOps.hashFile(s, file));
  }

  /** Free and total bytes of the filesystem holding `p` (statvfs@openssh.com). */
  statfs(p: string): Promise<sftpOps.FsSpace> {
    return this.fileOp('statvfs', p, (s) => sftpOps.statvfs(s, p));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.agent?.destroy();
    const pending = this.conn;
    this.conn = undefined;
    this.sftpSession = undefined;
    this.client = undefined;
    if (!pending) return;
    const c = await pending.catch(() => undefined);
    if (!c) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      c.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      c.end();
    });
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
