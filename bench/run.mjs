#!/usr/bin/env node
// kolla's benchmark side by side with docker-compose, Ansible and the floor (run by hand, not
// part of CI):
//
//   npm run bench [-- N...] [--tools kolla,compose,ansible,floor] [--hosts local,testbed] [--merge]
//
// For each host set (`local`: this machine's engine; `testbed`: the three hosts of
// `scripts/testbed up 3`, over SSH, the N containers spread over them), each N (default 10 100
// 300) and each tool, it deploys N busybox containers with healthchecks and times whole
// processes: cold deployment, no-op run, one changed environment value (and kolla's no-op
// plan and `--help`); cold runs BENCH_COLD_RUNS times (default min(BENCH_RUNS, 3)), the
// others BENCH_RUNS times (default 5), medians reported. Each tool's containers carry
// `kolla-bench=<tool>` and are removed before and after that tool runs, and at the end.
//
// Writes bench/out/results.json (--merge keeps the rows of earlier runs that this one did not
// redo) and bench/chart.svg, and prints the tables; `npm run bench:report` puts them into
// bench/RESULTS.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOST_SETS, IMAGE, cleanup, killAll, median, root } from './lib.mjs';
import { writeChart } from './chart.mjs';
import { tables } from './report.mjs';
import * as kolla from './tools/kolla.mjs';
import * as compose from './tools/compose.mjs';
import * as ansible from './tools/ansible.mjs';
import * as floor from './tools/floor.mjs';

const TOOLS = { kolla, compose, ansible, floor };
const resultsFile = path.join(root, 'bench', 'out', 'results.json');

function parseArgs(argv) {
  const o = { sizes: [], tools: Object.keys(TOOLS), hosts: ['local', 'testbed'], merge: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a.startsWith('--tools')) o.tools = value().split(',');
    else if (a.startsWith('--hosts')) o.hosts = value().split(',');
    else if (a === '--merge') o.merge = true;
    else if (/^\d+$/.test(a)) o.sizes.push(Number(a));
    else
      throw new Error(
        `unknown argument ${a} (usage: npm run bench -- [N...] [--tools LIST] [--hosts local,testbed] [--merge])`,
      );
  }
  if (!o.sizes.length) o.sizes = [10, 100, 300];
  for (const t of o.tools)
    if (!TOOLS[t]) throw new Error(`unknown tool ${t} (kolla, compose, ansible, floor)`);
  for (const h of o.hosts) if (!HOST_SETS[h]) throw new Error(`unknown host set ${h} (local, testbed)`);
  return o;
}

const sh = (cmd, args) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const say = (s) => console.error(`bench: ${s}`);

/** Install what a tool needs from Debian's packages when it is missing (as root). */
function ensurePackages(tools) {
  const need = [];
  if (!existsSync('/usr/bin/time')) need.push('time'); // peak RSS of every timed process
  if (tools.includes('compose') && !has('docker-compose')) need.push('docker-compose');
  if (tools.includes('ansible')) {
    if (!has('ansible-playbook') || !existsSync(communityDockerManifest)) need.push('ansible');
    // community.docker's docker_container speaks to Docker with `requests`, not the Docker SDK.
    if (spawnSync('/usr/bin/python3', ['-c', 'import requests']).status !== 0) need.push('python3-requests');
  }
  if (!need.length) return;
  if (process.getuid?.() !== 0)
    throw new Error(`missing Debian packages ${need.join(' ')} (install them as root)`);
  say(`apt-get install ${need.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...need], {
      stdio: 'inherit',
      env,
    }).status;
  if (install() !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    if (install() !== 0) throw new Error(`apt-get install ${need.join(' ')} failed`);
  }
}

const communityDockerManifest =
  '/usr/lib/python3/dist-packages/ansible_collections/community/docker/MANIFEST.json';

function checkHosts(sets) {
  if (!existsSync(path.join(root, 'dist', 'commands')))
    throw new Error('kolla is not built: npm ci && npm run build');
  if (spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0)
    throw new Error(`no image ${IMAGE} on the local engine: bash scripts/build-test-images.sh`);
  if (!sets.includes('testbed')) return;
  const status =
    spawnSync(path.join(root, 'scripts', 'testbed'), ['status'], { encoding: 'utf8' }).stdout ?? '';
  const up = (i) => new RegExp(`^host ${i}\\b.*sshd up.*dockerd up`, 'm').test(status);
  if (![1, 2, 3].every(up)) {
    say('testbed hosts 1-3 not all up: scripts/testbed up 3');
    if (spawnSync(path.join(root, 'scripts', 'testbed'), ['up', '3'], { stdio: 'inherit' }).status !== 0)
      throw new Error('scripts/testbed up 3 failed');
  }
  for (const h of HOST_SETS.testbed)
    if (
      spawnSync('docker', ['-H', `unix://${h.socket}`, 'image', 'inspect', IMAGE], { stdio: 'ignore' })
        .status !== 0
    )
      throw new Error(`testbed host ${h.name} lacks ${IMAGE}: scripts/testbed up 3 loads it`);
}

function versions(tools) {
  const v = {
    kolla: `${JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version} (${sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD'])})`,
    node: process.version,
    docker: sh('docker', ['version', '-f', '{{.Server.Version}}']),
    os: existsSync('/etc/debian_version')
      ? `Debian ${readFileSync('/etc/debian_version', 'utf8').trim()}`
      : os.type(),
    kernel: os.release(),
  };
  if (tools.includes('compose')) v.compose = sh('docker-compose', ['version', '--short']);
  if (tools.includes('ansible')) {
    const core = sh('ansible-playbook', ['--version'])
      .split('\n')[0]
      .match(/core ([\d.]+)/)?.[1];
    const deb = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'ansible'], { encoding: 'utf8' }).stdout;
    v.ansible = `${deb || '?'} (ansible-core ${core})`;
    v.community_docker = JSON.parse(readFileSync(communityDockerManifest, 'utf8')).collection_info.version;
  }
  return v;
}

