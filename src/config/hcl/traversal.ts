/**
 * Static references in expressions: `service.db`, `host.vars["x"]`, for dependency analysis
 * before anything is evaluated. A reference is a root name followed by attribute steps and
 * index steps with literal keys; it stops at the first dynamic step.
 */
import type { SourceRange } from '../../diags/diagnostic.js';
import type { Expr, TemplatePart } from './ast.js';

export interface Traversal {
  root: string;
  /** Attribute names and literal index keys (numbers as their decimal text). */
  steps: string[];
  range: SourceRange;
}

export interface Reference {
  /** The root name followed by the steps. */
  parts: string[];
  range: SourceRange;
}

/** The static traversal `expr` is, or undefined when it is anything else. */
export function traversalOf(expr: Expr): Traversal | undefined {
  const steps: string[] = [];
  let e = expr;
  for (;;) {
    switch (e.kind) {
      case 'variable':
        return { root: e.name, steps: steps.reverse(), range: expr.range };
      case 'getattr':
        steps.push(e.name);
        e = e.object;
        continue;
      case 'index': {
        const k = literalKey(e.key);
        if (k === undefined) return undefined;
        steps.push(k);
        e = e.object;
        continue;
      }
      case 'paren':
        e = e.expr;
        continue;
      default:
        return undefined;
    }
  }
}

function literalKey(key: Expr): string | undefined {
  if (key.kind === 'paren') return literalKey(key.expr);
  if (key.kind !== 'literal') return undefined;
  if (typeof key.value === 'string') return key.value;
  if (typeof key.value === 'number') return String(key.value);
  return undefined;
}

/**
 * Every static reference in `expr`, longest form first found (for `a.b[c].d` that is
 * `a.b`, plus `c`). Names bound by `for` expressions and directives, and the splat
 * placeholder, are not references.
 */
export function referencesOf(expr: Expr): Reference[] {
  const out: Reference[] = [];
  walk(expr, new Set(), out);
  return out;
}

function bind(locals: Set<string>, names: (string | undefined)[]): Set<string> {
  const s = new Set(locals);
  for (const n of names) if (n !== undefined) s.add(n);
  return s;
}

function walk(e: Expr, locals: Set<string>, out: Reference[]): void {
  switch (e.kind) {
    case 'literal':
      return;
    case 'variable':
    case 'getattr':
    case 'index': {
      const chain = splitChain(e);
      if (chain.root !== undefined && chain.root !== '__splat__' && !locals.has(chain.root)) {
        out.push({ parts: [chain.root, ...chain.steps], range: chain.range });
      }
      for (const x of chain.rest) walk(x, locals, out);
      return;
    }
    case 'template':
      walkParts(e.parts, locals, out);
      return;
    case 'splat':
      walk(e.object, locals, out);
      walk(e.each, locals, out);
      return;
    case 'tuple':
      for (const x of e.items) walk(x, locals, out);
      return;
    case 'object':
      for (const x of e.items) {
        walk(x.key, locals, out);
        walk(x.value, locals, out);
      }
      return;
    case 'call':
      for (const x of e.args) walk(x, locals, out);
      return;
    case 'unary':
      walk(e.operand, locals, out);
      return;
    case 'binary':
      walk(e.left, locals, out);
      walk(e.right, locals, out);
      return;
    case 'conditional':
      walk(e.cond, locals, out);
      walk(e.then, locals, out);
      walk(e.else, locals, out);
      return;
    case 'for': {
      walk(e.collection, locals, out);
      const inner = bind(locals, [e.keyVar, e.valueVar]);
      if (e.keyExpr) walk(e.keyExpr, inner, out);
      walk(e.valueExpr, inner, out);
      if (e.cond) walk(e.cond, inner, out);
      return;
    }
    case 'paren':
      walk(e.expr, locals, out);
      return;
  }
}

function walkParts(parts: TemplatePart[], locals: Set<string>, out: Reference[]): void {
  for (const p of parts) {
    switch (p.kind) {
      case 'text':
        break;
      case 'interp':
        walk(p.expr, locals, out);
        break;
      case 'if':
        walk(p.cond, locals, out);
        walkParts(p.then, locals, out);
        walkParts(p.else, locals, out);
        break;
      case 'for':
        walk(p.collection, locals, out);
        walkParts(p.body, bind(locals, [p.keyVar, p.valueVar]), out);
        break;
    }
  }
}

/**
 * Split a getattr/index chain into its static reference (root + literal steps, when the
 * chain is rooted at a name) and the expressions left to walk: a non-name base such as
 * `f(x)` in `f(x).a`, and the keys of dynamic index steps.
 */
function splitChain(e: Expr): { root?: string; steps: string[]; range: SourceRange; rest: Expr[] } {
  const nodes: Expr[] = [];
  let cur = e;
  // Parentheses do not end a chain: `(a).b` is the reference a.b, as in traversalOf.
  while (cur.kind === 'getattr' || cur.kind === 'index' || cur.kind === 'paren') {
    if (cur.kind === 'paren') cur = cur.expr;
    else {
      nodes.push(cur);
      cur = cur.object;
    }
  }
  nodes.reverse();
  if (cur.kind !== 'variable') return { steps: [], range: cur.range, rest: [cur, ...indexKeys(nodes)] };
  const steps: string[] = [];
  let range = cur.range;
  let i = 0;
  for (; i < nodes.length; i++) {
    const n = nodes[i] as Expr;
    if (n.kind === 'getattr') steps.push(n.name);
    else if (n.kind === 'index') {
      const k = literalKey(n.key);
      if (k === undefined) break;
      steps.push(k);
    }
    range = n.range;
  }
  return { root: cur.name, steps, range, rest: indexKeys(nodes.slice(i)) };
}

function indexKeys(nodes: Expr[]): Expr[] {
  const keys: Expr[] = [];
  for (const n of nodes) if (n.kind === 'index') keys.push(n.key);
  return keys;
}
