/**
 * Turning a container (or bootstrap) block's evaluated arguments into a ContainerSpec:
 * defaults filled in, strings split into commands, sizes and maps normalised, so that
 * two configurations meaning the same thing give the same spec (and spec hash).
 */
import type { Value } from '../config/hcl/ast.js';
import type { ContainerSpec, HealthcheckSpec, UlimitSpec } from './instances.js';
import { shellWords } from './shell-words.js';

export class SpecError extends Error {
  constructor(
    readonly attr: string,
    message: string,
  ) {
    super(message);
  }
}

function strList(v: Value | undefined): string[] {
  return Array.isArray(v) ? v.map((x) => String(x)) : [];
}

/** A command argument as argv: a list as it is, a string split as a shell would. */
export function command(attr: string, v: Value | undefined): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map((x) => String(x));
  const w = shellWords(String(v));
  if (typeof w === 'string') throw new SpecError(attr, `Cannot split ${attr}: ${w}`);
  return w;
}

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i;

/** "512m" → bytes; numbers are bytes. */
export function parseSize(v: Value | undefined): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = SIZE_RE.exec(String(v).trim());
  if (!m)
    throw new SpecError('memory', `Invalid size "${String(v)}"; use a number of bytes or e.g. 512m, 2g`);
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

const DURATION_RE = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export function checkDuration(attr: string, v: Value | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v);
  if (!DURATION_RE.test(s))
    throw new SpecError(attr, `Invalid duration "${s}"; use Go syntax such as 10s, 1m30s or 500ms`);
  return s;
}

export function buildContainerSpec(
  name: string,
  v: Record<string, Value>,
  healthcheck: Record<string, Value> | undefined,
  kollaStart: boolean,
): ContainerSpec {
  const env: Record<string, string> = {};
  const e = v['environment'];
  if (e && typeof e === 'object' && !Array.isArray(e))
    for (const [k, x] of Object.entries(e)) {
      env[k] = String(x);
      // Docker would cut the value at the NUL (a C string): what runs would not be what was planned.
      if (env[k].includes('\0') || k.includes('\0'))
        throw new SpecError(
          'environment',
          `the value of ${k.replace(/\0/g, '\\0')} contains a NUL character`,
        );
    }
  const labels: Record<string, string> = {};
  const l = v['labels'];
  if (l && typeof l === 'object' && !Array.isArray(l))
    for (const [k, x] of Object.entries(l)) labels[k] = String(x);
  const ulimits: UlimitSpec[] = [];
  const u = v['ulimits'];
  if (u && typeof u === 'object' && !Array.isArray(u)) {
    for (const [k, x] of Object.entries(u).sort(([a], [b]) => a.localeCompare(b))) {
      const o = x as { soft: number; hard: number };
      ulimits.push({ name: k, soft: o.soft, hard: o.hard });
    }
  }
  const spec: ContainerSpec = {
    name,
    image: String(v['image']),
    environment: env,
    volumes: strList(v['volumes']),
    ports: strList(v['ports']),
    privileged: v['privileged'] === true,
    cap_add: strList(v['cap_add']),
    security_opt: strList(v['security_opt']),
    labels,
    restart_policy: typeof v['restart_policy'] === 'string' ? v['restart_policy'] : 'unless-stopped',
    ulimits,
    tmpfs: strList(v['tmpfs']),
    init: v['init'] === true,
    memory: parseSize(v['memory']),
    cpu_shares: typeof v['cpu_shares'] === 'number' ? v['cpu_shares'] : 0,
    health_timeout: checkDuration('health_timeout', v['health_timeout']) ?? '120s',
  };
  // With kolla_start the command goes to config.json, not to Docker.
  if (!kollaStart) {
    const cmd = command('command', v['command']);
    if (cmd) spec.command = cmd;
  }
  const ep = command('entrypoint', v['entrypoint']);
  if (ep) spec.entrypoint = ep;
  if (typeof v['network_mode'] === 'string') spec.network_mode = v['network_mode'];
  if (typeof v['pid_mode'] === 'string') spec.pid_mode = v['pid_mode'];
  if (typeof v['ipc_mode'] === 'string') spec.ipc_mode = v['ipc_mode'];
  if (typeof v['user'] === 'string') spec.user = v['user'];
  if (typeof v['working_dir'] === 'string') spec.working_dir = v['working_dir'];
  if (spec.network_mode === 'host' && spec.ports.length)
    throw new SpecError(
      'ports',
      'ports cannot be published with network_mode = "host": the container already uses the host\'s ports',
    );
  if (healthcheck) {
    const h: HealthcheckSpec = { test: strList(healthcheck['test']) };
    const iv = checkDuration('interval', healthcheck['interval']);
    if (iv) h.interval = iv;
    const to = checkDuration('timeout', healthcheck['timeout']);
    if (to) h.timeout = to;
    const sp = checkDuration('start_period', healthcheck['start_period']);
    if (sp) h.start_period = sp;
    if (typeof healthcheck['retries'] === 'number') h.retries = healthcheck['retries'];
    if (!['CMD', 'CMD-SHELL', 'NONE'].includes(h.test[0] ?? ''))
      throw new SpecError('test', 'healthcheck test must start with "CMD", "CMD-SHELL" or "NONE"');
    spec.healthcheck = h;
  }
  return spec;
}
