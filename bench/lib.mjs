// Shared by the benchmark harness (bench/run.mjs) and its tool drivers (bench/tools/*.mjs):
// what the N containers are, where the hosts are, timing a whole process with its peak RSS,
// and removing a tool's containers.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const kollaBin = path.join(root, 'bin', 'run.js');

export const IMAGE = 'kolla-test/busybox:1';
/** Every container the harness makes carries `kolla-bench=<tool>`: cleanup goes by it alone. */
export const LABEL = 'kolla-bench';
/**
 * What every tool gets at size N: the containers' healthcheck interval and the parallelism
 * (kolla's -parallelism, the floor's, compose's COMPOSE_PARALLEL_LIMIT; Ansible's loop has
 * none). Each probe is an exec in the container, 20–40 ms of CPU for dockerd, containerd
 * and runc: 100 containers probed every 5 s kept this 2-core machine at a load average of
 * 16, and every measurement with it. The interval grows with N so that the probes stay at
 * 10 a second (5 s up to N = 50, 10 s at 100, 30 s at 300); the parallelism grows from 10
 * at N = 100 so that a health-gated cold deployment (which waits one interval for each
 * container's first probe) takes ten waves at most.
 */
export function sizing(n) {
  return { intervalS: Math.max(5, Math.ceil(n / 10)), parallelism: Math.max(10, Math.ceil(n / 10)) };
}

export const TESTBED_DIR = '/var/lib/kolla-testbed';
export const TESTBED_KEY = `${TESTBED_DIR}/id_ed25519`;
export const TESTBED_KNOWN_HOSTS = `${TESTBED_DIR}/known_hosts`;

/** `local`: this machine's engine. `testbed`: the three hosts of `scripts/testbed up 3`. */
export const HOST_SETS = {
  local: [{ name: 'local', addr: '127.0.0.1', socket: '/var/run/docker.sock', local: true }],
  testbed: [1, 2, 3].map((i) => ({
    name: `node${i}`,
    addr: `10.77.0.${10 + i}`,
    socket: `${TESTBED_DIR}/${i}/docker.sock`,
    lockDir: `${TESTBED_DIR}/${i}/locks`,
    local: false,
  })),
};

/**
 * The N containers every tool deploys: `bench_<tool>_c<i>`, one busybox `sleep` each with
 * init, host networking, a 1 s stop timeout, one environment value and a `CMD true`
 * healthcheck every sizing(N).intervalS seconds. Container i
 * goes to host i mod the number of hosts. `changed` gives container 0 another VALUE: the
 * "one change" operation.
 */
export function containers(tool, n, hosts, changed = false) {
  return Array.from({ length: n }, (_, i) => ({
    i,
    name: `bench_${tool}_c${i}`,
    host: hosts[i % hosts.length],
    value: changed && i === 0 ? 'changed' : 'one',
  }));
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Run one process to its end, timed as a whole (wall clock), with its peak RSS from
 * `/usr/bin/time` (the largest single process of the tree, in MB; `rss: false` when that
 * would be an ssh client's). Rejects on a non-zero exit status unless `okStatus` lists it,
 * and when the process has not ended after `BENCH_TIMEOUT_S` (default 1200) seconds: it is
 * then killed, so that a tool that hangs costs a failed row, not the whole run.
 */
export const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 1200) * 1000;

/** Process groups of the timed processes still running (killed when the harness stops). */
const live = new Set();
export function killAll() {
  for (const pid of live) killGroup(pid);
}

/** SIGKILL to a process group: /usr/bin/time, the tool and its children. */
function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** CPU time the whole machine has spent busy (not idle, not waiting for I/O), in ms. */
function machineBusyMs() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return ((user + nice + system + irq + softirq + steal) * 1000) / 100; // USER_HZ = 100
  } catch {
    return NaN;
  }
}

export function run(cmd, args, { cwd, env, okStatus = [0], rss = true, timeoutMs = TIMEOUT_MS } = {}) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbench-time-'));
  const timeFile = path.join(tmp, 'rss');
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const busy0 = machineBusyMs();
    const p = spawn('/usr/bin/time', ['-f', '%M %U %S', '-o', timeFile, cmd, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    live.add(p.pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(p.pid);
    }, timeoutMs);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (status) => {
      clearTimeout(timer);
      live.delete(p.pid);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let rssMb = null;
      let cpuMs = null;
      try {
        // "%M %U %S": peak RSS in KiB, then user and system CPU seconds
        const [kb, user, sys] = readFileSync(timeFile, 'utf8')
          .trim()
          .split('\n')
          .pop()
          .split(' ')
          .map(Number);
        if (kb && rss) rssMb = kb / 1024;
        if (Number.isFinite(user) && Number.isFinite(sys)) cpuMs = Math.round((user + sys) * 1000);
      } catch {
        // no time file: the process could not start
      }
      rmSync(tmp, { recursive: true, force: true });
      // the machine's busy CPU over the run: this process, the hosts' sshd and daemons, the rest
      const machineCpuMs = Math.round(machineBusyMs() - busy0);
      const r = { ms, rssMb, cpuMs, machineCpuMs, status, stdout, stderr };
      if (timedOut) {
        const out = (stderr + stdout).trim().split('\n').slice(-10).join('\n');
        reject(new Error(`timed out after ${timeoutMs / 1000} s: ${cmd} ${args.join(' ')}\n${out}`));
      } else if (!okStatus.includes(status)) {
        const out = (stderr + stdout).trim().split('\n').slice(-25).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} exited ${status}:\n${out}`));
      } else resolve(r);
    });
  });
}

/** Several processes at once (one per host), timed together: until the last one ends. */
export async function runAll(jobs) {
  const t0 = process.hrtime.bigint();
  const rs = await Promise.all(jobs.map(([cmd, args, opts]) => run(cmd, args, opts)));
  return {
    ms: Number(process.hrtime.bigint() - t0) / 1e6,
    rssMb: Math.max(...rs.map((r) => r.rssMb ?? 0)) || null,
    stdout: rs.map((r) => r.stdout).join(''),
    stderr: rs.map((r) => r.stderr).join(''),
  };
}

/** `ssh root@host COMMAND` with the testbed's key and known hosts (for compose over SSH). */
export function sshArgs(host, command) {
  return [
    '-i',
    TESTBED_KEY,
    '-o',
    `UserKnownHostsFile=${TESTBED_KNOWN_HOSTS}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    `root@${host.addr}`,
    command,
  ];
}

/**
 * Remove every container labelled `kolla-bench=<tool>` (all tools when `tool` is '') on the
 * given hosts' engines, through their sockets on this machine. Touches nothing else.
 */
export async function cleanup(tool, hosts) {
  const filter = tool ? `label=${LABEL}=${tool}` : `label=${LABEL}`;
  await Promise.all(
    hosts.map(async (h) => {
      const H = ['-H', `unix://${h.socket}`];
      const ids = (await run('docker', [...H, 'ps', '-aq', '--filter', filter])).stdout
        .split(/\s+/)
        .filter(Boolean);
      if (ids.length) await run('docker', [...H, 'rm', '-f', ...ids]);
    }),
  );
}

/** Time `op` `times` times with `prepare` (untimed) before each; returns the runs. */
export async function repeat(times, prepare, op) {
  const out = [];
  for (let k = 0; k < times; k++) {
    if (prepare) await prepare(k);
    out.push(await op(k));
  }
  return out;
}
