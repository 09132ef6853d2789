/**
 * Prechecks: what kolla-ansible's `prechecks` asks before a deploy, per host the
 * configuration places something on, all hosts in parallel:
 *
 * - reachable: the transport connects (SSH handshake, host key, authentication) and the
 *   Docker engine answers;
 * - docker-api: the engine speaks API 1.40 or newer (Docker 19.03+);
 * - ports: every port a container will listen on is free on the host, or held by the
 *   container kolla already runs at the same address (it is replaced in place). A
 *   host-network container declares no ports, so they are read from hints: `:PORT` in its
 *   healthcheck (`http://127.0.0.1:8080/`), Kolla's `healthcheck_listen NAME PORT`, and a
 *   `listen_ports` option when the configuration sets one; a bridged container's are its
 *   published host ports. Listeners come from the host's /proc/net/{tcp,tcp6,udp,udp6},
 *   read through the transport (no tool needed on the host). When the hint names an IPv4
 *   address (`http://127.0.0.2:5000/v3`), only a listener on that address or on a wildcard
 *   address (0.0.0.0, ::) is in the way: 127.0.0.1:5000 leaves 127.0.0.2:5000 free;
 * - disk: the filesystem of the engine's data root (`docker info` DockerRootDir) has at
 *   least `minFreeBytes` available (statvfs over SFTP, statfs locally).
 *
 * A failed check is an error diagnostic naming the host and the check.
 */
import { promises as fs } from 'node:fs';
import type Dockerode from 'dockerode';
import type { Config } from '../config/config.js';
import type { Diagnostic } from '../diags/diagnostic.js';
import type { Expansion } from '../expand/expand.js';
import type { ContainerInstance } from '../expand/instances.js';
import type { VarArg } from '../config/variables.js';
import type { Transport } from '../transport/transport.js';
import { KollaError } from '../diags/kolla-error.js';
import { LocalTransport } from '../transport/local.js';
import { LocalTlsTransport } from '../transport/docker-tls.js';
import { SshTransport } from '../transport/ssh.js';
import { ADDRESS_LABEL, projectFilter } from '../providers/docker/labels.js';
import { containersOf } from '../kinds/container.js';
import { HostConnections, type HostConnectionOptions } from './hosts.js';
import { prepare } from './prepare.js';
import { durationMs } from '../providers/docker/duration.js';
import { withHint } from '../transport/call-limits.js';

export type CheckName = 'reachable' | 'docker-api' | 'ports' | 'disk';

export interface CheckResult {
  check: CheckName;
  ok: boolean;
  /** What was found ("API 1.41", "12.3 GiB free under /var/lib/docker"), or why it failed. */
  detail: string;
  /** The container address a port problem concerns. */
  address?: string;
  /** A check that could not be made (not a failure): e.g. no /proc/net on the host. */
  skipped?: boolean;
}

export interface HostReport {
  host: string;
  ok: boolean;
  checks: CheckResult[];
}

export interface PrecheckOptions {
  /** Oldest Docker API version accepted. */
  minApiVersion?: string;
  /** Least free space under the Docker data root, in bytes. */
  minFreeBytes?: number;
}

export const MIN_API_VERSION = '1.40';
export const DEFAULT_MIN_FREE_BYTES = 2 * 1024 ** 3;

/** A port a container will listen on, and where that was learnt. */
export interface PortHint {
  port: number;
  proto: 'tcp' | 'udp';
  from: string;
  /** The IPv4 address it will be bound to, when the hint tells (a healthcheck URL's host). */
  address?: string;
}

/** Run every check on every host with instances; failures as diagnostics. */
export async function runPrechecks(
  config: Config,
  expansion: Expansion,
  conns: HostConnections,
  opts: PrecheckOptions = {},
): Promise<Diagnostic[]> {
  return reportDiagnostics(await checkHosts(config, expansion, conns, opts));
}

export function reportDiagnostics(reports: HostReport[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of reports) {
    for (const c of r.checks) {
      if (c.ok) continue;
      const d: Diagnostic = {
        severity: 'error',
        summary: `Precheck "${c.check}" failed on host "${r.host}"`,
        detail: c.detail,
      };
      if (c.address !== undefined) d.address = c.address;
      out.push(d);
    }
  }
  return out;
}

export async function checkHosts(
  config: Config,
  expansion: Expansion,
  conns: HostConnections,
  opts: PrecheckOptions = {},
): Promise<HostReport[]> {
  const placed = new Set(expansion.instances.map((i) => i.host));
  const hosts = config.hosts.filter((h) => placed.has(h.name)).map((h) => h.name);
  const containers = containersOf(expansion.instances);
  return Promise.all(
    hosts.map((h) =>
      checkHost(
        h,
        conns,
        containers.filter((c) => c.host === h),
        config.settings.project,
        opts,
      ),
    ),
  );
}

