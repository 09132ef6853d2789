#!/usr/bin/env node
// The scale benchmark (issue #20 item 3): kolla against 10, 30 and 100 simulated hosts over
// real SSH, 20 containers per host, beside the floor (bench/floor.mjs) doing the same Docker
// API calls through the same SSH hosts at the same parallelism. Run by hand, as root:
//
//   npm run build && npm run bench:scale [-- HOSTS,HOSTS,...]
//
// It starts the hosts itself (bench/sim/hosts.sh up MAX, down at the end). Environment:
//   SCALE_PER_HOST (20), SCALE_PARALLELISM (50), SCALE_RUNS (3, the no-op plan's repeats),
//   SIM_LATENCY_MS (2), SIM_HEALTHY_MS (300), SCALE_OUT (bench/scale-results.json),
//   SCALE_ANSIBLE (1 when ansible-playbook and community.docker are installed; 0 skips it),
//   SCALE_ANSIBLE_MAX_HOSTS (100: Ansible only at sizes up to this).
// Ansible: ansible-playbook with SSH to every simulated host (the bench key, pipelining,
// ControlPersist, forks = the parallelism), one community.docker.docker_container task
// looping over the host's 20 containers with `docker_host` the host's simulated socket: the
// module runs on the host, as kolla-ansible's do. It does not wait for health (it cannot:
// docker_container has no health gate), so its cold run is compared with the floor's
// ungated cost as well as kolla's gated one.
// Prints one line per measurement and writes the results as JSON.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { IMAGE, kollaBin, median, root, run } from './lib.mjs';
import { playbook, runPlay } from './tools/ansible.mjs';

const SIM_ROOT = process.env.KOLLA_SIM_ROOT ?? '/run/kolla-sim';
const KEY = `${SIM_ROOT}/id_ed25519`;
const KNOWN_HOSTS = `${SIM_ROOT}/known_hosts`;
const SIZES = (process.argv[2] ?? '10,30,100').split(',').map(Number);
const PER_HOST = Number(process.env.SCALE_PER_HOST ?? 20);
const P = Number(process.env.SCALE_PARALLELISM ?? 50);
const RUNS = Number(process.env.SCALE_RUNS ?? 3);
const OUT = process.env.SCALE_OUT ?? path.join(root, 'bench', 'scale-results.json');
const LABEL = 'kolla-bench';
const hostsSh = path.join(root, 'bench', 'sim', 'hosts.sh');
const COMMUNITY_DOCKER = '/usr/lib/python3/dist-packages/ansible_collections/community/docker/MANIFEST.json';
const hasAnsible =
  spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' }).status === 0 &&
  existsSync(COMMUNITY_DOCKER);
const ANSIBLE = process.env.SCALE_ANSIBLE ? process.env.SCALE_ANSIBLE === '1' : hasAnsible;
const ANSIBLE_MAX = Number(process.env.SCALE_ANSIBLE_MAX_HOSTS ?? 100);

function ansibleFiles(hosts, dir) {
  writeFileSync(path.join(dir, 'play.yml'), playbook(5));
  writeFileSync(
    path.join(dir, 'ansible.cfg'),
    `[defaults]\ninterpreter_python = /usr/bin/python3\nforks = ${P}\nnocolor = True\n` +
      `retry_files_enabled = False\nlocal_tmp = ${dir}/ansible-tmp\nhost_key_checking = True\n\n` +
      `[ssh_connection]\npipelining = True\nssh_args = -o ControlMaster=auto -o ControlPersist=120s ` +
      `-o UserKnownHostsFile=${KNOWN_HOSTS} -o StrictHostKeyChecking=yes\ncontrol_path_dir = ${dir}/cp\n`,
  );
  const items = Array.from({ length: PER_HOST }, (_, j) => ({ name: `bench_ansible_c${j}`, value: 'one' }));
  const inv = Object.fromEntries(
    hosts.map((h) => [
      h.name,
      {
        ansible_host: h.addr,
        ansible_user: 'root',
        ansible_ssh_private_key_file: KEY,
        docker_host: `unix://${h.socket}`,
        bench_containers: items,
      },
    ]),
  );
  writeFileSync(path.join(dir, 'inventory.json'), JSON.stringify({ all: { hosts: inv } }));
}

