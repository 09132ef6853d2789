/**
 * One transport per host per run, opened on first use and closed at the end.
 *
 * - `connection = "local"`: the local engine (its socket, `docker_host`, or Docker over
 *   TLS with `docker_tls_*`) and this machine's files.
 * - `connection = "ssh"`: one SSH connection for everything (SshTransport). The engine is
 *   reached through the connection (the host's `docker_socket`, or a `docker_host` of
 *   `unix:///path` or plain `tcp://addr:port` as the host sees it), or directly over TLS
 *   when `docker_tls_*` are set; files always go over SFTP. `bastion` names another
 *   inventory host to tunnel through (its own connection is reused, chains allowed).
 *
 * Host keys are checked against one known_hosts file for the whole run
 * (`knownHostsFile`, else KOLLA_KNOWN_HOSTS, else ~/.ssh/known_hosts).
 */
import type { HostSpec } from '../expand/instances.js';
import type { Transport } from '../transport/transport.js';
import { LocalTransport, type LocalTransportOptions } from '../transport/local.js';
import { SshTransport, type SshTransportOptions } from '../transport/ssh.js';
import { KnownHostsFile, defaultKnownHostsPath } from '../transport/known-hosts.js';
import { dockerTlsFiles, dockerTlsOptions, LocalTlsTransport } from '../transport/docker-tls.js';

/**
 * Host fields beyond HostSpec that the transports read when the configuration sets them
 * (see the schema lines for `bastion` and `docker_tls_*`).
 */
export interface HostTransportFields {
  /** Inventory name of the host to reach this one through. */
  bastion?: string;
  dockerTlsCa?: string;
  dockerTlsCert?: string;
  dockerTlsKey?: string;
}

export type InventoryHost = HostSpec & HostTransportFields;

export interface HostConnectionOptions {
  /** Accept and record host keys that known_hosts does not have (`--trust-new-host-keys`). */
  trustNewHostKeys?: boolean;
  /** known_hosts to check against; default KOLLA_KNOWN_HOSTS, else ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** SSH connect + handshake + authentication timeout per host. */
  connectTimeoutMs?: number;
  /**
   * Limit on each call to a host (Docker API, SFTP, exec); long streams (pulls, image
   * transfers) are bounded by inactivity instead. Default 60 s; the kolla block's host_timeout.
   */
  timeoutMs?: number;
  /** The run's interrupt (Ctrl-C): calls in flight when it fires are abandoned. */
  signal?: AbortSignal;
  /** Told things a user should see (a host key was recorded). */
  onNotice?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

export class HostConnections {
  private readonly open = new Map<string, Transport>();
  readonly knownHosts: KnownHostsFile;

  constructor(
    private readonly hosts: Map<string, InventoryHost>,
    private readonly opts: HostConnectionOptions = {},
  ) {
    this.knownHosts = new KnownHostsFile(
      opts.knownHostsFile ?? defaultKnownHostsPath(opts.env ?? process.env),
    );
  }

  /** The host's inventory entry. */
  spec(name: string): InventoryHost | undefined {
    return this.hosts.get(name);
  }

  get(name: string): Transport {
    let t = this.open.get(name);
    if (t) return t;
    const h = this.hosts.get(name);
    if (!h) throw new Error(`unknown host "${name}"`);
    t = h.connection === 'local' ? this.local(h) : this.ssh(h, []);
    this.open.set(name, t);
    return t;
  }

  private local(h: InventoryHost): Transport {
    const opts: LocalTransportOptions = {
      host: h.name,
      dockerSocket: h.dockerSocket,
    };
    if (h.dockerHost) opts.dockerHost = h.dockerHost;
    if (this.opts.timeoutMs !== undefined) opts.timeoutMs = this.opts.timeoutMs;
    if (this.opts.signal) opts.signal = this.opts.signal;
    const tls = dockerTlsFiles(h);
    if (tls instanceof Error) throw new Error(`host "${h.name}": ${tls.message}`);
    if (tls) return new LocalTlsTransport(opts, dockerTlsOptions(h.dockerHost!, tls));
    return new LocalTransport(opts);
  }

  private ssh(h: InventoryHost, chain: string[]): SshTransport {
    const o: SshTransportOptions = {
      host: h.name,
      address: h.address,
      port: h.port,
      user: h.user,
      dockerSocket: h.dockerSocket,
      knownHosts: this.knownHosts,
    };
    if (h.identityFile !== undefined) o.identityFile = h.identityFile;
    if (this.opts.trustNewHostKeys) o.trustNewHostKeys = true;
    if (this.opts.connectTimeoutMs !== undefined) o.readyTimeoutMs = this.opts.connectTimeoutMs;
    if (this.opts.onNotice) o.onNotice = this.opts.onNotice;
    if (this.opts.env) o.env = this.opts.env;
    if (this.opts.timeoutMs !== undefined) o.timeoutMs = this.opts.timeoutMs;
    if (this.opts.signal) o.signal = this.opts.signal;

    const tls = dockerTlsFiles(h);
    if (tls instanceof Error) throw new Error(`host "${h.name}": ${tls.message}`);
    if (tls) {
      o.dockerOptions = dockerTlsOptions(h.dockerHost!, tls);
    } else if (h.dockerHost) {
      const url = h.dockerHost;
      if (url.startsWith('unix://')) {
        o.dockerSocket = url.slice('unix://'.length) || h.dockerSocket;
      } else if (/^(tcp|http):\/\//.test(url)) {
        const u = new URL(url.replace(/^tcp:/, 'http:'));
        o.dockerTcp = { address: u.hostname, port: Number(u.port || '2375') };
      } else {
        throw new Error(
          `host "${h.name}": docker_host "${url}" cannot be used with connection = "ssh"; use unix:///PATH or tcp://ADDRESS:PORT as the host sees them, or docker_tls_* for TLS`,
        );
      }
    }

    if (h.bastion !== undefined && h.bastion !== '') {
      const b = this.hosts.get(h.bastion);
      if (!b) throw new Error(`host "${h.name}": bastion "${h.bastion}" is not a host in the inventory`);
      if (b.connection !== 'ssh')
        throw new Error(`host "${h.name}": bastion "${h.bastion}" is not reached over SSH`);
      if (chain.includes(b.name) || b.name === h.name) {
        throw new Error(`host "${h.name}": bastion loop ${[...chain, h.name, b.name].join(' -> ')}`);
      }
      const bastion = this.bastionTransport(b, [...chain, h.name]);
      o.via = { name: b.name, open: (address, port) => bastion.forwardTcp(address, port) };
    }
    return new SshTransport(o);
  }

  /** The bastion's own transport, shared with the run when it is a deploy target too. */
  private bastionTransport(b: InventoryHost, chain: string[]): SshTransport {
    const existing = this.open.get(b.name);
    if (existing instanceof SshTransport) return existing;
    const t = this.ssh(b, chain);
    this.open.set(b.name, t);
    return t;
  }

  async closeAll(): Promise<void> {
    // Hosts behind a bastion close before it (their streams ride its connection).
    const all = [...this.open.values()];
    const behind = all.filter((t) => t instanceof SshTransport && this.hosts.get(t.host)?.bastion);
    await Promise.allSettled(behind.map((t) => t.close()));
    await Promise.allSettled(all.filter((t) => !behind.includes(t)).map((t) => t.close()));
    this.open.clear();
  }
}
