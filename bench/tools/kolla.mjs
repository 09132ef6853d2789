// kolla: the N containers as N services in one main.hcl; every operation is a whole
// `node bin/run.js …` process.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  IMAGE,
  LABEL,
  sizing,
  TESTBED_KEY,
  TESTBED_KNOWN_HOSTS,
  cleanup,
  containers,
  kollaBin,
  repeat,
  run,
} from '../lib.mjs';

export const tool = 'kolla';

function hostBlock(h) {
  if (h.local) return `host "${h.name}" {\n  address    = "${h.addr}"\n  connection = "local"\n}\n`;
  return (
    `host "${h.name}" {\n  address       = "${h.addr}"\n  identity_file = "${TESTBED_KEY}"\n` +
    `  docker_socket = "${h.socket}"\n  lock_dir      = "${h.lockDir}"\n}\n`
  );
}

export function hcl(n, hosts, dir, changed) {
  const size = sizing(n);
  const intervalS = size.intervalS;
  // BENCH_KOLLA_PARALLELISM: kolla at another parallelism than sizing()'s (not recorded in the results)
  const parallelism = Number(process.env.BENCH_KOLLA_PARALLELISM) || size.parallelism;
  let s =
    `kolla {\n  project     = "kolla-bench"\n  config_dir  = "${dir}/etc"\n` +
    `  parallelism = ${parallelism}\n  settle_time = "1s"\n}\n\n`;
  s += hosts.map(hostBlock).join('\n');
  for (const c of containers(tool, n, hosts, changed)) {
    s +=
      `\nservice "s${c.i}" {\n  hosts = ["${c.host.name}"]\n  container "${c.name}" {\n` +
      `    image        = "${IMAGE}"\n    command      = ["sleep", "2147483647"]\n` +
      `    init         = true\n    network_mode = "host"\n    stop_timeout = "1s"\n` +
      `    environment  = { VALUE = "${c.value}" }\n    labels       = { "${LABEL}" = "${tool}" }\n` +
      `    healthcheck {\n      test     = ["CMD", "true"]\n      interval = "${intervalS}s"\n    }\n  }\n}\n`;
  }
  return s;
}

export async function bench({ n, hosts, dir, runs, coldRuns, ops }) {
  const env = hosts.some((h) => !h.local) ? { KOLLA_KNOWN_HOSTS: TESTBED_KNOWN_HOSTS } : {};
  const kolla = (...args) => run(process.execPath, [kollaBin, ...args], { cwd: dir, env, okStatus: [0, 2] });
  const write = (changed) => writeFileSync(path.join(dir, 'main.hcl'), hcl(n, hosts, dir, changed));
  const reset = async () => {
    await cleanup(tool, hosts);
    for (const f of ['kolla.state.json', 'kolla.state.json.history', 'kolla.state.json.journal', 'etc'])
      rmSync(path.join(dir, f), { recursive: true, force: true });
    write(false);
  };
  const expect = (r, re, what) => {
    if (!re.test(r.stdout)) throw new Error(`kolla ${what}: unexpected output:\n${r.stdout.slice(-2000)}`);
    return r;
  };
  const noChanges = /No changes\./;

  try {
    ops.cold = await repeat(coldRuns, reset, () => kolla('apply', '-auto-approve'));
    ops.noop_plan = await repeat(runs, null, async () =>
      expect(await kolla('plan'), noChanges, 'no-op plan'),
    );
    ops.noop_apply = await repeat(runs, null, async () =>
      expect(await kolla('apply', '-auto-approve'), noChanges, 'no-op apply'),
    );
    // Alternate container 0's VALUE: every run is a real change of one container.
    ops.change = await repeat(
      runs,
      (k) => write(k % 2 === 0),
      async () => {
        const r = await kolla('apply', '-auto-approve');
        if (noChanges.test(r.stdout)) throw new Error('kolla one change: apply found no change');
        return r;
      },
    );
    return ops;
  } finally {
    await cleanup(tool, hosts);
  }
}

/** `kolla --help`: the start-up cost alone. */
export async function help(runs) {
  return repeat(runs, null, () => run(process.execPath, [kollaBin, '--help']));
}
