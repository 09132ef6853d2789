import { describe, expect, it } from 'vitest';
import { parseExpression, referencesOf, traversalOf } from '../../../../src/config/hcl/parser.js';

const tr = (src: string): unknown => {
  const t = traversalOf(parseExpression(src, 'x.hcl'));
  return t && { root: t.root, steps: t.steps };
};
const refs = (src: string): string[] =>
  referencesOf(parseExpression(src, 'x.hcl')).map((r) => r.parts.join('.'));

describe('traversalOf', () => {
  it.each([
    ['service.db', { root: 'service', steps: ['db'] }],
    ['host.vars.x', { root: 'host', steps: ['vars', 'x'] }],
    ['host.vars["x"]', { root: 'host', steps: ['vars', 'x'] }],
    ['a[0].b', { root: 'a', steps: ['0', 'b'] }],
    ['a.0', { root: 'a', steps: ['0'] }],
    ['(a).b', { root: 'a', steps: ['b'] }],
    ['x', { root: 'x', steps: [] }],
  ])('%s', (src, want) => {
    expect(tr(src)).toEqual(want);
  });

  it.each(['a[b]', 'f(x)', 'f(x).y', '"s"', 'a[*].b', 'a + b', '[a]'])(
    '%s is not a static traversal',
    (src) => {
      expect(tr(src)).toBeUndefined();
    },
  );

  it('gives the range of the whole traversal', () => {
    const t = traversalOf(parseExpression('  service.db.image', 'x.hcl'));
    expect(t?.range.start.col).toBe(3);
    expect(t?.range.end.col).toBe(19);
  });
});

describe('referencesOf', () => {
  it.each([
    ['service.db', ['service.db']],
    ['"${service.db.image}:${var.tag}"', ['service.db.image', 'var.tag']],
    ['[for h in hosts : h.name if h.vars[var.k]]', ['hosts', 'var.k']],
    ['{for k, v in local.m : k => v.x}', ['local.m']],
    ['a[*].b', ['a']],
    ['a.*.b', ['a']],
    ['a[var.i].x', ['a', 'var.i']],
    ['a[0]["k"].x', ['a.0.k.x']],
    ['f(x).y', ['x']],
    ['upper(var.name) == local.n ? group.web : []', ['var.name', 'local.n', 'group.web']],
    ['"%{ for h in hosts }${h}${sep}%{ endfor }"', ['hosts', 'sep']],
    ['[for x in xs : [for y in x : y + z]]', ['xs', 'z']],
    ['[for x in [x] : x]', ['x']],
    ['{(var.key) = local.v}', ['var.key', 'local.v']],
    ['-a.b + !c', ['a.b', 'c']],
    ['try(a.b, "x")', ['a.b']],
    ['1 + "s"', []],
    ['__splat__.x', []],
    ['(svc).name', ['svc.name']],
  ])('%s', (src, want) => {
    expect(refs(src)).toEqual(want);
  });

  it('gives each reference its range', () => {
    const r = referencesOf(parseExpression('x + service.db.port', 'm.hcl'));
    expect(r.map((x) => `${x.range.start.col}-${x.range.end.col}`)).toEqual(['1-2', '5-20']);
  });
});
