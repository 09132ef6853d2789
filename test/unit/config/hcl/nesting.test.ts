import { describe, expect, it } from 'vitest';
import { MAX_NESTING, parseFile } from '../../../../src/config/hcl/parser.js';

describe('nesting bound', () => {
  it.each([
    ['parentheses', `x = ${'('.repeat(5000)}1${')'.repeat(5000)}\n`],
    ['unary operators', `x = ${'!'.repeat(5000)}true\n`],
    ['lists', `x = ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
  ])('5,000 nested %s give a placed diagnostic, not a stack overflow', (_what, text) => {
    const r = parseFile('main.hcl', text);
    const d = r.diagnostics.find((x) => x.summary === 'Expression nested too deeply');
    expect(d?.range?.file).toBe('main.hcl');
    expect(d?.range?.start.line).toBe(1);
    expect(d?.range?.start.col).toBeGreaterThan(MAX_NESTING);
  });

  it('nesting within the bound parses', () => {
    const r = parseFile('main.hcl', `x = ${'('.repeat(100)}1${')'.repeat(100)}\n`);
    expect(r.diagnostics).toEqual([]);
  });
});
