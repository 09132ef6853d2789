/**
 * The layer rules (.dependency-cruiser.cjs, run by `npm run lint`) fail on an upward import
 * and on a cycle, and pass on src/ as it is.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');

function cruise(cwd: string): { code: number; out: string } {
  try {
    const out = execFileSync(DEPCRUISE, ['src', '--config', '.dependency-cruiser.cjs'], {
      cwd,
      encoding: 'utf8',
    });
    return { code: 0, out: plain(out) };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: plain(err.stdout + err.stderr) };
  }
}

/** Without colours (CI=true makes depcruise use them). */
function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kolla-layers-'));
  copyFileSync(path.join(ROOT, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
  );
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('layer rules', () => {
  it('pass on src/', () => {
    const r = cruise(ROOT);
    expect(r.out).toContain('no dependency violations');
    expect(r.code).toBe(0);
  }, 60_000);

  it('fail on an import that goes up a layer', () => {
    const r = cruise(
      tree({
        'src/config/load.ts': "import { plan } from '../engine/plan.js';\nexport const x = plan;\n",
        'src/engine/plan.ts': 'export const plan = 1;\n',
      }),
    );
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/layer-1-up: src\/config\/load\.ts → src\/engine\/plan\.ts/);
  }, 60_000);

  it('fail on a cycle, even within a layer', () => {
    const r = cruise(
      tree({
        'src/engine/a.ts': "import { b } from './b.js';\nexport const a = b + 1;\n",
        'src/engine/b.ts': "import type { A } from './c.js';\nexport const b = 1;\nexport type B = A;\n",
        'src/engine/c.ts': "import { a } from './a.js';\nexport type A = typeof a;\n",
      }),
    );
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no-cycles/);
  }, 60_000);
});
