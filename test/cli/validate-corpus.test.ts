/**
 * The bad-configuration corpus through the real binary: `kolla validate` on each case of
 * `test/fixtures/config/bad/` must fail with exit code 1 and print every expected
 * diagnostic with its place (`main.hcl:12:27: ...`) and no stack trace; `--json` must
 * print a parsable result with `valid: false`. Valid cases and the examples must pass, and
 * `kolla graph` must draw the edges of examples/hello.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diags/diagnostic.js';
import {
  ROOT,
  configCases,
  copyCase,
  diagnosticLine,
  removeTemps,
  runKolla,
  tempDir,
  warmSyntaxCache,
  type RunResult,
} from '../helpers/cli.js';

beforeAll(() => {
  // The binary runs dist/: build it from the current sources once.
  try {
    if (process.env['KOLLA_TEST_PREBUILT'] !== '1')
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npm run build failed:\n${String(err.stdout ?? '')}${String(err.stderr ?? '')}`);
  }
}, 300_000);

afterAll(removeTemps);

function tmpCopy(src: string): string {
  const dir = path.join(tempDir('kolla-cli-'), path.basename(src));
  cpSync(src, dir, { recursive: true });
  return dir;
}

/** What every failing run must look like, whatever the case. */
function expectCleanFailure(r: RunResult): void {
  expect(r.timedOut, 'kolla validate did not finish').toBe(false);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain('Error:');
  expect(r.stderr).not.toMatch(/^ {4}at /m);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).not.toContain('Internal parser error');
}

interface ValidateJson {
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: Diagnostic[];
}

function parseJson(r: RunResult): ValidateJson {
  try {
    return JSON.parse(r.stdout) as ValidateJson;
  } catch {
    throw new Error(`--json printed no JSON (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/**
 * One retry: dist/ is shared with whoever else runs `npm run build` meanwhile, and a binary
 * started while tsc or the manifest script rewrites it can fail once. A real bug fails twice.
 */
const CLI_TEST = { timeout: 120_000, retry: 1 };

describe.concurrent('kolla validate on the bad corpus', () => {
  for (const c of configCases('bad')) {
    it(c.name, CLI_TEST, async () => {
      const dir = copyCase(c);
      // Two binary runs per case on a busy machine: spare both the reference parser's load
      // (valid cases and examples below still run cold).
      await warmSyntaxCache(dir);

      const r = await runKolla(['validate', '--chdir', dir, '--no-color']);
      expectCleanFailure(r);
      expect(r.stdout).not.toContain('Success');
      for (const line of c.expected) {
        const shown = line.replace('<dir>', dir);
        // Rendered as "Error: main.hcl:9:5: Summary", or "Error: Summary" without a place.
        expect(r.stderr).toContain(shown.startsWith('-: ') ? shown.slice(3) : shown);
      }
      const main = c.expected.find((l) => /^main\.hcl:\d+:\d+: /.test(l));
      if (main) expect(r.stderr).toMatch(/main\.hcl:\d+/);

      const j = await runKolla(['validate', '--chdir', dir, '--json']);
      expect(j.timedOut).toBe(false);
      expect(j.code, j.stderr).toBe(1);
      expect(j.stderr).not.toMatch(/^ {4}at /m);
      const out = parseJson(j);
      expect(out.valid).toBe(false);
      expect(out.error_count).toBeGreaterThan(0);
      expect(out.diagnostics.map((d) => diagnosticLine(d, dir))).toEqual(c.expected);
    });
  }

  it('bad/empty-directory', CLI_TEST, async () => {
    const dir = path.join(tempDir('kolla-cli-'), 'empty');
    mkdirSync(dir);
    const r = await runKolla(['validate', '--chdir', dir, '--no-color']);
    expectCleanFailure(r);
    expect(r.stderr).toContain(`No configuration files in ${dir}`);
    const j = await runKolla(['validate', '--chdir', dir, '--json']);
    const out = parseJson(j);
    expect(out.valid).toBe(false);
    expect(out.diagnostics).toHaveLength(1);
  });

  it('bad/missing-directory', CLI_TEST, async () => {
    const dir = path.join(tempDir('kolla-cli-'), 'nope');
    const r = await runKolla(['validate', '--chdir', dir, '--no-color']);
    expectCleanFailure(r);
    expect(r.stderr).toContain(`Cannot read configuration directory ${dir}`);
  });
});

describe.concurrent('kolla validate on valid configurations', () => {
  for (const c of configCases('valid')) {
    it(c.name, CLI_TEST, async () => {
      const dir = copyCase(c);
      const r = await runKolla(['validate', '--chdir', dir, '--no-color']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Success! The configuration is valid');
      expect(r.stderr).not.toContain('Error:');
      for (const line of c.expected) {
        const shown = line.replace('<dir>', dir);
        expect(r.stderr).toContain(`Warning: ${shown.startsWith('-: ') ? shown.slice(3) : shown}`);
      }
    });
  }

  for (const example of ['all-in-one', 'all-in-one-by-hand', 'hello', 'multinode', 'rolling']) {
    it(`examples/${example}`, CLI_TEST, async () => {
      const dir = tmpCopy(path.join(ROOT, 'examples', example));
      const r = await runKolla(['validate', '--chdir', dir, '--no-color']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Success! The configuration is valid');
      // Warnings (secrets not generated yet) are fine; errors are not.
      expect(r.stderr).not.toContain('Error:');
    });
  }
});

describe('kolla graph', () => {
  it('draws the edges of examples/hello', CLI_TEST, async () => {
    const dir = tmpCopy(path.join(ROOT, 'examples', 'hello'));
    const r = await runKolla(['graph', '--chdir', dir, '--no-color']);
    expect(r.code, r.stderr).toBe(0);
    const edge = (from: string, to: string): string => `${JSON.stringify(from)} -> ${JSON.stringify(to)};`;
    const store = 'service.store.container.hello_store["local"]';
    const web = 'service.web.container.hello_web["local"]';
    expect(r.stdout).toMatch(/^digraph kolla \{/);
    // implicit: a container waits for the volumes it mounts
    expect(r.stdout).toContain(edge(store, 'volume.hello_data["local"]'));
    expect(r.stdout).toContain(edge(web, 'volume.hello_data["local"]'));
    // depends_on = [service.store]
    expect(r.stdout).toContain(edge(web, store));
    // implicit: a container waits for its config files and its config.json
    expect(r.stdout).toContain(edge(web, 'service.web.config["index.html"]["local"]'));
    expect(r.stdout).toContain(edge(web, 'service.web.container.hello_web.config_json["local"]'));
    expect(r.stdout.match(/ -> /g)).toHaveLength(5);
  });

  it('fails with the diagnostic on a configuration with a dependency cycle', CLI_TEST, async () => {
    const c = configCases('bad').find((x) => x.name === 'bad/cycle-depends-on')!;
    const dir = copyCase(c);
    const r = await runKolla(['graph', '--chdir', dir, '--no-color']);
    expectCleanFailure(r);
    expect(r.stderr).toContain('Dependency cycle: ');
    expect(r.stdout).toBe('');
  });
});
