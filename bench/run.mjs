#!/usr/bin/env node
// kolla benchmark (run by hand: `npm run bench [-- N...]`, not part of CI). Deploys N small
// busybox containers with healthchecks on the local engine and measures whole-process times
// of: cold apply, no-op plan, no-op apply, apply of one changed environment value, the
// floor (list + inspect of every container), and `kolla --help`. Medians of several runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'run.js');
const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const Ns = sizes.length ? sizes : [10, 100];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
// Healthchecks every 5 s: at 1 s, 100 containers' probes alone saturate a 2-core machine.

function config(n, project, changed) {
  let s = `kolla {\n  project = "${project}"\n  config_dir = "/tmp/${project}-etc"\n  parallelism = 10\n  settle_time = "1s"\n}\nhost "local" {\n  address = "127.0.0.1"\n  connection = "local"\n}\n`;
  for (let i = 0; i < n; i++) {
    const env = changed && i === 0 ? 'changed' : 'one';
    s += `service "s${i}" {\n  hosts = group.all\n  container "${project}_c${i}" {\n    image = "kolla-test/busybox:1"\n    command = ["sleep", "2147483647"]\n    init = true\n    stop_timeout = "1s"\n    environment = { VALUE = "${env}" }\n    healthcheck {\n      test = ["CMD", "true"]\n      interval = "5s"\n    }\n  }\n}\n`;
  }
  return s;
}

function time(args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd: opts.cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 2)
    throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, stdout: r.stdout, stderr: r.stderr };
}

function rss(args, cwd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { cwd, encoding: 'utf8' });
  const kb = Number(r.stderr.trim().split('\n').pop());
  return kb / 1024;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = {
  machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.cpus()[0].model}`,
  date: new Date().toISOString(),
  node: process.version,
  docker: execFileSync('docker', ['version', '-f', '{{.Server.Version}}'], { encoding: 'utf8' }).trim(),
  runs: RUNS,
  sizes: {},
};

results.help_ms = median(Array.from({ length: RUNS }, () => time([bin, '--help']).ms));

for (const n of Ns) {
  const project = `kbench${n}`;
  const dir = path.join(os.tmpdir(), `kolla-bench-${n}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'main.hcl'), config(n, project, false));
  // clean slate
  spawnSync('sh', [
    '-c',
    `docker rm -f $(docker ps -aq --filter label=kolla.project=${project}) 2>/dev/null`,
  ]);
  const r = { n };
  r.cold_apply_ms = time([bin, 'apply', '-auto-approve'], { cwd: dir }).ms;
  r.noop_plan_ms = median(Array.from({ length: RUNS }, () => time([bin, 'plan'], { cwd: dir }).ms));
  r.noop_apply_ms = median(
    Array.from({ length: RUNS }, () => time([bin, 'apply', '-auto-approve'], { cwd: dir }).ms),
  );
  r.floor_ms = median(
    Array.from({ length: RUNS }, () => time([path.join(root, 'bench', 'floor.mjs'), project]).ms),
  );
  r.plan_peak_rss_mb = rss([bin, 'plan'], dir);
  const change = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    writeFileSync(path.join(dir, 'main.hcl'), config(n, project, i % 2 === 0));
    change.push(time([bin, 'apply', '-auto-approve'], { cwd: dir }).ms);
  }
  r.one_change_apply_ms = median(change);
  r.noop_plan_over_floor = +(r.noop_plan_ms / r.floor_ms).toFixed(2);
  results.sizes[n] = r;
  console.log(JSON.stringify(r));
  time([bin, 'destroy', '-auto-approve'], { cwd: dir });
}
mkdirSync(path.join(root, 'bench', 'out'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'out', 'results.json'), JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));
