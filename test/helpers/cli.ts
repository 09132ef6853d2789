/**
 * The configuration corpus (`test/fixtures/config/{valid,bad}/<case>/`) and a runner for
 * the real built binary, shared by the loader golden tests and the CLI corpus test.
 *
 * Each case is a directory of `*.hcl` files (and any templates they use) with an
 * `expected.txt` beside them: one `file:line:col: Summary` line per diagnostic, in the
 * order kolla reports them (`-: Summary` for one without a place). Lines starting with `#`
 * are comments.
 * Cases are copied to a temp directory before use so that runs never write into the
 * fixtures (the syntax cache lives in `.kolla/` of the configuration directory).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Diagnostics, type Diagnostic } from '../../src/diags/diagnostic.js';
import { findConfigFiles } from '../../src/config/files.js';
import { checkSyntax } from '../../src/config/syntax-check.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'run.js');
export const CONFIG_FIXTURES = path.join(ROOT, 'test', 'fixtures', 'config');

export interface ConfigCase {
  /** `bad/typo-image` */
  name: string;
  kind: 'valid' | 'bad';
  /** The fixture directory (never run in place: see `copyCase`). */
  src: string;
  /** Expected `file:line:col: Summary` lines. */
  expected: string[];
}

/** Every case of the corpus, valid ones first, each kind sorted by name. */
export function configCases(kind?: 'valid' | 'bad'): ConfigCase[] {
  const out: ConfigCase[] = [];
  for (const k of ['valid', 'bad'] as const) {
    if (kind && k !== kind) continue;
    for (const c of readdirSync(path.join(CONFIG_FIXTURES, k)).sort()) {
      const src = path.join(CONFIG_FIXTURES, k, c);
      const file = path.join(src, 'expected.txt');
      if (!existsSync(file)) throw new Error(`${k}/${c} has no expected.txt`);
      const lines = readFileSync(file, 'utf8').split('\n');
      const cc: ConfigCase = {
        name: `${k}/${c}`,
        kind: k,
        src,
        expected: lines.filter((l) => l.trim() !== '' && !l.startsWith('#')),
      };
      out.push(cc);
    }
  }
  return out;
}

const temps: string[] = [];

/** A new temp directory, removed by `removeTemps()`. */
export function tempDir(prefix = 'kolla-corpus-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** Remove every temp directory made by this module (call it in afterAll). */
export function removeTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fresh copy of the case in a temp directory, without its expected.txt. */
export function copyCase(c: ConfigCase): string {
  const dir = path.join(tempDir(), path.basename(c.src));
  cpSync(c.src, dir, { recursive: true });
  rmSync(path.join(dir, 'expected.txt'), { force: true });
  return dir;
}

/**
 * Fill the syntax cache of a configuration directory (`.kolla/syntax-ok`) as a first run
 * of kolla would, with the same code, in this process: a binary run on it then skips
 * loading the 4 MB reference parser for files that passed. Files that fail are never
 * cached, so their diagnostics still come from the binary's own check.
 */
export async function warmSyntaxCache(dir: string): Promise<void> {
  await checkSyntax(findConfigFiles(dir, new Diagnostics()), dir);
}

/** A diagnostic as an expected.txt line; `dir` in a summary is written `<dir>`. */
export function diagnosticLine(d: Diagnostic, dir: string): string {
  const r = d.range;
  const place = r && r.file ? `${r.file}:${r.start.line}:${r.start.col}` : '-';
  return `${place}: ${d.summary.split(dir).join('<dir>')}`;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Run `node bin/run.js ...args` (the built binary: build dist/ first). Killed after
 * `timeoutMs`, so a hang is a failed test rather than a stuck suite.
 */
export function runKolla(
  args: string[],
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      // No KOLLA_VAR_* or KOLLA_DEBUG from the caller's environment.
      env: Object.fromEntries(
        Object.entries({ ...process.env, NO_COLOR: '1' }).filter(([k]) => !k.startsWith('KOLLA_')),
      ),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
