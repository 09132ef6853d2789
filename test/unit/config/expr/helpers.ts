/** Shared helpers for the expression tests: evaluate a source string, or capture its error. */
import { DiagnosticError } from '../../../../src/diags/diagnostic.js';
import type { Value } from '../../../../src/config/hcl/ast.js';
import { parseExpression } from '../../../../src/config/hcl/parser.js';
import { evaluate } from '../../../../src/config/expr/evaluate.js';

export const VARS: Record<string, Value> = {
  var: {
    name: 'web',
    port: 8080,
    tags: ['a', 'b'],
    enabled: true,
    empty: '',
    nothing: null,
    key: 'a',
    nested: { x: { y: 'deep' } },
  },
  hosts: [
    { name: 'h1', ip: '10.0.0.1', vars: { role: 'db' } },
    { name: 'h2', ip: '10.0.0.2', vars: { role: 'web' } },
  ],
  service: { db: { image: 'mariadb', ports: [3306] } },
  obj: { b: 2, a: 1 },
  list: [1, 2, 3],
  matrix: [
    [1, 2],
    [3, 4],
  ],
  n: 5,
  s: 'str',
};

export function ev(src: string, vars: Record<string, Value> = VARS, baseDir = '/nonexistent'): Value {
  return evaluate(parseExpression(src, 'test.hcl'), { variables: vars, baseDir });
}

export interface Caught {
  summary: string;
  detail: string;
  /** "line:col" of the error's start. */
  at: string;
}

/** Parse and evaluate `src`, expecting a DiagnosticError. */
export function evErr(src: string, vars: Record<string, Value> = VARS, baseDir = '/nonexistent'): Caught {
  try {
    const v = ev(src, vars, baseDir);
    throw new Error(`expected an error, got ${JSON.stringify(v)}`);
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const r = e.diagnostic.range;
    return {
      summary: e.diagnostic.summary,
      detail: e.diagnostic.detail ?? '',
      at: r ? `${r.start.line}:${r.start.col}` : '',
    };
  }
}
