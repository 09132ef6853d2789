import { describe, expect, it } from 'vitest';
import type { Value } from '../../../../src/config/hcl/ast.js';
import { parseExpression } from '../../../../src/config/hcl/parser.js';
import { evaluate } from '../../../../src/config/expr/evaluate.js';
import type { FunctionImpl } from '../../../../src/config/expr/evaluate.js';
import { ev } from './helpers.js';

type Case = [src: string, want: Value];

function table(name: string, cases: Case[]): void {
  describe(name, () => {
    it.each(cases)('%s', (src, want) => {
      expect(ev(src)).toEqual(want);
    });
  });
}

table('arithmetic and precedence', [
  ['1 + 2 * 3', 7],
  ['(1 + 2) * 3', 9],
  ['10 - 4 - 3', 3],
  ['100 / 10 / 5', 2],
  ['7 % 3', 1],
  ['-7 % 3', -1],
  ['2 * -3', -6],
  ['- -5', 5],
  ['-n', -5],
  ['-(2 + 3)', -5],
  ['5 / 2', 2.5],
  ['2 * 3 % 4', 2],
  ['1 + 2 + 3 * 4 - 5 / 5', 14],
  ['"5" + 1', 6],
  ['"1.5" * 2', 3],
  ['-"3"', -3],
  ['1e3', 1000],
  ['1.5e-2', 0.015],
  ['3.14', 3.14],
  ['n * n - 1', 24],
]);

table('comparison, equality and logic', [
  ['3 > 2', true],
  ['3 >= 3', true],
  ['2 < 1', false],
  ['2 <= 2', true],
  ['"10" > 9', true],
  ['1 + 2 == 3', true],
  ['1 < 2 == true', true],
  ['1 == "1"', false],
  ['1 != "1"', true],
  ['[1, 2] == [1, 2]', true],
  ['[1, 2] == [2, 1]', false],
  ['{a = 1} == {a = 1}', true],
  ['{a = 1} != {a = 2}', true],
  ['null == null', true],
  ['var.nothing == null', true],
  ['var.name == "web"', true],
  ['true || false && false', true],
  ['(true || false) && false', false],
  ['!true || true', true],
  ['!(true || true)', false],
  ['!false && !false', true],
  ['1 < 2 && 2 < 3', true],
  ['true && "true"', true],
  ['false && nope', false],
  ['true || nope', true],
]);

table('conditionals', [
  ['1 == 1 ? "a" : "b"', 'a'],
  ['var.enabled ? var.port : 0', 8080],
  ['false ? 1 : true ? 2 : 3', 2],
  ['true ? false ? 1 : 2 : 3', 2],
  ['var.empty == "" ? "none" : var.empty', 'none'],
  ['"true" ? 1 : 2', 1],
]);

table('literals and collections', [
  ['null', null],
  ['true', true],
  ['"plain"', 'plain'],
  ['[1, "a", true, null]', [1, 'a', true, null]],
  ['[1, 2,]', [1, 2]],
  ['[]', []],
  ['{}', {}],
  ['[\n  1,\n  2\n]', [1, 2]],
  ['{a = 1, "b" = 2, (var.name) = 3, c: 4}', { a: 1, b: 2, web: 3, c: 4 }],
  ['{\n  a = 1\n  b = [\n    2,\n  ]\n}', { a: 1, b: [2] }],
  ['{a = 1,\n b = 2,\n}', { a: 1, b: 2 }],
  ['{a = {b = {c = "d"}}}.a.b.c', 'd'],
  ['{for = 1, if = 2}', { for: 1, if: 2 }],
  ['{"${var.name}-x" = 1}', { 'web-x': 1 }],
  ['{a = 1, a = 2}', { a: 2 }],
  ['{1 = "one"}', { '1': 'one' }],
  ['{__proto__ = 1}.__proto__', 1],
]);

table('string escapes', [
  ['"a\\tb"', 'a\tb'],
  ['"line\\nnext"', 'line\nnext'],
  ['"q\\"q"', 'q"q'],
  ['"back\\\\slash"', 'back\\slash'],
  ['"\\u00e9"', 'é'],
  ['"\\U0001F600"', '😀'],
  ['"\\r"', '\r'],
  ['"$${x}"', '${x}'],
  ['"%%{x}"', '%{x}'],
  ['"$$"', '$$'],
  ['"100%"', '100%'],
  ['"a$b"', 'a$b'],
]);