const hostList = (n) =>
  Array.from({ length: n }, (_, k) => ({
    name: `h${k + 1}`,
    addr: `127.0.1.${k + 1}`,
    socket: `${SIM_ROOT}/${k + 1}/docker.sock`,
    lockDir: `${SIM_ROOT}/${k + 1}/locks`,
  }));

/** Empty every simulated host (through its socket here, not over SSH: untimed). */
function reset(hosts) {
  return Promise.all(
    hosts.map(
      (h) =>
        new Promise((resolve, reject) => {
          const req = http.request({ socketPath: h.socket, method: 'POST', path: '/_sim/reset' }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end();
        }),
    ),
  );
}

function kollaHcl(hosts, dir) {
  let s =
    `kolla {\n  project     = "kolla-scale"\n  config_dir  = "${dir}/etc"\n` +
    `  parallelism = ${P}\n  settle_time = "1s"\n}\n\n`;
  for (const h of hosts)
    s +=
      `host "${h.name}" {\n  address       = "${h.addr}"\n  identity_file = "${KEY}"\n` +
      `  docker_socket = "${h.socket}"\n  lock_dir      = "${h.lockDir}"\n}\n\n`;
  const all = hosts.map((h) => `"${h.name}"`).join(', ');
  for (let j = 0; j < PER_HOST; j++)
    s +=
      `service "s${j}" {\n  hosts = [${all}]\n  container "bench_c${j}" {\n` +
      `    image        = "${IMAGE}"\n    command      = ["sleep", "2147483647"]\n` +
      `    init         = true\n    network_mode = "host"\n    stop_timeout = "1s"\n` +
      `    environment  = { VALUE = "one" }\n    labels       = { "${LABEL}" = "kolla" }\n` +
      `    healthcheck {\n      test     = ["CMD", "true"]\n      interval = "5s"\n    }\n  }\n}\n\n`;
  return s;
}

const fmt = (r) =>
  `${(r.ms / 1000).toFixed(2)} s, ${r.rssMb?.toFixed(0) ?? '?'} MB` +
  (r.cpuMs != null
    ? `, CPU ${(r.cpuMs / 1000).toFixed(2)} s (machine ${(r.machineCpuMs / 1000).toFixed(2)} s)`
    : '');
const results = { date: new Date().toISOString(), perHost: PER_HOST, parallelism: P, sizes: [] };

const max = Math.max(...SIZES);
const up = spawnSync(hostsSh, ['up', String(max)], { stdio: 'inherit', env: process.env });
if (up.status !== 0) process.exit(1);
try {
  for (const n of SIZES) {
    const hosts = hostList(n);
    const dir = mkdtempSync(path.join(os.tmpdir(), `kolla-scale-${n}-`));
    const row = { hosts: n, containers: n * PER_HOST };
    const env = { KOLLA_KNOWN_HOSTS: KNOWN_HOSTS };
    const kolla = (...args) =>
      run(process.execPath, [kollaBin, ...args], { cwd: dir, env, okStatus: [0, 2] });

    // kolla: cold apply, then the no-op plan (median of RUNS)
    writeFileSync(path.join(dir, 'main.hcl'), kollaHcl(hosts, dir));
    await reset(hosts);
    row.kolla_cold = await kolla('apply', '-auto-approve');
    if (!/Apply complete/.test(row.kolla_cold.stdout))
      throw new Error(`kolla cold apply:\n${row.kolla_cold.stdout.slice(-1500)}\n${row.kolla_cold.stderr}`);
    console.log(`${n} hosts: kolla cold apply ${fmt(row.kolla_cold)}`);
    const plans = [];
    for (let k = 0; k < RUNS; k++) {
      const r = await kolla('plan');
      if (!/No changes\./.test(r.stdout)) throw new Error(`kolla no-op plan:\n${r.stdout.slice(-1500)}`);
      plans.push(r);
      console.log(`${n} hosts: kolla no-op plan ${fmt(r)}`);
    }
    row.kolla_plan = plans;
    const timed = await run(process.execPath, [kollaBin, 'plan'], {
      cwd: dir,
      env: { ...env, KOLLA_TIMING: '1' },
      okStatus: [0, 2],
    });
    row.kolla_plan_timing = timed.stderr.slice(timed.stderr.indexOf('timing'));

    // the floor: the same containers, the same hosts and parallelism
    const specFile = path.join(dir, 'floor-spec.json');
    writeFileSync(
      specFile,
      JSON.stringify({
        hosts: hosts.map(({ addr, socket }) => ({ addr, socket, local: false })),
        containers: hosts.flatMap((_, hi) =>
          Array.from({ length: PER_HOST }, (_, j) => ({ name: `bench_floor_c${j}`, host: hi, value: 'one' })),
        ),
        image: IMAGE,
        label: [LABEL, 'floor'],
        parallelism: P,
        interval_s: 5,
        key: KEY,
        knownHosts: KNOWN_HOSTS,
      }),
    );
    const floor = (op) => run(process.execPath, [path.join(root, 'bench', 'floor.mjs'), op, specFile]);
    await reset(hosts);
    row.floor_cold = await floor('cold');
    console.log(`${n} hosts: floor cold (gated) ${fmt(row.floor_cold)}`);
    const fplans = [];
    const med = (k) => median(fplans.map((r) => r[k]));
    for (let k = 0; k < RUNS; k++) {
      const r = await floor('noop');
      if (Number(r.stdout.trim()) !== n * PER_HOST) throw new Error(`floor noop listed ${r.stdout.trim()}`);
      fplans.push(r);
    }
    row.floor_noop = fplans;
    console.log(
      `${n} hosts: floor no-op (median) ${fmt({ ms: med('ms'), rssMb: med('rssMb'), cpuMs: med('cpuMs'), machineCpuMs: med('machineCpuMs') })}`,
    );

    // Ansible: a cold run and a no-op run against the same hosts
    if (ANSIBLE && n <= ANSIBLE_MAX) {
      ansibleFiles(hosts, dir);
      const play = (want, what) => runPlay(dir, want, what);
      await reset(hosts);
      row.ansible_cold = await play(n * PER_HOST, 'cold');
      console.log(`${n} hosts: ansible cold (ungated) ${fmt(row.ansible_cold)}`);
      row.ansible_noop = await play(0, 'no-op');
      console.log(`${n} hosts: ansible no-op ${fmt(row.ansible_noop)}`);
    }

    const slim = (r) => ({
      ms: Math.round(r.ms),
      rssMb: r.rssMb && Math.round(r.rssMb),
      cpuMs: r.cpuMs,
      machineCpuMs: r.machineCpuMs,
    });
    results.sizes.push({
      hosts: n,
      containers: n * PER_HOST,
      kolla_cold: slim(row.kolla_cold),
      kolla_plan: plans.map(slim),
      kolla_plan_median_ms: Math.round(median(plans.map((r) => r.ms))),
      kolla_plan_peak_rss_mb: Math.round(Math.max(...plans.map((r) => r.rssMb))),
      kolla_plan_timing: row.kolla_plan_timing,
      floor_cold: slim(row.floor_cold),
      floor_noop_median_ms: Math.round(med('ms')),
      floor_noop_peak_rss_mb: Math.round(Math.max(...fplans.map((r) => r.rssMb))),
      floor_noop: fplans.map(slim),
      ...(row.ansible_cold
        ? { ansible_cold: slim(row.ansible_cold), ansible_noop: slim(row.ansible_noop) }
        : {}),
    });
    writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
    await reset(hosts);
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  spawnSync(hostsSh, ['down'], { stdio: 'inherit' });
}
console.log(readFileSync(OUT, 'utf8'));
