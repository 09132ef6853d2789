/**
 * ContainerSpec → Engine API create options. Every field of the spec maps here and only
 * here, so "what does field X do in Docker" has one answer. The parsers for the string
 * forms (volumes, ports, tmpfs, restart policy) are exported so that a plan can check a
 * spec before anything touches a host (see checkSpec).
 */
import type { ContainerCreateOptions, HealthConfig, HostRestartPolicy } from 'dockerode';
import type { ContainerSpec, HealthcheckSpec } from '../../expand/instances.js';
import { parseDuration } from './duration.js';
import {
  ADDRESS_LABEL,
  CONFIG_HASH_LABEL,
  PROJECT_LABEL,
  RESERVED_LABELS,
  SPEC_HASH_LABEL,
} from './labels.js';

/** What kolla stamps on a container besides its spec. */
export interface ContainerMeta {
  project: string;
  address: string;
  /** specHash(spec); passed in so that callers compute it once and store the same value. */
  specHash: string;
  /** Hash of the container's rendered config files, when it has any. */
  configHash?: string;
}

/** A spec field that cannot be turned into Docker options. */
export class SpecError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SpecError';
  }
}

export function toCreateOptions(spec: ContainerSpec, meta: ContainerMeta): ContainerCreateOptions {
  const binds: string[] = [];
  const anonymous: Record<string, object> = {};
  for (const v of spec.volumes) {
    const parsed = parseVolume(v);
    if (parsed === undefined) continue;
    if (parsed.kind === 'anonymous') anonymous[parsed.target] = {};
    else binds.push(formatBind(parsed));
  }

  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  if (spec.ports.length > 0 && spec.network_mode === 'host') {
    throw new SpecError(
      'ports',
      'ports cannot be published with network_mode "host" (Docker would ignore them)',
    );
  }
  for (const p of spec.ports) {
    for (const b of parsePort(p)) {
      exposed[b.containerPort] = {};
      (bindings[b.containerPort] ??= []).push({ HostIp: b.hostIp, HostPort: b.hostPort });
    }
  }

  const tmpfs: Record<string, string> = {};
  for (const t of spec.tmpfs) {
    const { path, options } = parseTmpfs(t);
    tmpfs[path] = options;
  }

  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.labels)) {
    if (RESERVED_LABELS.includes(k)) throw new SpecError('labels', `label "${k}" is reserved for kolla`);
    labels[k] = v;
  }
  labels[PROJECT_LABEL] = meta.project;
  labels[ADDRESS_LABEL] = meta.address;
  labels[SPEC_HASH_LABEL] = meta.specHash;
  if (meta.configHash !== undefined) labels[CONFIG_HASH_LABEL] = meta.configHash;

  const env = Object.keys(spec.environment)
    .sort()
    .map((k) => {
      if (k === '' || k.includes('=')) throw new SpecError('environment', `invalid variable name "${k}"`);
      return `${k}=${spec.environment[k] ?? ''}`;
    });

  const opts: ContainerCreateOptions = {
    name: spec.name,
    Image: spec.image,
    Env: env,
    Labels: labels,
    HostConfig: {
      Binds: binds,
      PortBindings: bindings,
      Privileged: spec.privileged,
      CapAdd: [...spec.cap_add],
      SecurityOpt: [...spec.security_opt],
      RestartPolicy: parseRestartPolicy(spec.restart_policy),
      Ulimits: spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      Tmpfs: tmpfs,
      Init: spec.init,
      Memory: spec.memory,
      CpuShares: spec.cpu_shares,
    },
  };
  const host = opts.HostConfig!;
  if (Object.keys(anonymous).length > 0) opts.Volumes = anonymous;
  if (Object.keys(exposed).length > 0) opts.ExposedPorts = exposed;
  if (spec.command !== undefined) opts.Cmd = [...spec.command];
  if (spec.entrypoint !== undefined) opts.Entrypoint = [...spec.entrypoint];
  if (spec.user !== undefined) opts.User = spec.user;
  if (spec.working_dir !== undefined) opts.WorkingDir = spec.working_dir;
  if (spec.healthcheck !== undefined) opts.Healthcheck = toHealthConfig(spec.healthcheck);
  if (spec.network_mode !== undefined) host.NetworkMode = spec.network_mode;
  if (spec.pid_mode !== undefined) host.PidMode = spec.pid_mode;
  if (spec.ipc_mode !== undefined) host.IpcMode = spec.ipc_mode;
  if (spec.memory < 0 || !Number.isInteger(spec.memory)) {
    throw new SpecError('memory', `must be a whole number of bytes >= 0, got ${spec.memory}`);
  }
  if (spec.memory > 0 && spec.memory < MIN_MEMORY) {
    throw new SpecError(
      'memory',
      `Docker's minimum memory limit is 6MB (${MIN_MEMORY} bytes), got ${spec.memory}`,
    );
  }
  if (spec.cpu_shares < 0 || !Number.isInteger(spec.cpu_shares)) {
    throw new SpecError('cpu_shares', `must be a whole number >= 0, got ${spec.cpu_shares}`);
  }
  return opts;
}