table('templates', [
  ['"a${1 + 1}b"', 'a2b'],
  ['"${var.name}-${var.port}"', 'web-8080'],
  ['"x${1.5}"', 'x1.5'],
  ['"x${2.0}"', 'x2'],
  ['"x${0.1 + 0.2}"', 'x0.3'],
  ['"x${true}"', 'xtrue'],
  ['"x${-3}"', 'x-3'],
  ['"${var.tags}"', ['a', 'b']],
  ['"${var.port}"', 8080],
  ['"a${"b${1}"}"', 'ab1'],
  ['"x${ {a = 1}.a }"', 'x1'],
  ['"%{ if var.enabled }on%{ else }off%{ endif }"', 'on'],
  ['"%{ if !var.enabled }on%{ else }off%{ endif }"', 'off'],
  ['"%{ if false }x%{ endif }"', ''],
  ['"%{ if var.port > 80 }big%{ endif }"', 'big'],
  ['"%{ for t in var.tags }${t},%{ endfor }"', 'a,b,'],
  ['"%{ for i, t in var.tags }${i}=${t} %{ endfor }"', '0=a 1=b '],
  ['"%{ for k, v in obj }${k}:${v};%{ endfor }"', 'a:1;b:2;'],
  ['"%{ for t in var.tags }%{ if t == "a" }A%{ else }${t}%{ endif }%{ endfor }"', 'Ab'],
  ['"a  ${~ "b" ~}  c"', 'abc'],
  ['"a \\n ${~ "b"} c"', 'ab c'],
  ['"[ %{~ if true ~} x %{~ endif ~} ]"', '[x]'],
  ['"%{ for t in [] }never%{ endfor }"', ''],
]);

table('heredocs', [
  ['<<EOT\nhello\n  world\nEOT', 'hello\n  world\n'],
  ['<<-EOT\n    a\n      b\n    EOT', 'a\n  b\n'],
  ['<<EOT\nx=${1 + 1}\nEOT', 'x=2\n'],
  ['<<-EOT\n  a\n\n  b\n  EOT', 'a\n\nb\n'],
  ['<<EOT\n$${lit}\nEOT', '${lit}\n'],
  ['<<EOT\n"\\n" raw\nEOT', '"\\n" raw\n'],
  ['<<EOT\nEOT', ''],
  ['<<-EOT\n    ${var.name}\n      x\n    EOT', 'web\n  x\n'],
  ['<<EOT\n%{ for t in var.tags ~}\n- ${t}\n%{ endfor ~}\nEOT', '- a\n- b\n'],
  ['<<EOT\n${var.name}\nEOT', 'web\n'],
  ['<<-END\n\tTAB\n\tEND', 'TAB\n'],
]);

table('references', [
  ['var.name', 'web'],
  ['var.nested.x.y', 'deep'],
  ['var["name"]', 'web'],
  ['var.tags[1]', 'b'],
  ['var.tags.0', 'a'],
  ['var.tags["1"]', 'b'],
  ['matrix.1.0', 3],
  ['hosts[0].vars.role', 'db'],
  ['hosts[1]["ip"]', '10.0.0.2'],
  ['obj[var.key]', 1],
  ['list[n - 3]', 3],
  ['(obj).b', 2],
  ['{a = 1}.a', 1],
  ['[10, 20][1]', 20],
  ['service.db.ports[0]', 3306],
]);

table('splats', [
  ['hosts[*].name', ['h1', 'h2']],
  ['hosts.*.name', ['h1', 'h2']],
  ['hosts[*].vars.role', ['db', 'web']],
  ['hosts.*.vars.role', ['db', 'web']],
  ['hosts[*]', VALUES_HOSTS()],
  ['var.nothing[*]', []],
  ['var.nothing[*].x', []],
  ['service.db[*].image', ['mariadb']],
  ['matrix[*][0]', [1, 3]],
  ['hosts.*.name[0]', 'h1'],
  ['length(hosts[*].name)', 2],
  ['[[1, 2], [3]][*][*]', [[1, 2], [3]]],
  ['[{a = [{b = 1}, {b = 2}]}][*].a[*].b', [[1, 2]]],
]);

function VALUES_HOSTS(): Value {
  return [
    { name: 'h1', ip: '10.0.0.1', vars: { role: 'db' } },
    { name: 'h2', ip: '10.0.0.2', vars: { role: 'web' } },
  ];
}

