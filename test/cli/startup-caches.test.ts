/**
 * The caches that make a run start fast, through the real built binary:
 * - the parse cache (`.kolla/parsed/`, src/config/parse-cache.ts): written on the first
 *   run, read back on the next, renewed when a file changes, ignored when damaged;
 * - the code cache of the bundle (dist/bundle/kolla.cjs.cache, src/lazy/code-cache.ts):
 *   written after a run, and a damaged one neither breaks a run nor stays.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, removeTemps, runKolla, tempDir } from '../helpers/cli.js';

beforeAll(() => {
  if (process.env['KOLLA_TEST_PREBUILT'] !== '1')
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
}, 300_000);

afterAll(removeTemps);

function copyExample(name: string): string {
  const dir = path.join(tempDir('kolla-caches-'), name);
  cpSync(path.join(ROOT, 'examples', name), dir, {
    recursive: true,
    filter: (src) => !/kolla\.state|\.kolla$|demo\.auto\.vars/.test(src),
  });
  return dir;
}

const entries = (dir: string): string[] => {
  try {
    return readdirSync(path.join(dir, '.kolla', 'parsed')).sort();
  } catch {
    return [];
  }
};

describe('parse cache', () => {
  it('is written by the first run, gives the same result on the next, and follows edits', async () => {
    const dir = copyExample('rolling');
    const hclFiles = readdirSync(dir).filter((f) => f.endsWith('.hcl'));
    const first = await runKolla(['graph', '--chdir', dir]);
    expect(first.code, first.stderr).toBe(0);
    const written = entries(dir);
    expect(written).toHaveLength(hclFiles.length);
    for (const e of written) expect(statSync(path.join(dir, '.kolla', 'parsed', e)).mode & 0o777).toBe(0o600);

    const second = await runKolla(['graph', '--chdir', dir]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(entries(dir)).toEqual(written);

    // An edited file gets a new entry and its old one goes.
    const main = path.join(dir, hclFiles[0]!);
    writeFileSync(main, readFileSync(main, 'utf8') + '\n# edited\n');
    const third = await runKolla(['graph', '--chdir', dir]);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toBe(first.stdout);
    const after = entries(dir);
    expect(after).toHaveLength(hclFiles.length);
    expect(after.filter((e) => !written.includes(e))).toHaveLength(1);
  });

  it('is what a run reads: a changed entry changes the result, a damaged one is parsed again', async () => {
    const dir = copyExample('hello');
    const first = await runKolla(['validate', '--json', '--chdir', dir]);
    expect(first.code, first.stderr).toBe(0);
    const [entry] = entries(dir);
    const file = path.join(dir, '.kolla', 'parsed', entry!);
    const text = readFileSync(file, 'utf8');

    // The cached tree, not the file, is evaluated: proves the entry is read.
    expect(text).toContain('"Hello from kolla"');
    writeFileSync(file, text.replace('"depends_on"', '"depends_onn"'));
    const tampered = await runKolla(['validate', '--chdir', dir]);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('depends_onn');

    // A damaged entry is ignored and replaced.
    writeFileSync(file, '{"name": ');
    const repaired = await runKolla(['validate', '--json', '--chdir', dir]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toBe(first.stdout);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});

describe('code cache of the bundle', () => {
  const cacheFile = path.join(ROOT, 'dist', 'bundle', 'kolla.cjs.cache');

  it('is written after a run, and a damaged one is replaced without harm', async () => {
    const ok = await runKolla(['--version']);
    expect(ok.code, ok.stderr).toBe(0);
    const good = readFileSync(cacheFile);
    expect(good.length).toBeGreaterThan(10_000);

    // Same tag (the first 16 bytes), garbage after it: V8 rejects it, the run goes on.
    writeFileSync(cacheFile, Buffer.concat([good.subarray(0, 16), Buffer.alloc(5000, 7)]));
    const damaged = await runKolla(['--version']);
    expect(damaged.code, damaged.stderr).toBe(0);
    expect(damaged.stdout).toBe(ok.stdout);
    expect(readFileSync(cacheFile).length).toBeGreaterThan(10_000);

    // Another build's cache (another tag) is not used, and is replaced.
    writeFileSync(cacheFile, Buffer.concat([Buffer.from('0000000000000000'), good.subarray(16)]));
    const other = await runKolla(['--version']);
    expect(other.code, other.stderr).toBe(0);
    expect(readFileSync(cacheFile).subarray(0, 16)).toEqual(good.subarray(0, 16));
  });
});