const fmt = (ms) => (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const coldRuns = Number(process.env.BENCH_COLD_RUNS ?? Math.min(runs, 3));
  ensurePackages(o.tools);
  checkHosts(o.hosts);

  const allHosts = o.hosts.flatMap((s) => HOST_SETS[s]);
  let stopping = false;
  const stop = async (sig) => {
    if (stopping) return;
    stopping = true;
    say(`${sig}: removing the benchmark's containers`);
    killAll();
    await cleanup('', allHosts).catch(() => {});
    process.exit(130);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const started = new Date();
  const results = {
    machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.cpus()[0].model}`,
    date: started.toISOString(),
    versions: versions(o.tools),
    runs,
    cold_runs: coldRuns,
    load_average_at_start: os.loadavg().map((x) => +x.toFixed(2)),
    rows: [],
  };
  const add = (row, rs) => {
    const ms = rs.map((r) => r.ms);
    const rss = rs.map((r) => r.rssMb).filter(Boolean);
    const r = {
      ...row,
      median_ms: +median(ms).toFixed(1),
      runs_ms: ms.map((x) => +x.toFixed(1)),
      peak_rss_mb: rss.length ? +Math.max(...rss).toFixed(1) : null,
      date: new Date().toISOString(),
    };
    results.rows.push(r);
    const where = row.n ? `${row.hosts} N=${row.n} ` : '';
    say(
      `${where}${row.tool} ${row.op}: ${fmt(r.median_ms)}  (runs ${ms.map(fmt).join(', ')}; peak RSS ${r.peak_rss_mb} MB)`,
    );
  };

  // Rows of earlier runs that this one does not redo (--merge: a tool at a size and host set
  // that this run measures replaces all its earlier rows), and the file written after every
  // tool: a stopped or failed run keeps what it measured. `parts` lists every run merged.
  const runKey = (r) => `${r.hosts}|${r.n}|${r.tool}`;
  const prev = o.merge && existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : undefined;
  const part = {
    date: results.date,
    sizes: o.sizes,
    tools: o.tools,
    hosts: o.hosts,
    runs,
    cold_runs: coldRuns,
  };
  const save = () => {
    const redone = new Set(results.rows.map(runKey));
    results.load_average_at_end = os.loadavg().map((x) => +x.toFixed(2));
    results.duration_s = Math.round((Date.now() - started) / 1000);
    Object.assign(part, {
      load_average_at_start: results.load_average_at_start,
      load_average_at_end: results.load_average_at_end,
      duration_s: results.duration_s,
    });
    const out = {
      ...results,
      versions: { ...prev?.versions, ...results.versions },
      parts: [...(prev?.parts ?? []), part],
      rows: [...(prev?.rows ?? []).filter((r) => !redone.has(runKey(r))), ...results.rows],
    };
    mkdirSync(path.dirname(resultsFile), { recursive: true });
    writeFileSync(resultsFile, JSON.stringify(out, null, 2) + '\n');
    return out;
  };

  await cleanup('', allHosts); // leftovers of an interrupted run
  if (o.tools.includes('kolla'))
    add({ hosts: 'local', n: null, tool: 'kolla', op: 'help' }, await kolla.help(runs));
  const workRoot = path.join(os.tmpdir(), 'kolla-bench');
  try {
    for (const set of o.hosts) {
      for (const n of o.sizes) {
        for (const t of o.tools) {
          const dir = path.join(workRoot, `${set}-${n}-${t}`);
          rmSync(dir, { recursive: true, force: true });
          mkdirSync(dir, { recursive: true });
          say(`${set} N=${n} ${t} … (load average ${os.loadavg()[0].toFixed(1)})`);
          // The driver fills `ops` as it goes: when it fails, what it measured before is kept,
          // and the failure is a row of its own; the run goes on with the next tool.
          const ops = {};
          let failure;
          try {
            await TOOLS[t].bench({ n, hosts: HOST_SETS[set], dir, runs, coldRuns, ops });
          } catch (e) {
            failure = String(e?.message ?? e);
            await cleanup(t, HOST_SETS[set]).catch(() => {});
          }
          for (const [op, rs] of Object.entries(ops)) if (rs?.length) add({ hosts: set, n, tool: t, op }, rs);
          if (failure) {
            const error = failure.split('\n').slice(0, 12).join('\n');
            results.rows.push({
              hosts: set,
              n,
              tool: t,
              op: 'failed',
              error,
              date: new Date().toISOString(),
            });
            say(`${set} N=${n} ${t} FAILED: ${error}`);
          }
          save();
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await cleanup('', allHosts);
  }
  const merged = save();
  writeChart(merged, path.join(root, 'bench', 'chart.svg'));
  console.log(tables(merged));
  say(
    `wrote ${path.relative(root, resultsFile)} and bench/chart.svg; npm run bench:report writes bench/RESULTS.md`,
  );
}

// Only when run: importing this file (to check it, say) must not start a benchmark.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch(async (err) => {
    console.error(`bench: ${process.env.BENCH_DEBUG ? err.stack : (err.message ?? err)}`);
    process.exit(1);
  });
}