table('for expressions', [
  ['[for h in hosts : h.name]', ['h1', 'h2']],
  ['[for i, h in hosts : "${i}:${h.name}"]', ['0:h1', '1:h2']],
  ['{for h in hosts : h.name => h.ip}', { h1: '10.0.0.1', h2: '10.0.0.2' }],
  ['[for x in [1, 2, 3, 4] : x * x if x % 2 == 0]', [4, 16]],
  ['{for k, v in obj : v => k}', { '1': 'a', '2': 'b' }],
  ['{for h in hosts : h.vars.role => h.name...}', { db: ['h1'], web: ['h2'] }],
  ['{for x in ["a", "bb", "cc", "d"] : length(x) => x...}', { '1': ['a', 'd'], '2': ['bb', 'cc'] }],
  ['[for k, v in {b = 2, a = 1} : k]', ['a', 'b']],
  ['[for v in {b = 2, a = 1} : v]', [1, 2]],
  ['[for x in [] : x]', []],
  ['{for x in [] : x => x}', {}],
  [
    '[for x in [1, 2] : [for y in [10, 20] : x + y]]',
    [
      [11, 21],
      [12, 22],
    ],
  ],
  ['[for var in [1] : var]', [1]],
  ['[for s in ["a"] : upper(s)]', ['A']],
  ['{for k, v in obj : k => v if v > 1}', { b: 2 }],
  ['{\n  for k, v in obj :\n  k => v * 10\n}', { a: 10, b: 20 }],
  ['[\n  for x in list :\n  x\n  if x > 1\n]', [2, 3]],
  ['{for i, x in ["p", "q"] : x => i}', { p: 0, q: 1 }],
  ['{for x in ["a", "a"] : x => 1...}', { a: [1, 1] }],
  ['[for k, v in {"10" = 1, "9" = 2} : k]', ['10', '9']],
]);

table('function calls', [
  ['max([1, 5, 3]...)', 5],
  ['concat([1], [2], [3])', [1, 2, 3]],
  ['upper(var.name)', 'WEB'],
  ['length([for x in list : x if x > 1])', 2],
  ['join("-", [for h in hosts : h.name])', 'h1-h2'],
  ['try(var.nope, "fallback")', 'fallback'],
  ['try(var.name, "fallback")', 'web'],
  ['try(nope.x, hosts[9], "third")', 'third'],
  ['can(var.nope)', false],
  ['can(var.name)', true],
  ['can(1 / 0)', false],
  ['format("%s=%d", [ "a", 1 ]...)', 'a=1'],
]);

describe('evaluation context', () => {
  it('uses the functions given in the context', () => {
    const twice: FunctionImpl = (args) => (args[0] as number) * 2;
    const e = parseExpression('twice(21)', 'x.hcl');
    expect(evaluate(e, { variables: {}, functions: { twice }, baseDir: '.' })).toBe(42);
  });

  it('does not see Object.prototype members as variables or attributes', () => {
    expect(() => ev('toString')).toThrow('Reference to undeclared name');
    expect(() => ev('obj.constructor')).toThrow('Unsupported attribute');
  });

  it('reads variables through prototype chains and getters, touching only what is used', () => {
    const touched: string[] = [];
    const roots: Record<string, Value> = {};
    for (const k of ['a', 'b']) {
      Object.defineProperty(roots, k, {
        get: () => {
          touched.push(k);
          return k.toUpperCase();
        },
        enumerable: true,
      });
    }
    const child = Object.create(roots) as Record<string, Value>;
    Object.defineProperty(child, 'c', { value: 'C', enumerable: true });
    expect(evaluate(parseExpression('"${a}${c}"', 'x.hcl'), { variables: child, baseDir: '.' })).toBe('AC');
    expect(touched).toEqual(['a']);
  });

  it('lets non-diagnostic exceptions from lazy variables propagate, even through try()', () => {
    class Boom extends Error {}
    const vars = Object.defineProperty({}, 'x', {
      get: () => {
        throw new Boom('dependency failed');
      },
    }) as Record<string, Value>;
    expect(() => evaluate(parseExpression('try(x, 1)', 'x.hcl'), { variables: vars, baseDir: '.' })).toThrow(
      Boom,
    );
  });

  it('binds for-expression names over roots of the same name and only inside the for', () => {
    expect(ev('[for n in [1] : n] == [1] && n == 5')).toBe(true);
  });
});