async function checkHost(
  host: string,
  conns: HostConnections,
  containers: ContainerInstance[],
  project: string,
  opts: PrecheckOptions,
): Promise<HostReport> {
  const checks: CheckResult[] = [];
  const done = (): HostReport => ({ host, ok: checks.every((c) => c.ok), checks });
  let t: Transport;
  let docker: Dockerode;
  let version: Dockerode.DockerVersion;
  // Version and info side by side (each ~20 ms on an engine): one wait instead of two.
  let info: Promise<{ DockerRootDir?: string }> | undefined;
  try {
    t = conns.get(host);
    if (t instanceof SshTransport) await t.connection();
    docker = await t.docker();
    info = docker.info() as Promise<{ DockerRootDir?: string }>;
    info.catch(() => undefined); // reported by the disk check, or moot when unreachable
    version = await docker.version();
  } catch (err) {
    checks.push({ check: 'reachable', ok: false, detail: errorText(err) });
    return done();
  }
  checks.push({
    check: 'reachable',
    ok: true,
    detail:
      t instanceof SshTransport
        ? `ssh ${t.endpoint}, Docker ${version.Version}`
        : `Docker ${version.Version}`,
  });

  const min = opts.minApiVersion ?? MIN_API_VERSION;
  const api = version.ApiVersion;
  checks.push(
    compareVersions(api, min) >= 0
      ? { check: 'docker-api', ok: true, detail: `API ${api}` }
      : {
          check: 'docker-api',
          ok: false,
          detail: `the Docker engine speaks API ${api} (Docker ${version.Version}); kolla needs ${min} or newer (Docker 19.03+)`,
        },
  );

  // Independent reads: side by side, one wait instead of two (they end a plan's wait).
  const [ports, disk] = await Promise.all([
    checkPorts(t, docker, containers, project),
    checkDisk(t, info, opts.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES),
  ]);
  checks.push(...ports, disk);
  return done();
}

async function checkPorts(
  t: Transport,
  docker: Dockerode,
  containers: ContainerInstance[],
  project: string,
): Promise<CheckResult[]> {
  const wanted = containers.flatMap((c) => portHints(c).map((p) => ({ ...p, c })));
  if (wanted.length === 0) return [{ check: 'ports', ok: true, detail: 'no ports to check' }];
  let listening: Map<string, Set<string>>;
  try {
    listening = await listeningSockets(t);
  } catch (err) {
    return [
      {
        check: 'ports',
        ok: true,
        skipped: true,
        detail: `cannot read the host's listeners: ${errorText(err)}`,
      },
    ];
  }
  // Ports held by the containers kolla already runs there are the ones it will replace.
  const running = await docker.listContainers({
    filters: { label: [projectFilter(project)], status: ['running'] },
  });
  // A container is the project's by its address label or by its name: after a moved block
  // the label still carries the old address, and the container is the same one.
  const ours = new Set(running.map((c) => c.Labels[ADDRESS_LABEL]).filter((a) => a !== undefined));
  const ourNames = new Set(running.flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))));
  const out: CheckResult[] = [];
  for (const w of wanted) {
    const holders = listening.get(`${w.proto}/${w.port}`);
    if (!holders || !inTheWay(w.address, holders) || ours.has(w.c.address) || ourNames.has(w.c.spec.name))
      continue;
    out.push({
      check: 'ports',
      ok: false,
      address: w.c.address,
      detail: `port ${w.port}/${w.proto} is already in use on the host, and not by a container of this project (listening: ${[...holders].map((a) => `${a}:${w.port}`).join(', ')}); ${w.c.spec.name} will listen there${w.address ? ` on ${w.address}` : ''} (${w.from}). Stop what holds it, or move the service.`,
    });
  }
  if (out.length === 0) {
    const list = [...new Set(wanted.map((w) => `${w.port}/${w.proto}`))].join(', ');
    out.push({ check: 'ports', ok: true, detail: `free or held by this project: ${list}` });
  }
  return out;
}

