// The OpenStack all-in-one as a benchmark (issue #20, item 2's last rows): a cold apply (no
// container, no volume; the images built), a no-op plan, and an apply of one Keystone config
// change, each with kolla's own health probe (KOLLA_HEALTH_PROBE unset: the gate opens on the
// probe's first success) and without it (KOLLA_HEALTH_PROBE=0: the gate waits for Docker's
// status, as before issue #20), the two variants in turns so that they share the machine's load.
//
//   npm run build && kolla build --chdir examples/all-in-one    (the images, once)
//   node bench/aio.mjs [RUNS]          (default 2 runs of each variant; about 5 min a run)
//
// It deploys a copy of examples/all-in-one (project benchaio, its own volume names, config in a
// temp dir) on the local engine under kolla-ansible's container names, so the demo must not be
// deployed meanwhile (`kolla destroy --chdir examples/all-in-one` keeps its volumes). Writes
// bench/out/aio-results.json and prints a Markdown table.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { kollaBin, median, root, run } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 2);
const PROJECT = 'benchaio';
const VARIANTS = [
  { name: 'probe', label: 'kolla probe (this work)', env: {} },
  { name: 'docker', label: "Docker's status only (before)", env: { KOLLA_HEALTH_PROBE: '0' } },
];

function demoDeployed() {
  const out = execFileSync('docker', ['ps', '-aq', '--filter', 'name=^keystone$'], { encoding: 'utf8' });
  return out.trim() !== '';
}

function setup() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kolla-bench-aio-'));
  const dir = path.join(tmp, 'all-in-one');
  const etc = path.join(tmp, 'etc');
  mkdirSync(etc);
  const skip = /(^|\/)(kolla\.secrets\.json|kolla\.state\.json.*|\.kolla|.*\.auto\.vars\.hcl)$/;
  cpSync(path.join(root, 'examples/all-in-one'), dir, { recursive: true, filter: (s) => !skip.test(s) });
  cpSync(path.join(root, 'examples/base'), path.join(tmp, 'base'), { recursive: true });
  const main = readFileSync(path.join(dir, 'main.hcl'), 'utf8');
  const patched = main
    .replace('project    = "openstack"', `project    = "${PROJECT}"`)
    .replace('config_dir = "/etc/kolla"', `config_dir = "${etc}"`)
    .replace(
      '  nova_compute_virt_type = var.nova_compute_virt_type\n',
      '  nova_compute_virt_type = var.nova_compute_virt_type\n  volume_prefix          = "benchaio_"\n',
    );
  if (!patched.includes(PROJECT) || !patched.includes('benchaio_'))
    throw new Error('examples/all-in-one/main.hcl changed: patch bench/aio.mjs');
  writeFileSync(path.join(dir, 'main.hcl'), patched);
  return { tmp, dir };
}

const kolla = (dir, args, env = {}) =>
  run('node', [kollaBin, ...args, '--chdir', dir], { env, timeoutMs: 900_000 });

async function main() {
  if (demoDeployed())
    throw new Error(
      'a container named keystone exists (the demo?): run `kolla destroy --chdir examples/all-in-one` first (its volumes stay)',
    );
  const { tmp, dir } = setup();
  const results = [];
  const record = (variant, op, r) => {
    results.push({ variant, op, s: r.ms / 1000, rssMb: r.rssMb });
    process.stderr.write(`aio bench: ${variant} ${op} ${(r.ms / 1000).toFixed(2)} s\n`);
  };
  let expiration = 3600;
  try {
    await kolla(dir, ['secrets', 'generate']);
    await kolla(dir, ['build']);
    for (let i = 0; i < RUNS; i++) {
      for (const v of i % 2 ? [...VARIANTS].reverse() : VARIANTS) {
        await kolla(dir, ['destroy', '-auto-approve', '--include-volumes']);
        rmSync(path.join(dir, 'config', 'keystone.conf'), { force: true });
        record(v.name, 'cold apply', await kolla(dir, ['apply', '-auto-approve'], v.env));
        for (let j = 0; j < 3; j++)
          record(v.name, 'no-op plan', await kolla(dir, ['plan', '-detailed-exitcode'], v.env));
        expiration = expiration === 7200 ? 5400 : 7200;
        writeFileSync(path.join(dir, 'config', 'keystone.conf'), `[token]\nexpiration = ${expiration}\n`);
        record(v.name, 'one Keystone config change', await kolla(dir, ['apply', '-auto-approve'], v.env));
      }
    }
  } finally {
    await kolla(dir, ['destroy', '-auto-approve', '--include-volumes']).catch((e) =>
      process.stderr.write(`${e.message}\n`),
    );
    rmSync(tmp, { recursive: true, force: true });
  }
  const out = path.join(root, 'bench', 'out');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, 'aio-results.json');
  const meta = {
    date: new Date().toISOString(),
    commit: execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
    runs: RUNS,
    load: os.loadavg(),
  };
  writeFileSync(file, JSON.stringify({ meta, results }, null, 2));
  const ops = ['cold apply', 'no-op plan', 'one Keystone config change'];
  const cell = (v, op) => {
    const xs = results.filter((r) => r.variant === v && r.op === op).map((r) => r.s);
    return xs.length ? median(xs) : NaN;
  };
  console.log(
    `| all-in-one (${RUNS} runs each, medians; ${meta.date.slice(0, 16)} UTC, ${meta.commit}) | ${VARIANTS.map((v) => v.label).join(' | ')} | after / before |`,
  );
  console.log(`|---|${VARIANTS.map(() => '---:').join('|')}|---:|`);
  for (const op of ops) {
    const a = cell('probe', op);
    const b = cell('docker', op);
    console.log(`| ${op} | ${a.toFixed(2)} s | ${b.toFixed(2)} s | ${(a / b).toFixed(2)} × |`);
  }
  if (!existsSync(file)) throw new Error('results not written');
}

main().catch((e) => {
  console.error(`aio bench: ${e.message}`);
  process.exit(1);
});
