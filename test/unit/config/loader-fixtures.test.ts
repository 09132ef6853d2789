/**
 * Golden diagnostics: every case of `test/fixtures/config/` is loaded, expanded and
 * graphed through `prepare()` as `kolla validate` calls it, and the diagnostics —
 * errors and warnings — as `file:line:col: Summary` must equal the case's expected.txt.
 * Valid cases have no errors (an empty expected.txt, or warnings only); bad cases have some.
 *
 * To add a case: a folder under valid/ or bad/ with its *.hcl files and an expected.txt.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepare } from '../../../src/engine/prepare.js';
import { configCases, copyCase, diagnosticLine, removeTemps, tempDir } from '../../helpers/cli.js';

const cases = configCases();

afterAll(removeTemps);

describe('config fixtures', () => {
  it('has a corpus of at least 40 bad configurations and some valid ones', () => {
    expect(cases.filter((c) => c.kind === 'bad').length).toBeGreaterThanOrEqual(40);
    expect(cases.filter((c) => c.kind === 'valid').length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const dir = copyCase(c);
      // As `kolla validate` calls it: a secret without a value is only a warning.
      const p = await prepare({ dir, env: {}, requireSecrets: false });
      expect(p.diagnostics.map((d) => diagnosticLine(d, dir))).toEqual(c.expected);
      if (c.kind === 'bad') {
        expect(p.diagnostics.hasErrors()).toBe(true);
      } else {
        expect(p.diagnostics.hasErrors()).toBe(false);
        expect(p.expansion).toBeDefined();
        expect(p.graph).toBeDefined();
      }
      // A place, when there is one, is a real position in a file of the case.
      for (const d of p.diagnostics) {
        if (!d.range) continue;
        expect(d.range.start.line, d.summary).toBeGreaterThan(0);
        expect(d.range.start.col, d.summary).toBeGreaterThan(0);
      }
    });
  }

  it('bad/empty-directory: a directory with nothing in it', async () => {
    const dir = path.join(tempDir(), 'empty');
    mkdirSync(dir);
    const p = await prepare({ dir, env: {} });
    expect(p.diagnostics.map((d) => diagnosticLine(d, dir))).toEqual(['-: No configuration files in <dir>']);
  });

  it('bad/missing-directory: --chdir to a directory that does not exist', async () => {
    const dir = path.join(tempDir(), 'nope');
    const p = await prepare({ dir, env: {} });
    expect(p.diagnostics.map((d) => diagnosticLine(d, dir))).toEqual([
      '-: Cannot read configuration directory <dir>',
    ]);
  });
});