/** The ports a container will listen on, as far as its spec tells. */
export function portHints(c: ContainerInstance): PortHint[] {
  const out: PortHint[] = [];
  const add = (port: number, proto: 'tcp' | 'udp', from: string, address?: string): void => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) return;
    const known = out.find((p) => p.port === port && p.proto === proto);
    // A port hinted with and without an address: the address narrows the check.
    if (known) {
      if (known.address === undefined && address !== undefined) known.address = address;
      return;
    }
    out.push(address === undefined ? { port, proto, from } : { port, proto, from, address });
  };
  const listenPorts = (c.options as { listenPorts?: unknown }).listenPorts;
  if (Array.isArray(listenPorts)) {
    for (const p of listenPorts) if (typeof p === 'number') add(p, 'tcp', 'listen_ports');
  }
  if (c.spec.network_mode === 'host') {
    const test = c.spec.healthcheck?.test ?? [];
    for (const e of healthcheckEndpoints(test)) add(e.port, 'tcp', 'from its healthcheck', e.address);
  } else {
    for (const p of c.spec.ports) {
      const h = publishedHostPort(p);
      if (h) add(h.port, h.proto, `published as ${p}`);
    }
  }
  return out;
}

/**
 * Ports in a healthcheck command: `host:PORT` followed by a path, space or the end (a URL
 * or `nc host:port` style), and Kolla's `healthcheck_listen PROCESS PORT`. `[::1]` or a
 * time like `10:30` do not count: the colon must follow a host-like character.
 */
export function healthcheckPorts(test: string[]): number[] {
  return [...new Set(healthcheckEndpoints(test).map((e) => e.port))];
}

/** healthcheckPorts with the IPv4 address written before the port, when there is one. */
export function healthcheckEndpoints(test: string[]): { port: number; address?: string }[] {
  const s = test.filter((x) => x !== 'CMD' && x !== 'CMD-SHELL' && x !== 'NONE').join(' ');
  const out: { port: number; address?: string }[] = [];
  for (const m of s.matchAll(/(?<=[A-Za-z0-9\].}-]):(\d{1,5})(?=$|[/\s"'?#;,)])/g)) {
    const before = /(?:^|[^\d.])(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s.slice(0, m.index));
    out.push(before ? { port: Number(m[1]), address: before[1]! } : { port: Number(m[1]) });
  }
  for (const m of s.matchAll(/\bhealthcheck_listen\s+\S+\s+(\d{1,5})\b/g)) out.push({ port: Number(m[1]) });
  return out;
}

/**
 * Whether listeners on `holders` (addresses from /proc/net) keep a service from binding
 * `address` (any address when unknown): a wildcard listener, or a wildcard or equal bind.
 */
export function inTheWay(address: string | undefined, holders: Set<string>): boolean {
  if (address === undefined || address === '0.0.0.0') return holders.size > 0;
  for (const h of holders) if (h === '0.0.0.0' || h === '::' || h === address) return true;
  return false;
}

/** "[ip:]hostPort:containerPort[/proto]" → the host port; undefined when Docker picks it. */
function publishedHostPort(p: string): { port: number; proto: 'tcp' | 'udp' } | undefined {
  const [addr, proto] = p.split('/');
  const parts = (addr ?? '').split(':');
  if (parts.length < 2) return undefined;
  const host = parts[parts.length - 2]!;
  if (!/^\d+$/.test(host)) return undefined;
  return { port: Number(host), proto: proto === 'udp' ? 'udp' : 'tcp' };
}

/** "tcp/8080"-style keys of every listening TCP socket and bound UDP socket on the host. */
export async function listeningPorts(t: Transport): Promise<Set<string>> {
  return new Set((await listeningSockets(t)).keys());
}

/** The same keys, each with the local addresses listening there ("127.0.0.1", "0.0.0.0", "::"). */
export async function listeningSockets(t: Transport): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  let read = 0;
  const files = [
    ['/proc/net/tcp', 'tcp', '0A'],
    ['/proc/net/tcp6', 'tcp', '0A'],
    ['/proc/net/udp', 'udp', '07'],
    ['/proc/net/udp6', 'udp', '07'],
  ] as const;
  // Read side by side: over SSH each read is a round trip.
  const texts = await Promise.all(files.map(([file]) => t.readFile(file)));
  for (const [k, [, proto, state]] of files.entries()) {
    const text = texts[k];
    if (text === undefined) continue;
    read++;
    for (const { port, address } of parseProcNetSockets(text.toString('latin1'), state)) {
      const key = `${proto}/${port}`;
      const set = out.get(key) ?? new Set<string>();
      set.add(address);
      out.set(key, set);
    }
  }
  if (read === 0) throw new Error('no /proc/net/tcp on the host');
  return out;
}

