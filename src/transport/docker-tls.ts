/**
 * Docker over TLS: a host whose `docker_host` is `tcp://addr:2376` (or `https://`) with
 * `docker_tls_ca`, `docker_tls_cert` and `docker_tls_key` is reached by dockerode over
 * mutual TLS, the way `docker --tlsverify` does. The files are read on the machine kolla
 * runs on (`~` expanded). Only the Docker API takes this path; an SSH host's files still
 * go over SSH.
 */
import { readFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import type { DockerOptions } from 'dockerode';
import { expandHome } from './known-hosts.js';
import { limitDocker } from './call-limits.js';
import { loadDockerode } from './dockerode-loader.js';
import { LocalTransport, parseDockerHost, type LocalTransportOptions } from './local.js';

/** TLS settings of a host, as the inventory gives them. */
export interface DockerTlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** The TLS fields a host may carry (see the schema's `docker_tls_*`). */
export interface DockerTlsHostFields {
  dockerHost?: string;
  dockerTlsCa?: string;
  dockerTlsCert?: string;
  dockerTlsKey?: string;
}

/**
 * The host's TLS files when it asks for Docker over TLS; undefined when it does not; an
 * Error (a user mistake to report) when it asks half-way.
 */
export function dockerTlsFiles(h: DockerTlsHostFields): DockerTlsFiles | undefined | Error {
  const given = [h.dockerTlsCa, h.dockerTlsCert, h.dockerTlsKey].filter((x) => x !== undefined && x !== '');
  if (given.length === 0) return undefined;
  if (given.length !== 3) {
    return new Error('docker_tls_ca, docker_tls_cert and docker_tls_key must be set together');
  }
  const url = h.dockerHost ?? '';
  if (!/^(tcp|https):\/\//.test(url)) {
    return new Error(
      `docker_tls_* need docker_host = "tcp://ADDRESS:2376" (got ${url === '' ? 'none' : `"${url}"`})`,
    );
  }
  return { ca: h.dockerTlsCa!, cert: h.dockerTlsCert!, key: h.dockerTlsKey! };
}

/**
 * dockerode options for `docker_host` over mutual TLS: https to the host and port of the
 * URL, the CA to verify the engine's certificate and the client certificate and key.
 */
export function dockerTlsOptions(dockerHost: string, files: DockerTlsFiles): DockerOptions {
  const base = parseDockerHost(dockerHost);
  if (base.host === undefined) {
    throw new Error(`docker_host "${dockerHost}" is not a TCP address; TLS needs tcp://ADDRESS:PORT`);
  }
  const read = (what: string, p: string): Buffer => {
    const file = expandHome(p);
    try {
      return readFileSync(file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new Error(
        `cannot read docker_tls_${what} ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
        {
          cause: err,
        },
      );
    }
  };
  const port = base.port === '2375' && !/:2375(\/|$)/.test(dockerHost) ? '2376' : base.port;
  return {
    ...base,
    protocol: 'https',
    port: port ?? '2376',
    ca: read('ca', files.ca),
    cert: read('cert', files.cert),
    key: read('key', files.key),
  };
}

/** The local engine over TLS (a `connection = "local"` host with `docker_tls_*`). */
export class LocalTlsTransport extends LocalTransport {
  private tlsClient: Promise<Dockerode> | undefined;

  constructor(
    opts: LocalTransportOptions,
    private readonly dockerOpts: DockerOptions,
  ) {
    super(opts);
  }

  override docker(): Promise<Dockerode> {
    this.tlsClient ??= Promise.resolve().then(() => {
      const Docker = loadDockerode();
      return limitDocker(new Docker(this.dockerOpts), this.limits);
    });
    return this.tlsClient;
  }

  override async close(): Promise<void> {
    this.tlsClient = undefined;
    await super.close();
  }
}
