import { describe, expect, it } from 'vitest';
import type { Block, Expr, TemplatePart } from '../../../../src/config/hcl/ast.js';
import { parseExpression, parseFile, parseTemplate } from '../../../../src/config/hcl/parser.js';
import { DiagnosticError } from '../../../../src/diags/diagnostic.js';
import type { SourceRange } from '../../../../src/diags/diagnostic.js';

/** A compact rendering of an expression tree, to assert structure (precedence, nesting). */
function sx(e: Expr): string {
  switch (e.kind) {
    case 'literal':
      return JSON.stringify(e.value);
    case 'variable':
      return e.name;
    case 'getattr':
      return `${sx(e.object)}.${e.name}`;
    case 'index':
      return `${sx(e.object)}[${sx(e.key)}]`;
    case 'splat':
      return `(splat ${sx(e.object)} ${sx(e.each)})`;
    case 'tuple':
      return `[${e.items.map(sx).join(' ')}]`;
    case 'object':
      return `{${e.items.map((i) => `${sx(i.key)}=${sx(i.value)}`).join(' ')}}`;
    case 'call':
      return `${e.name}(${e.args.map(sx).join(' ')}${e.expandFinal ? '...' : ''})`;
    case 'unary':
      return `(${e.op} ${sx(e.operand)})`;
    case 'binary':
      return `(${e.op} ${sx(e.left)} ${sx(e.right)})`;
    case 'conditional':
      return `(? ${sx(e.cond)} ${sx(e.then)} ${sx(e.else)})`;
    case 'paren':
      return `(${sx(e.expr)})`;
    case 'template':
      return `(tpl ${e.parts.map(sp).join(' ')})`;
    case 'for': {
      const names = e.keyVar !== undefined ? `${e.keyVar},${e.valueVar}` : e.valueVar;
      const body = e.keyExpr
        ? `${sx(e.keyExpr)}=>${sx(e.valueExpr)}${e.group ? '...' : ''}`
        : sx(e.valueExpr);
      return `(for ${names} ${sx(e.collection)} ${body}${e.cond ? ` if ${sx(e.cond)}` : ''})`;
    }
  }
}

function sp(p: TemplatePart): string {
  switch (p.kind) {
    case 'text':
      return JSON.stringify(p.value);
    case 'interp':
      return `\${${sx(p.expr)}}`;
    case 'if':
      return `(if ${sx(p.cond)} [${p.then.map(sp).join(' ')}] [${p.else.map(sp).join(' ')}])`;
    case 'for':
      return `(for ${p.keyVar ? `${p.keyVar},` : ''}${p.valueVar} ${sx(p.collection)} [${p.body.map(sp).join(' ')}])`;
  }
}

const at = (r: SourceRange | undefined): string => (r ? `${r.start.line}:${r.start.col}` : '');
const span = (r: SourceRange): string => `${r.start.line}:${r.start.col}-${r.end.line}:${r.end.col}`;

function parseOk(src: string): NonNullable<ReturnType<typeof parseFile>['file']> {
  const r = parseFile('main.hcl', src);
  expect(r.diagnostics).toEqual([]);
  if (!r.file) throw new Error('no file');
  return r.file;
}

describe('expression structure', () => {
  it.each([
    ['a || b && c == d < e + f * -g', '(|| a (&& b (== c (< d (+ e (* f (- g)))))))'],
    ['a * b + c', '(+ (* a b) c)'],
    ['a - b - c', '(- (- a b) c)'],
    ['a / b % c', '(% (/ a b) c)'],
    ['!a == b', '(== (! a) b)'],
    ['a ? b : c ? d : e', '(? a b (? c d e))'],
    ['a == b ? c || d : e', '(? (== a b) (|| c d) e)'],
    ['a >= b != c <= d', '(!= (>= a b) (<= c d))'],
    ['-1', '-1'],
    ['- x.y', '(- x.y)'],
    ['a.b[0].c', 'a.b[0].c'],
    ['a.0.1', 'a[0][1]'],
    ['a[*].b.c', '(splat a __splat__.b.c)'],
    ['a.*.b[0]', '(splat a __splat__.b)[0]'],
    ['a[*].b[0]', '(splat a __splat__.b[0])'],
    ['a[*][*].c', '(splat a (splat __splat__ __splat__.c))'],
    ['f(a, b...)', 'f(a b...)'],
    ['f()', 'f()'],
    ['f(1,)', 'f(1)'],
    ['f(\n  1,\n  2\n)', 'f(1 2)'],
    ['(1 +\n 2)', '((+ 1 2))'],
    ['{for k, v in m : k => v}', '(for k,v m k=>v)'],
    ['{for k, v in m : v => k... if k != ""}', '(for k,v m v=>k... if (!= k ""))'],
    ['[for x in xs : x if x > 0]', '(for x xs x if (> x 0))'],
    ['{a = 1, "b" = 2, (c) = 3, d: 4}', '{"a"=1 "b"=2 (c)=3 "d"=4}'],
    ['"a${b}c"', '(tpl "a" ${b} "c")'],
    ['"%{if a}x%{else}y%{endif}"', '(tpl (if a ["x"] ["y"]))'],
    ['"%{for i, x in xs}${x}%{endfor}"', '(tpl (for i,x xs [${x}]))'],
    ['"plain"', '"plain"'],
    ['true && null == false', '(&& true (== null false))'],
    ['a-b', 'a-b'],
    ['a - b', '(- a b)'],
  ])('%s', (src, want) => {
    expect(sx(parseExpression(src, 'x.hcl'))).toBe(want);
  });
});

