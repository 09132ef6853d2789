#!/usr/bin/env node
/**
 * Configuration size: `kolla validate` of 5,000 to 50,000 one-container services, cold (no
 * parse or syntax cache under .kolla/) and warm, wall time and peak RSS. Run by hand:
 *   npm run build && node bench/expand-scale.mjs [N...]
 * Linear means the time per service stays flat as N grows.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const ns = sizes.length ? sizes : [5000, 20000, 50000];

function config(n) {
  let s = 'kolla { project = "big" }\nhost "local" { address = "local" }\n';
  for (let i = 0; i < n; i++)
    s += `service "s${i}" {\n  hosts = [host.local]\n  container "c${i}" {\n    image   = "busybox:latest"\n    command = ["sleep", "1000"]\n  }\n}\n`;
  return s;
}

/** Wall time and peak RSS of one `kolla validate`, from /usr/bin/time. */
function measure(dir) {
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', 'TIME %e %M', path.join(root, 'bin/run.js'), 'validate', '--chdir', dir],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const m = /TIME ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`validate failed: ${r.stderr}`);
  return { s: Number(m[1]), mb: Math.round(Number(m[2]) / 1024) };
}

console.log('| services | cold s | cold MB | warm s | warm MB | warm ms/service |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const n of ns) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-expand-bench-'));
  try {
    writeFileSync(path.join(dir, 'main.hcl'), config(n));
    const cold = measure(dir);
    const warm = measure(dir);
    console.log(
      `| ${n} | ${cold.s} | ${cold.mb} | ${warm.s} | ${warm.mb} | ${((warm.s * 1000) / n).toFixed(3)} |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