/** Docker refuses smaller limits (linuxMinMemory). */
export const MIN_MEMORY = 6 * 1024 * 1024;

/**
 * Every problem toCreateOptions would throw for, as messages; for plan-time validation.
 * Checks field by field so that one bad volume does not hide a bad port.
 */
export function checkSpec(spec: ContainerSpec): string[] {
  const problems: string[] = [];
  const attempt = (field: string, f: () => unknown): void => {
    try {
      f();
    } catch (err) {
      problems.push(err instanceof SpecError ? err.message : `${field}: ${(err as Error).message}`);
    }
  };
  spec.volumes.forEach((v) => attempt('volumes', () => parseVolume(v)));
  spec.ports.forEach((p) => attempt('ports', () => parsePort(p)));
  spec.tmpfs.forEach((t) => attempt('tmpfs', () => parseTmpfs(t)));
  attempt('restart_policy', () => parseRestartPolicy(spec.restart_policy));
  if (spec.healthcheck !== undefined) {
    const hc = spec.healthcheck;
    attempt('healthcheck', () => toHealthConfig(hc));
  }
  attempt('health_timeout', () => parseDuration(spec.health_timeout));
  // Whatever the per-field checks did not cover (labels, env, memory, host ports).
  if (problems.length === 0)
    attempt('spec', () => toCreateOptions(spec, { project: 'x', address: 'x', specHash: 'x' }));
  return problems;
}

// ---- volumes ----------------------------------------------------------------------------

export type ParsedVolume =
  | { kind: 'bind' | 'volume'; source: string; target: string; options: string[] }
  | { kind: 'anonymous'; target: string; options: string[] };

const VOLUME_OPTIONS = new Set([
  'ro',
  'rw',
  'z',
  'Z',
  'shared',
  'rshared',
  'slave',
  'rslave',
  'private',
  'rprivate',
  'nocopy',
  'consistent',
  'cached',
  'delegated',
]);
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * "volume_or_path:/dest[:opts]" or "/dest" (anonymous volume). A source starting with "/"
 * is a bind mount, anything else a named volume. Returns undefined for "", which
 * Kolla-style service definitions use for a volume switched off by a condition.
 */
export function parseVolume(text: string): ParsedVolume | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const parts = s.split(':');
  const bad = (why: string): never => {
    throw new SpecError('volumes', `"${text}": ${why}`);
  };
  if (parts.length > 3) bad('expected "source:/dest[:options]"');
  if (parts.length === 1) {
    if (!s.startsWith('/')) bad('a volume without a destination must be an absolute path');
    return { kind: 'anonymous', target: s, options: [] };
  }
  const [source = '', target = '', opt = ''] = parts;
  if (!target.startsWith('/')) bad('destination must be an absolute path');
  const options = parts.length === 3 ? opt.split(',') : [];
  for (const o of options) if (!VOLUME_OPTIONS.has(o)) bad(`unknown option "${o}"`);
  if (options.includes('ro') && options.includes('rw')) bad('both "ro" and "rw"');
  if (source.startsWith('/')) return { kind: 'bind', source, target, options };
  if (!VOLUME_NAME.test(source)) bad(`"${source}" is neither an absolute path nor a valid volume name`);
  return { kind: 'volume', source, target, options };
}

function formatBind(v: { source: string; target: string; options: string[] }): string {
  return v.options.length > 0 ? `${v.source}:${v.target}:${v.options.join(',')}` : `${v.source}:${v.target}`;
}

// ---- ports ------------------------------------------------------------------------------

export interface PortBinding {
  /** "80/tcp": the key Docker uses in ExposedPorts and PortBindings. */
  containerPort: string;
  /** "" = all interfaces. */
  hostIp: string;
  /** "" = a port the engine picks. */
  hostPort: string;
}

/**
 * "[ip:]hostPort:containerPort[/proto]" or "containerPort[/proto]"; ports may be ranges
 * ("8000-8002:9000-9002") of equal length; an IPv6 address goes in brackets.
 */