/** Local ports of the sockets in `state` (0A = TCP LISTEN, 07 = UDP unconnected). */
export function parseProcNet(text: string, state: string): number[] {
  return parseProcNetSockets(text, state).map((s) => s.port);
}

/**
 * The local address and port of the sockets in `state`. IPv4 addresses are dotted
 * ("0100007F" → "127.0.0.1"); IPv6 ones are "::" when all zero, else their hex.
 */
export function parseProcNetSockets(text: string, state: string): { port: number; address: string }[] {
  const out: { port: number; address: string }[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (local === undefined || f[3] !== state) continue;
    const colon = local.lastIndexOf(':');
    const port = parseInt(local.slice(colon + 1), 16);
    if (!Number.isFinite(port)) continue;
    const hex = local.slice(0, colon);
    let address = hex;
    if (hex.length === 8) {
      // /proc/net/tcp prints the address in host (little-endian) byte order.
      address = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
    } else if (/^0+$/.test(hex)) {
      address = '::';
    }
    out.push({ port, address });
  }
  return out;
}

async function checkDisk(
  t: Transport,
  info: Promise<{ DockerRootDir?: string }>,
  minFree: number,
): Promise<CheckResult> {
  let root: string;
  try {
    root = (await info).DockerRootDir ?? '/var/lib/docker';
  } catch (err) {
    return { check: 'disk', ok: false, detail: `docker info failed: ${errorText(err)}` };
  }
  let space: { available: number; total: number };
  try {
    if (t instanceof SshTransport) {
      space = await t.statfs(root);
    } else if (t instanceof LocalTransport && !(t instanceof LocalTlsTransport)) {
      const s = await fs.statfs(root);
      space = { available: s.bavail * s.bsize, total: s.blocks * s.bsize };
    } else {
      return {
        check: 'disk',
        ok: true,
        skipped: true,
        detail: `cannot see the engine's filesystem (${root})`,
      };
    }
  } catch (err) {
    return { check: 'disk', ok: true, skipped: true, detail: `cannot measure ${root}: ${errorText(err)}` };
  }
  const free = `${gib(space.available)} free under ${root} (DockerRootDir)`;
  if (space.available >= minFree) return { check: 'disk', ok: true, detail: free };
  return {
    check: 'disk',
    ok: false,
    detail: `only ${free}; at least ${gib(minFree)} is needed for images and containers`,
  };
}

function gib(n: number): string {
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

/** Compare "1.41" and "1.40" numerically, part by part. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function errorText(err: unknown): string {
  if (err instanceof KollaError) return withHint(err);
  if (err instanceof Error) {
    const json = (err as { json?: { message?: string } }).json;
    return json?.message ?? err.message;
  }
  return String(err);
}

export interface PrechecksOperationOptions extends HostConnectionOptions, PrecheckOptions {
  dir: string;
  vars: VarArg[];
}

export interface PrechecksOutcome {
  ok: boolean;
  hosts: HostReport[];
  diagnostics: Diagnostic[];
}

/** `kolla prechecks`: load the configuration, run the checks, close every connection. */
export async function prechecksOperation(o: PrechecksOperationOptions): Promise<PrechecksOutcome> {
  const p = await prepare({ dir: o.dir, vars: o.vars });
  if (!p.config || !p.expansion || p.diagnostics.hasErrors()) {
    return { ok: false, hosts: [], diagnostics: [...p.diagnostics] };
  }
  const connOpts: HostConnectionOptions = { timeoutMs: durationMs(p.config.settings.hostTimeout) };
  if (o.trustNewHostKeys !== undefined) connOpts.trustNewHostKeys = o.trustNewHostKeys;
  if (o.knownHostsFile !== undefined) connOpts.knownHostsFile = o.knownHostsFile;
  if (o.connectTimeoutMs !== undefined) connOpts.connectTimeoutMs = o.connectTimeoutMs;
  if (o.onNotice !== undefined) connOpts.onNotice = o.onNotice;
  const conns = new HostConnections(new Map(p.config.hosts.map((h) => [h.name, h])), connOpts);
  try {
    const checkOpts: PrecheckOptions = {};
    if (o.minApiVersion !== undefined) checkOpts.minApiVersion = o.minApiVersion;
    if (o.minFreeBytes !== undefined) checkOpts.minFreeBytes = o.minFreeBytes;
    const hosts = await checkHosts(p.config, p.expansion, conns, checkOpts);
    const diagnostics = [...p.diagnostics, ...reportDiagnostics(hosts)];
    return { ok: hosts.every((h) => h.ok), hosts, diagnostics };
  } finally {
    await conns.closeAll();
  }
}
