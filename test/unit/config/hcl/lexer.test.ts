import { describe, expect, it } from 'vitest';
import { lex } from '../../../../src/config/hcl/lexer.js';
import type { Token } from '../../../../src/config/hcl/lexer.js';

/** `type:text` for each token, eof dropped, to compare token streams compactly. */
function kinds(src: string, mode: 'normal' | 'template' = 'normal'): string[] {
  return lex(src, 'x.hcl', mode)
    .filter((t) => t.type !== 'eof')
    .map((t) => (t.type === 'newline' ? 'nl' : `${t.type}:${t.text}${t.strip ? '~' : ''}`));
}

const pos = (t: Token | undefined): string =>
  t ? `${t.start.line}:${t.start.col}-${t.end.line}:${t.end.col}` : '';

describe('lexer', () => {
  it('tokenizes attributes, operators and brackets', () => {
    expect(kinds('a = b.c[0] >= 1 && !d ? {x: 1} : [2, ...]')).toEqual([
      'ident:a',
      'punct:=',
      'ident:b',
      'punct:.',
      'ident:c',
      'punct:[',
      'number:0',
      'punct:]',
      'punct:>=',
      'number:1',
      'punct:&&',
      'punct:!',
      'ident:d',
      'punct:?',
      'punct:{',
      'ident:x',
      'punct::',
      'number:1',
      'punct:}',
      'punct::',
      'punct:[',
      'number:2',
      'punct:,',
      'punct:...',
      'punct:]',
    ]);
  });

  it('reads identifiers with dashes and numbers with fractions and exponents', () => {
    expect(kinds('foo-bar 1.5e3 2E-2 7 _x')).toEqual([
      'ident:foo-bar',
      'number:1.5e3',
      'number:2E-2',
      'number:7',
      'ident:_x',
    ]);
  });

  it('splits legacy index chains: a.0.1 is a . 0 . 1, not a . 0.1', () => {
    expect(kinds('a.0.1')).toEqual(['ident:a', 'punct:.', 'number:0', 'punct:.', 'number:1']);
  });

  it('drops comments but keeps the newline that ends a line comment', () => {
    expect(kinds('a # c\nb // d\nc /* e\nf */ d')).toEqual([
      'ident:a',
      'nl',
      'ident:b',
      'nl',
      'ident:c',
      'ident:d',
    ]);
  });

  it('tracks line and column', () => {
    const toks = lex('a = 1\n  bb = "x"', 'x.hcl');
    expect(pos(toks[0])).toBe('1:1-1:2');
    expect(pos(toks[3])).toBe('1:6-2:1');
    expect(pos(toks[4])).toBe('2:3-2:5');
    expect(toks[4]?.start.offset).toBe(8);
  });

  it('lexes quoted templates with nested sequences and strip markers', () => {
    expect(kinds('"a${~ b ~}c%{ if x }d%{ endif }"')).toEqual([
      'oquote:"',
      'lit:a',
      'interp:${~~',
      'ident:b',
      'seqend:~}~',
      'lit:c',
      'control:%{',
      'ident:if',
      'ident:x',
      'seqend:}',
      'lit:d',
      'control:%{',
      'ident:endif',
      'seqend:}',
      'cquote:"',
    ]);
  });

  it('keeps braces inside interpolations balanced', () => {
    expect(kinds('"${ {a = "}"}.a }"')).toEqual([
      'oquote:"',
      'interp:${',
      'punct:{',
      'ident:a',
      'punct:=',
      'oquote:"',
      'lit:}',
      'cquote:"',
      'punct:}',
      'punct:.',
      'ident:a',
      'seqend:}',
      'cquote:"',
    ]);
  });

  it('treats escaped quotes and $${ as literal text', () => {
    expect(kinds('"a\\"b$${c}"')).toEqual(['oquote:"', 'lit:a\\"b$${c}', 'cquote:"']);
  });

  it('lexes heredocs line by line, marking line starts', () => {
    const toks = lex('x = <<-EOT\n  a ${b}\n  EOT\n', 'x.hcl');
    const h = toks.filter((t) => t.type !== 'newline' && t.type !== 'eof').slice(2);
    expect(h.map((t) => `${t.type}:${JSON.stringify(t.text)}${t.lineStart ? '^' : ''}`)).toEqual([
      'oheredoc:"EOT"',
      'lit:"  a "^',
      'interp:"${"',
      'ident:"b"',
      'seqend:"}"',
      'lit:"\\n"',
      'cheredoc:"EOT"',
    ]);
    expect(toks[2]?.indent).toBe(true);
    expect(pos(toks.find((t) => t.type === 'cheredoc'))).toBe('3:3-3:6');
  });

  it('lexes a bare template to the end of input', () => {
    expect(kinds('a "q" ${b}\nc', 'template')).toEqual([
      'lit:a "q" ',
      'interp:${',
      'ident:b',
      'seqend:}',
      'lit:\nc',
    ]);
  });

  it('counts a surrogate pair as one column', () => {
    const toks = lex('"😀" x', 'x.hcl');
    const x = toks.find((t) => t.type === 'ident');
    expect(x?.start.col).toBe(5);
    expect(x?.start.offset).toBe(5);
  });

  it('turns bad input into invalid tokens instead of throwing', () => {
    const toks = lex('a = @ "x\n<<', 'x.hcl');
    const bad = toks
      .filter((t) => t.type === 'invalid')
      .map((t) => `${t.summary}@${t.start.line}:${t.start.col}`);
    expect(bad).toEqual([
      'Invalid character@1:5',
      'Invalid multi-line string@1:9',
      'Invalid heredoc introduction@2:1',
    ]);
  });

  it('skips a byte order mark at the start only; elsewhere it is an invalid character (as HCL says)', () => {
    expect(kinds('\ufeffa = 1')).toEqual(['ident:a', 'punct:=', 'number:1']);
    const bad = lex('a\ufeffb = 1', 'x.hcl').filter((t) => t.type === 'invalid');
    expect(bad.map((t) => `${t.summary}@${t.start.line}:${t.start.col}`)).toEqual(['Invalid character@1:2']);
  });
});
