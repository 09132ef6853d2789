/**
 * The bundles' ASCII escaping (scripts/ascii-escape.mjs): where it escapes, the code means the
 * same (evaluated before and after); where no \uXXXX escape can stand for a character (after a
 * backslash, an astral character, a template literal), it leaves the text as it is.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a build script (plain JavaScript), no declarations
import { asciiEscaped } from '../../../scripts/ascii-escape.mjs';

const escape = asciiEscaped as (text: string) => { text: string; unsafe?: number };
const run = (code: string): unknown => new Function(code)();

describe('asciiEscaped', () => {
  it('escapes regular expressions, comments, strings and identifiers, meaning the same', () => {
    const code = [
      '/** value → name */',
      'const PART = /(\\d+)(µs|ms)/y; // µ',
      'const re = /[→←]/u;',
      'const café = "naïve";',
      "return [PART.exec('5µs')?.[2], re.test('←'), café, /\\d+—/.test('1—')];",
    ].join('\n');
    const r = escape(code);
    expect(r.unsafe).toBeUndefined();
    expect([...r.text].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
    expect(r.text).toContain('\\u00b5');
    expect(run(r.text)).toEqual(run(code));
    expect(run(r.text)).toEqual(['µs', true, 'naïve', true]);
  });

  it('leaves ASCII text alone', () => {
    expect(escape('const a = 1;\n')).toEqual({ text: 'const a = 1;\n' });
  });

  it.each([
    ['right after a backslash', 'return /\\–/.test("–");'],
    ['an astral character', 'return "😀".length;'],
    ['a tagged template (its raw text)', 'return String.raw`é`;'],
    ['a template with a substitution', 'const x = 1; return `→ ${x} ←`;'],
  ])('leaves the text as it is for %s', (_what, code) => {
    const r = escape(code);
    expect(r.unsafe).toBeTypeOf('number');
    expect(r.text).toBe(code);
  });
});