export function parsePort(text: string): PortBinding[] {
  const bad = (why: string): never => {
    throw new SpecError('ports', `"${text}": ${why}`);
  };
  let s = text.trim();
  let proto = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    proto = s.slice(slash + 1);
    s = s.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(proto)) bad(`unknown protocol "${proto}"`);
  }
  let hostIp = '';
  if (s.startsWith('[')) {
    const close = s.indexOf(']:');
    if (close < 0) bad('expected "[ipv6]:hostPort:containerPort"');
    hostIp = s.slice(1, close);
    s = s.slice(close + 2);
  }
  const parts = s.split(':');
  let hostPart = '';
  let containerPart: string;
  if (parts.length === 1) {
    if (hostIp !== '') bad('an address needs a host and a container port');
    containerPart = parts[0] ?? '';
  } else if (parts.length === 2) {
    [hostPart = '', containerPart = ''] = parts;
  } else if (parts.length === 3 && hostIp === '') {
    [hostIp = '', hostPart = '', containerPart = ''] = parts;
    if (hostIp === '') bad('empty host address');
  } else {
    return bad('expected "[ip:]hostPort:containerPort[/proto]"');
  }
  const containerPorts = parseRange(containerPart, bad);
  if (containerPorts === undefined) return bad('missing container port');
  const hostPorts = parseRange(hostPart, bad);
  if (hostPorts !== undefined && hostPorts.length !== containerPorts.length) {
    bad('host and container port ranges differ in length');
  }
  return containerPorts.map((cp, i) => ({
    containerPort: `${cp}/${proto}`,
    hostIp,
    hostPort: hostPorts === undefined ? '' : String(hostPorts[i]),
  }));
}

function parseRange(text: string, bad: (why: string) => never): number[] | undefined {
  if (text === '') return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (m === null) return bad(`invalid port "${text}"`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535 || hi < lo) bad(`invalid port range "${text}"`);
  const out: number[] = [];
  for (let p = lo; p <= hi; p++) out.push(p);
  return out;
}

// ---- tmpfs, restart policy, healthcheck -------------------------------------------------

/** "/path[:options]", options as for mount(8) ("size=64m,mode=1777"). */
export function parseTmpfs(text: string): { path: string; options: string } {
  const s = text.trim();
  const colon = s.indexOf(':');
  const path = colon < 0 ? s : s.slice(0, colon);
  const options = colon < 0 ? '' : s.slice(colon + 1);
  if (!path.startsWith('/')) throw new SpecError('tmpfs', `"${text}": path must be absolute`);
  return { path, options };
}

/** "no" | "always" | "unless-stopped" | "on-failure" | "on-failure:N". */
export function parseRestartPolicy(text: string): HostRestartPolicy {
  const s = text.trim();
  if (s === '' || s === 'no') return { Name: 'no', MaximumRetryCount: 0 };
  if (s === 'always' || s === 'unless-stopped' || s === 'on-failure')
    return { Name: s, MaximumRetryCount: 0 };
  const m = /^on-failure:(\d+)$/.exec(s);
  if (m !== null) return { Name: 'on-failure', MaximumRetryCount: Number(m[1]) };
  throw new SpecError(
    'restart_policy',
    `"${text}": expected "no", "always", "unless-stopped", "on-failure" or "on-failure:N"`,
  );
}

/** Docker's minimum for non-zero healthcheck durations. */
const MIN_HEALTH_DURATION_NS = 1e6;

/**
 * The test keeps Docker's forms (["CMD", …], ["CMD-SHELL", "…"], ["NONE"]); a bare
 * command list is taken as CMD and a single string as CMD-SHELL, as compose does.
 */
export function toHealthConfig(hc: HealthcheckSpec): HealthConfig {
  const bad = (why: string): never => {
    throw new SpecError('healthcheck', why);
  };
  const first = hc.test[0];
  if (first === undefined) bad('test is empty');
  let test: string[];
  if (first === 'CMD' || first === 'CMD-SHELL' || first === 'NONE') test = [...hc.test];
  else if (hc.test.length === 1) test = ['CMD-SHELL', first!];
  else test = ['CMD', ...hc.test];
  if (test[0] !== 'NONE' && test.length < 2) bad(`${test[0]} needs a command`);

  const out: HealthConfig = { Test: test };
  const dur = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    let ns: number;
    try {
      ns = parseDuration(v);
    } catch (err) {
      return bad(`${name}: ${(err as Error).message}`);
    }
    if (ns !== 0 && ns < MIN_HEALTH_DURATION_NS) bad(`${name}: must be at least 1ms`);
    return ns;
  };
  const interval = dur('interval', hc.interval);
  const timeout = dur('timeout', hc.timeout);
  const startPeriod = dur('start_period', hc.start_period);
  if (interval !== undefined) out.Interval = interval;
  if (timeout !== undefined) out.Timeout = timeout;
  if (startPeriod !== undefined) out.StartPeriod = startPeriod;
  if (hc.retries !== undefined) {
    if (!Number.isInteger(hc.retries) || hc.retries < 0) bad(`retries: must be a whole number >= 0`);
    out.Retries = hc.retries;
  }
  return out;
}