describe('expression ranges', () => {
  it('gives every node its source range', () => {
    const e = parseExpression('foo.bar[1] + baz', 'x.hcl');
    if (e.kind !== 'binary') throw new Error('want binary');
    expect(span(e.range)).toBe('1:1-1:17');
    expect(span(e.left.range)).toBe('1:1-1:11');
    expect(span(e.right.range)).toBe('1:14-1:17');
  });

  it('offsets ranges by startPos for expressions embedded in other files', () => {
    const e = parseExpression('a +\n  b', 'vars.yml', { line: 10, col: 5, offset: 200 });
    if (e.kind !== 'binary') throw new Error('want binary');
    expect(e.range.file).toBe('vars.yml');
    expect(e.left.range.start).toEqual({ line: 10, col: 5, offset: 200 });
    expect(e.right.range.start).toEqual({ line: 11, col: 3, offset: 206 });
  });

  it('reports syntax errors at startPos-relative positions', () => {
    try {
      parseExpression('x +', 'f.hcl', { line: 10, col: 5, offset: 100 });
      throw new Error('expected error');
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      expect(e.diagnostic.summary).toBe('Invalid expression');
      expect(at(e.diagnostic.range)).toBe('10:8');
    }
  });

  it('counts columns in characters, not UTF-16 units', () => {
    const e = parseExpression('"😀" + x', 'x.hcl');
    if (e.kind !== 'binary') throw new Error('want binary');
    expect(at(e.right.range)).toBe('1:7');
    expect(e.right.range.start.offset).toBe(7);
  });
});

describe('parseTemplate', () => {
  it('parses a bare template up to the end of input', () => {
    const e = parseTemplate('Hello ${name}!\n"quotes" and \\backslashes\\ stay', 'motd.tpl');
    expect(sx(e)).toBe('(tpl "Hello " ${name} "!\\n\\"quotes\\" and \\\\backslashes\\\\ stay")');
  });

  it('handles directives, strip markers and escapes', () => {
    const e = parseTemplate('%{ for h in hosts ~}\n${h} $${literal}\n%{ endfor ~}\n', 't.tpl');
    expect(sx(e)).toBe('(tpl (for h hosts [${h} " ${literal}\\n"]))');
  });

  it('returns a literal for text without sequences', () => {
    expect(parseTemplate('just text', 't')).toMatchObject({ kind: 'literal', value: 'just text' });
    expect(parseTemplate('', 't')).toMatchObject({ kind: 'literal', value: '' });
  });

  it('reports unclosed sequences with positions', () => {
    expect(() => parseTemplate('a\n${b', 't.tpl')).toThrow('Unclosed template sequence');
    try {
      parseTemplate('a\n%{ if x }', 't.tpl');
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      expect(e.diagnostic.summary).toBe('Unclosed template directive');
      expect(at(e.diagnostic.range)).toBe('2:1');
    }
  });
});

