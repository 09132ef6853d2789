/**
 * Property tests (fast-check) of the parser and the evaluator on hostile input: random and
 * mutated HCL goes through `prepare()` as `kolla validate` runs it (our parser, the reference
 * parser, evaluation, expansion). Whatever the input: no exception escapes, no run hangs
 * past a generous bound, and every error is placed at a real position of the file.
 *
 * Seeds are the valid configurations of the corpus and the examples; mutations cut, repeat,
 * swap and insert HCL's own tokens, so most inputs are nearly valid and reach the evaluator.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { prepare } from '../../../src/engine/prepare.js';

const root = path.resolve(import.meta.dirname, '../../..');

/** Folders of one or more .hcl files (with their templates) that load without errors. */
function seedDirs(): string[] {
  const valid = path.join(root, 'test/fixtures/config/valid');
  return [
    ...readdirSync(valid).map((d) => path.join(valid, d)),
    path.join(root, 'examples/hello'),
    path.join(root, 'examples/multinode'),
    path.join(root, 'examples/rolling'),
    path.join(root, 'examples/all-in-one'),
    path.join(root, 'examples/all-in-one-by-hand'),
  ];
}

interface Seed {
  dir: string;
  file: string;
  text: string;
}

const seeds: Seed[] = seedDirs().flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.hcl'))
    .map((file) => ({ dir, file, text: readFileSync(path.join(dir, file), 'utf8') })),
);

const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '"',
  '=',
  ',',
  '.',
  ':',
  '?',
  '!',
  '*',
  '/',
  '%',
  '+',
  '-',
  '==',
  '&&',
  '||',
  '=>',
  '...',
  '${',
  '%{',
  '~}',
  '\n',
  ' ',
  '#',
  '//',
  '/*',
  '*/',
  '<<EOF\n',
  '\nEOF\n',
  '<<-X\n',
  'for',
  'in',
  'if',
  'null',
  'true',
  '0',
  '-1',
  '1e999',
  '"\\u{0}"',
  '"\\x"',
  'var',
  'local',
  'host',
  'group',
  'secret',
  'service',
  'container',
  'config',
  'bootstrap',
  'volume',
  'image',
  'output',
  'locals',
  'variable',
  'kolla',
  'hosts',
  'depends_on',
  'each',
  'count',
  'range(',
  'lookup(',
  'merge(',
  'jsonencode(',
  'templatefile(',
  '\u0000',
  '\uFEFF',
  'é',
  '\r\n',
  '\t',
];

type Mutation =
  | { op: 'delete'; at: number; len: number }
  | { op: 'insert'; at: number; token: string }
  | { op: 'repeat'; at: number; len: number; times: number }
  | { op: 'swap'; at: number; to: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('delete' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    len: fc.nat(40),
  }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    token: fc.constantFrom(...TOKENS),
  }),
  fc.record({
    op: fc.constant('repeat' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    len: fc.nat(60),
    times: fc.integer({ min: 2, max: 50 }),
  }),
  fc.record({
    op: fc.constant('swap' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    to: fc.double({ min: 0, max: 1, noNaN: true }),
    len: fc.nat(30),
  }),
);

function mutate(text: string, ms: Mutation[]): string {
  let s = text;
  for (const m of ms) {
    const at = Math.floor(m.at * s.length);
    if (m.op === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.op === 'insert') s = s.slice(0, at) + m.token + s.slice(at);
    else if (m.op === 'repeat') s = s.slice(0, at) + s.slice(at, at + m.len).repeat(m.times) + s.slice(at);
    else {
      const piece = s.slice(at, at + m.len);
      const rest = s.slice(0, at) + s.slice(at + m.len);
      const to = Math.floor(m.to * rest.length);
      s = rest.slice(0, to) + piece + rest.slice(to);
    }
  }
  return s;
}

/** A generous bound: a hang detector, not a speed target (those live in bench/). */
const BOUND_MS = 20_000;

const work = mkdtempSync(path.join(os.tmpdir(), 'kolla-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let runs = 0;

/** Load `text` as `file` of a copy of `seedDir` (its other files and templates as they are). */
async function check(seedDir: string | undefined, file: string, text: string): Promise<void> {
  const dir = path.join(work, String(runs++));
  if (seedDir) cpSync(seedDir, dir, { recursive: true, filter: (f) => !f.includes(`${path.sep}.kolla`) });
  else cpSync(path.join(root, 'test/fixtures/config/valid/minimal'), dir, { recursive: true });
  writeFileSync(path.join(dir, file), text);
  const lines = text.split(/\r\n|\r|\n/).length;
  const started = Date.now();
  try {
    const p = await prepare({ dir, env: {}, requireSecrets: false, syntaxCache: false });
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    for (const d of p.diagnostics) {
      if (d.severity !== 'error') continue;
      // Every error is placed: a file of the configuration, a line and column inside it.
      expect(d.range, `unplaced error: ${d.summary}`).toBeDefined();
      const r = d.range!;
      expect(existsSync(path.resolve(dir, r.file)), `${d.summary}: no file ${r.file}`).toBe(true);
      expect(r.start.line, d.summary).toBeGreaterThanOrEqual(1);
      expect(r.start.col, d.summary).toBeGreaterThanOrEqual(1);
      if (path.resolve(dir, r.file) === path.join(dir, file))
        expect(r.start.line, `${d.summary} at line ${r.start.line} of ${lines}`).toBeLessThanOrEqual(
          lines + 1,
        );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const params = { numRuns: Number(process.env['FUZZ_RUNS'] ?? 60), interruptAfterTimeLimit: 60_000 };

describe('hostile HCL (fast-check)', () => {
  it('has seeds', () => {
    expect(seeds.length).toBeGreaterThan(10);
  });

  it('mutated configurations: no crash, no hang, every error placed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(seeds.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        async (i, ms) => {
          const seed = seeds[i]!;
          await check(seed.dir, seed.file, mutate(seed.text, ms));
        },
      ),
      params,
    );
  }, 180_000);

  it('token soup: no crash, no hang, every error placed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...TOKENS), { maxLength: 200 }), async (tokens) => {
        await check(undefined, 'main.hcl', tokens.join(' '));
      }),
      params,
    );
  }, 180_000);

  it('random text: no crash, no hang, every error placed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), async (text) => {
        await check(undefined, 'main.hcl', text);
      }),
      params,
    );
  }, 180_000);
});