describe('file bodies', () => {
  it('parses attributes and blocks with labels', () => {
    const f = parseOk(`
name = "kolla"
service "mariadb" {
  image = "mariadb:11"
  ports = [3306]
}
host web1 "eu" {
}
`);
    expect(f.body.attributes.map((a) => a.name)).toEqual(['name']);
    const [svc, host] = f.body.blocks as [Block, Block];
    expect(svc.type).toBe('service');
    expect(svc.labels).toEqual(['mariadb']);
    expect(svc.body.attributes.map((a) => a.name)).toEqual(['image', 'ports']);
    expect(host.labels).toEqual(['web1', 'eu']);
    expect(span(svc.range)).toBe('3:1-6:2');
    expect(span(svc.typeRange)).toBe('3:1-3:8');
    expect(span(svc.labelRanges[0] as SourceRange)).toBe('3:9-3:18');
    expect(span(svc.body.attributes[0]!.nameRange)).toBe('4:3-4:8');
    expect(span(svc.body.attributes[0]!.range)).toBe('4:3-4:23');
  });

  it('parses nested blocks', () => {
    const f = parseOk(`
a {
  b "x" {
    c {
      d = 1
    }
  }
  e = 2
}
`);
    const a = f.body.blocks[0]!;
    const b = a.body.blocks[0]!;
    const c = b.body.blocks[0]!;
    expect([a.type, b.type, b.labels, c.type]).toEqual(['a', 'b', ['x'], 'c']);
    expect(c.body.attributes[0]!.name).toBe('d');
    expect(a.body.attributes[0]!.name).toBe('e');
  });

  it('parses one-line blocks', () => {
    const f = parseOk('a { x = 1 }\nb "l" {}\nc {\n}\nd { y = [1, 2] }\n');
    expect(f.body.blocks.map((b) => [b.type, b.body.attributes.map((x) => x.name)])).toEqual([
      ['a', ['x']],
      ['b', []],
      ['c', []],
      ['d', ['y']],
    ]);
    expect(span(f.body.blocks[0]!.range)).toBe('1:1-1:12');
  });

  it('skips comments of all three kinds', () => {
    const f = parseOk(`# hash comment
// slash comment
a = 1 # trailing
/* block
   comment */
b = /* inline */ 2 // trailing
c = [
  1, # inside brackets
  2, /* and here */
]
`);
    expect(f.body.attributes.map((a) => a.name)).toEqual(['a', 'b', 'c']);
    expect(sx(f.body.attributes[2]!.expr)).toBe('[1 2]');
  });

  it('parses heredoc attribute bodies', () => {
    const f = parseOk(`script = <<EOT
#!/bin/sh
echo "\${name}" # not a comment
EOT
indented = <<-EOT
    a
      b
    EOT
after = 1
`);
    const [script, indented, after] = f.body.attributes;
    expect(sx(script!.expr)).toBe('(tpl "#!/bin/sh\\necho \\"" ${name} "\\" # not a comment\\n")');
    expect(indented!.expr).toMatchObject({ kind: 'literal', value: 'a\n  b\n' });
    expect(span(indented!.expr.range)).toBe('5:12-8:8');
    expect(after!.name).toBe('after');
  });

  it('accepts multi-line objects, for expressions and CRLF line endings', () => {
    const f = parseOk(
      'm = {\r\n  a = 1\r\n  b = {\r\n    c = 2\r\n  }\r\n}\r\nl = {\r\n  for k, v in m : k => v\r\n}\r\n',
    );
    expect(sx(f.body.attributes[0]!.expr)).toBe('{"a"=1 "b"={"c"=2}}');
    expect(sx(f.body.attributes[1]!.expr)).toBe('(for k,v m k=>v)');
  });

  it('parses empty files and files of comments only', () => {
    expect(parseOk('').body.attributes).toEqual([]);
    expect(parseOk('# nothing\n\n// here\n').body.blocks).toEqual([]);
  });

  it('parses a last attribute without a trailing newline', () => {
    expect(parseOk('a = 1').body.attributes[0]!.name).toBe('a');
    expect(parseOk('b {}').body.blocks[0]!.type).toBe('b');
  });

  it('parses 300 blocks quickly', () => {
    const src = Array.from(
      { length: 300 },
      (_, i) =>
        `service "s${i}" {\n  image = "img:\${var.tag}"\n  env = { A = "1", B = local.x[${i}] }\n  ports = [for p in [1, 2] : p + ${i}]\n}\n`,
    ).join('');
    const t0 = performance.now();
    const f = parseOk(src);
    expect(f.body.blocks).toHaveLength(300);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

type SyntaxCase = [src: string, summary: string, at: string];

const syntaxErrors: SyntaxCase[] = [
  ['a = ', 'Invalid expression', '1:5'],
  ['a = 1 b = 2', 'Missing newline after argument', '1:7'],
  ['a = 1, b = 2', 'Unexpected comma after argument', '1:6'],
  ['block {\n  a = 1\n', 'Unclosed configuration block', '1:7'],
  ['outer {\n  inner {\n    a = 1\n  }\n', 'Unclosed configuration block', '1:7'],
  ['block "x" y z = 1', 'Invalid block definition', '1:15'],
  ['a = "unterminated\nb = 1', 'Invalid multi-line string', '1:18'],
  ['a = "abc', 'Unterminated template string', '1:5'],
  ['a = [1, 2', 'Unclosed tuple constructor', '1:5'],
  ['a = [1 2]', 'Missing item separator', '1:8'],
  ['a = {x = 1 y = 2}', 'Missing attribute separator', '1:12'],
  ['a = {x 1}', 'Missing key/value separator', '1:8'],
  ['a = {\n  x = 1\n', 'Unclosed object constructor', '1:5'],
  ['a = f(1 2)', 'Missing argument separator', '1:9'],
  ['a = f(1', 'Unterminated function call', '1:6'],
  ['a = f(x..., y)', 'Missing closing parenthesis', '1:11'],
  ['a = (1 + 2', 'Unbalanced parentheses', '1:5'],
  ['a = 1 ? 2', 'Missing false expression in conditional', '1:10'],
  ['a = "\\q"', 'Invalid escape sequence', '1:6'],
  ['a = "ok\\u12"', 'Invalid escape sequence', '1:8'],
  ['a = x.', 'Invalid attribute name', '1:7'],
  ['a = x[1', 'Missing close bracket on index', '1:6'],
  ['= 1', 'Argument or block definition required', '1:1'],
  ['}', 'Argument or block definition required', '1:1'],
  ['a 1', 'Argument or block definition required', '1:3'],
  ['a = 1\nb = 2\na = 3', 'Attribute redefined', '3:1'],
  ['b { c {} }', 'Invalid single-argument block definition', '1:5'],
  ['b { x = 1, y = 2 }', 'Invalid single-argument block definition', '1:10'],
  ['b { x = 1 } c = 2', 'Missing newline after block definition', '1:13'],
  ['b "lbl${x}" {}', 'Invalid string literal', '1:3'],
  ['a = "%{ if true }x"', 'Unclosed template directive', '1:6'],
  ['a = "%{ endif }"', 'Unexpected endif directive', '1:6'],
  ['a = "%{ if x }%{ endfor }%{ endif }"', 'Unexpected endfor directive', '1:15'],
  ['a = "%{ else }"', 'Unexpected else clause', '1:6'],
  ['a = "${1 2}"', 'Extra characters after interpolation expression', '1:10'],
  ['a = "%{ bogus }"', 'Invalid template directive', '1:9'],
  ['a = "${x', 'Unclosed template sequence', '1:6'],
  ['a = <<EOT\nabc\n', 'Unterminated template string', '1:5'],
  ['a = <<EOT\nabc ${x}', 'Unterminated template string', '1:5'],
  ['a = <<\nEOT', 'Invalid heredoc introduction', '1:5'],
  ['a = [for x in y x]', "Invalid 'for' expression", '1:17'],
  ['a = {for x in y : x}', "Invalid 'for' expression", '1:20'],
  ['a = [for x in y : x => 1]', "Invalid 'for' expression", '1:21'],
  ['a = [for x in y : x...]', "Invalid 'for' expression", '1:20'],
  ['a = [for in y : x]', "Invalid 'for' expression", '1:13'],
  ['a = [for x y : x]', "Invalid 'for' expression", '1:12'],
  ['a = 1 @', 'Invalid character', '1:7'],
  ['a = 1 }', 'Missing newline after argument', '1:7'],
  ['a = /* unterminated', 'Unterminated comment', '1:5'],
  ['a = 1 +\n  2', 'Invalid expression', '1:8'],
];

describe('syntax errors', () => {
  it.each(syntaxErrors)('%j → %s at %s', (src, summary, pos) => {
    const r = parseFile('bad.hcl', src);
    expect(r.file).toBeUndefined();
    const d = r.diagnostics[0];
    expect(d?.severity).toBe('error');
    expect(d?.summary).toBe(summary);
    expect(at(d?.range)).toBe(pos);
    expect(d?.range?.file).toBe('bad.hcl');
    expect(d?.detail).toBeTruthy();
  });

  it('recovers at the next line and reports later errors too', () => {
    const r = parseFile('bad.hcl', 'a = \nb = 1 +\nc = 3\nd = [\n');
    expect(r.diagnostics.map((d) => `${d.summary}@${at(d.range)}`)).toEqual([
      'Invalid expression@1:5',
      'Invalid expression@2:8',
      'Unclosed tuple constructor@4:5',
    ]);
  });

  it('recovers inside blocks without losing the closing brace', () => {
    const r = parseFile('bad.hcl', 'b {\n  x = [1 2]\n  y = 2\n}\nc = (\n');
    expect(r.diagnostics.map((d) => `${d.summary}@${at(d.range)}`)).toEqual([
      'Missing item separator@2:10',
      'Unbalanced parentheses@5:5',
    ]);
  });

  it('never throws, whatever the input', () => {
    const junk = [
      '{',
      '"',
      '${',
      '<<EOT',
      '%{ if',
      '[',
      '(',
      '\\',
      '\u0000',
      'a = "${"${"${',
      'x = [for',
      '}}}}',
    ];
    for (const src of junk) {
      const r = parseFile('j.hcl', src);
      expect(r.diagnostics.length).toBeGreaterThan(0);
    }
  });

  it('throws DiagnosticError from parseExpression for trailing junk', () => {
    expect(() => parseExpression('1 2', 'x.hcl')).toThrow(DiagnosticError);
    expect(() => parseExpression('1 2', 'x.hcl')).toThrow('Extra characters after expression');
  });
});
