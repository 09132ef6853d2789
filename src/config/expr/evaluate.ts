/**
 * The expression evaluator: Expr (hcl/ast.ts) to Value, with HCL/Terraform semantics.
 * Every error is a DiagnosticError whose range is the offending sub-expression.
 *
 * Root names are read from `ctx.variables` one property at a time and never enumerated,
 * because callers define them as lazy getters (see config/scope.ts): touching a name that
 * is not used could create a false dependency cycle. `try` and `can` are special forms
 * here since they need their arguments unevaluated.
 */
import { DiagnosticError, errorAt, formatPlace } from '../../diags/diagnostic.js';
import type { SourceRange } from '../../diags/diagnostic.js';
import type { BinaryOp, Expr, TemplatePart, Value } from '../hcl/ast.js';
import { FOR_BUDGET, FunctionArgError, FunctionCallError } from './context.js';
import type { EvalContext, FunctionImpl } from './context.js';
import { standardFunctions } from './functions.js';
import { didYouMean } from './suggest.js';
import {
  asBool,
  asNumber,
  asString,
  deepEqual,
  formatNumber,
  hasKey,
  isObject,
  newObject,
  setKey,
  sortedKeys,
  typeName,
} from './values.js';
import type { ValueObject } from './values.js';

export type { EvalContext, FunctionImpl } from './context.js';
export { FunctionArgError, FunctionCallError } from './context.js';

/** Names bound by `for` expressions/directives and splats, innermost first. */
interface Locals {
  name: string;
  value: Value;
  parent: Locals | undefined;
}

export function evaluate(expr: Expr, ctx: EvalContext): Value {
  return new Evaluator(ctx).eval(expr, undefined);
}

/** The name used for the element inside a splat's per-element traversal. */
const SPLAT = '__splat__';

class Evaluator {
  private readonly functions: Record<string, FunctionImpl>;

  private readonly budget: { left: number };

  constructor(private readonly ctx: EvalContext) {
    this.functions = ctx.functions ?? standardFunctions;
    this.budget = ctx.budget ?? { left: FOR_BUDGET };
  }

  eval(e: Expr, locals: Locals | undefined): Value {
    switch (e.kind) {
      case 'literal':
        return e.value;
      case 'paren':
        return this.eval(e.expr, locals);
      case 'variable':
        return this.variable(e.name, e.range, locals);
      case 'template':
        // A template that is exactly one interpolation yields the value itself, unconverted,
        // as in HCL: "${var.list}" is the list.
        if (e.parts.length === 1 && e.parts[0]?.kind === 'interp') return this.eval(e.parts[0].expr, locals);
        return this.template(e.parts, locals);
      case 'getattr':
        return this.getAttr(this.eval(e.object, locals), e.name, e.object.range, e.range);
      case 'index':
        return this.index(
          this.eval(e.object, locals),
          this.eval(e.key, locals),
          e.object.range,
          e.key.range,
          e.range,
        );
      case 'splat':
        return this.splat(e.object, e.each, locals);
      case 'tuple':
        return e.items.map((x) => this.eval(x, locals));
      case 'object': {
        const out = newObject();
        for (const item of e.items) {
          const key = this.objectKey(this.eval(item.key, locals), item.key.range);
          setKey(out, key, this.eval(item.value, locals));
        }
        return out;
      }
      case 'call':
        return this.call(e, locals);
      case 'unary':
        return this.unary(e.op, e.operand, locals);
      case 'binary':
        return this.binary(e.op, e.left, e.right, locals);
      case 'conditional': {
        const c = this.condition(this.eval(e.cond, locals), e.cond.range, 'condition expression');
        return this.eval(c ? e.then : e.else, locals);
      }
      case 'for':
        return this.forExpr(e, locals);
    }
  }

  private variable(name: string, range: SourceRange, locals: Locals | undefined): Value {
    for (let l = locals; l; l = l.parent) if (l.name === name) return l.value;
    const vars = this.ctx.variables;
    // Own properties along the prototype chain, stopping before Object.prototype.
    for (
      let o: object | null = vars;
      o && o !== Object.prototype;
      o = Object.getPrototypeOf(o) as object | null
    ) {
      // `?? null`: a JS caller's undefined must not leak into the value model.
      if (Object.hasOwn(o, name)) return vars[name] ?? null;
    }
    const names = new Set<string>();
    for (let l = locals; l; l = l.parent) names.add(l.name);
    for (const k in vars) names.add(k);
    names.delete(SPLAT);
    throw errorAt(
      `Reference to undeclared name "${name}"`,
      range,
      `There is no variable named "${name}" in this scope.${didYouMean(name, names)}`,
    );
  }

  private getAttr(obj: Value, name: string, objRange: SourceRange, range: SourceRange): Value {
    // Point at `.name`, not at the object expression before it.
    const step: SourceRange = { file: range.file, start: objRange.end, end: range.end };
    if (isObject(obj)) {
      if (hasKey(obj, name)) return obj[name] ?? null;
      throw errorAt(
        'Unsupported attribute',
        step,
        `This object does not have an attribute named "${name}".${didYouMean(name, Object.keys(obj))}`,
      );
    }
    if (obj === null) {
      throw errorAt(
        'Attempt to get attribute from null value',
        step,
        'This value is null, so it does not have any attributes.',
      );
    }
    if (Array.isArray(obj)) {
      throw errorAt(
        'Unsupported attribute',
        step,
        `Can't access attributes on a list of objects. Did you mean to access attribute "${name}" for a specific element of the list, or across all elements of the list?`,
      );
    }
    throw errorAt(
      'Unsupported attribute',
      step,
      `Can't access attributes on a primitive-typed value (${typeName(obj)}).`,
    );
  }

  private index(
    obj: Value,
    key: Value,
    objRange: SourceRange,
    keyRange: SourceRange,
    range: SourceRange,
  ): Value {
    const step: SourceRange = { file: range.file, start: objRange.end, end: range.end };
    if (obj === null) {
      throw errorAt(
        'Attempt to index null value',
        step,
        'This value is null, so it does not have any indices.',
      );
    }
    if (key === null) throw errorAt('Invalid index', keyRange, "Can't use a null value as an indexing key.");
    if (Array.isArray(obj)) {
      const n = asNumber(key);
      const bad = (why: string): DiagnosticError =>
        errorAt(
          'Invalid index',
          keyRange,
          `The given key does not identify an element in this collection value: ${why}.`,
        );
      if (n === undefined) throw bad('a number is required');
      if (!Number.isInteger(n)) throw bad('the given index is not an integer');
      if (n < 0) throw bad('a negative number is not a valid index for a sequence');
      if (n >= obj.length) {
        throw bad(`the given index is greater than or equal to the length of the collection (${obj.length})`);
      }
      return obj[n] ?? null;
    }
    if (isObject(obj)) {
      const k = asString(key);
      if (k === undefined) {
        throw errorAt(
          'Invalid index',
          keyRange,
          `The given key is not valid for an object: string required, but have ${typeName(key)}.`,
        );
      }
      if (hasKey(obj, k)) return obj[k] ?? null;
      throw errorAt(
        'Invalid index',
        keyRange,
        `The given key does not identify an element in this collection value: there is no key "${k}".${didYouMean(k, Object.keys(obj))}`,
      );
    }
    throw errorAt('Invalid index', step, `This value does not have any indices (it is a ${typeName(obj)}).`);
  }

  private splat(objectExpr: Expr, each: Expr, locals: Locals | undefined): Value {
    const obj = this.eval(objectExpr, locals);
    if (obj === null) return [];
    // A single non-list value is treated as a list of one element, as in HCL.
    const list = Array.isArray(obj) ? obj : [obj];
    return list.map((v) => this.eval(each, { name: SPLAT, value: v, parent: locals }));
  }

  private objectKey(k: Value, range: SourceRange): string {
    if (k === null) throw errorAt('Null value as key', range, "Can't use a null value as a key.");
    const s = asString(k);
    if (s === undefined) {
      throw errorAt(
        'Incorrect key type',
        range,
        `Can't use this value as a key: string required, but have ${typeName(k)}.`,
      );
    }
    return s;
  }

  private condition(v: Value, range: SourceRange, what: string): boolean {
    if (v === null) {
      throw errorAt(
        'Null condition',
        range,
        `The ${what} value is null. Conditions must either be true or false.`,
      );
    }
    const b = asBool(v);
    if (b === undefined) {
      throw errorAt(
        'Incorrect condition type',
        range,
        `The ${what} must be of type bool, but have ${typeName(v)}.`,
      );
    }
    return b;
  }

  private number(v: Value, range: SourceRange, side: string): number {
    const n = asNumber(v);
    if (n === undefined) {
      throw errorAt(
        'Invalid operand',
        range,
        `Unsuitable value for ${side} operand: a number is required, but have ${v === null ? 'null' : typeName(v)}.`,
      );
    }
    return n;
  }

  private bool(v: Value, range: SourceRange, side: string): boolean {
    const b = asBool(v);
    if (b === undefined) {
      throw errorAt(
        'Invalid operand',
        range,
        `Unsuitable value for ${side} operand: a bool is required, but have ${v === null ? 'null' : typeName(v)}.`,
      );
    }
    return b;
  }

  private unary(op: '!' | '-', operand: Expr, locals: Locals | undefined): Value {
    const v = this.eval(operand, locals);
    if (op === '!') return !this.bool(v, operand.range, 'unary');
    return -this.number(v, operand.range, 'unary');
  }

  private binary(op: BinaryOp, left: Expr, right: Expr, locals: Locals | undefined): Value {
    if (op === '&&' || op === '||') {
      const l = this.bool(this.eval(left, locals), left.range, 'left');
      if (op === '&&' && !l) return false;
      if (op === '||' && l) return true;
      return this.bool(this.eval(right, locals), right.range, 'right');
    }
    const lv = this.eval(left, locals);
    const rv = this.eval(right, locals);
    if (op === '==') return deepEqual(lv, rv);
    if (op === '!=') return !deepEqual(lv, rv);
    const l = this.number(lv, left.range, 'left');
    const r = this.number(rv, right.range, 'right');
    switch (op) {
      case '+':
        return l + r;
      case '-':
        return l - r;
      case '*':
        return l * r;
      case '/':
      case '%':
        if (r === 0) {
          throw errorAt('Operation failed', right.range, "Error during operation: can't divide by zero.");
        }
        return op === '/' ? l / r : l % r;
      case '<':
        return l < r;
      case '<=':
        return l <= r;
      case '>':
        return l > r;
      case '>=':
        return l >= r;
    }
  }

  /** The (key, value) pairs a `for` iterates: index/element for lists, sorted key/value for objects. */
  private iterate(coll: Value, range: SourceRange, what: string): [Value, Value][] {
    if (coll === null) {
      throw errorAt(
        'Iteration over null value',
        range,
        `A null value cannot be used as the collection in a ${what}.`,
      );
    }
    if (Array.isArray(coll) || isObject(coll)) {
      const n = Array.isArray(coll) ? coll.length : Object.keys(coll).length;
      this.budget.left -= n;
      if (this.budget.left < 0)
        throw errorAt(
          'Too many iterations',
          range,
          `The 'for' loops of this configuration iterate over more than ${FOR_BUDGET.toLocaleString('en')} elements in all (nested loops multiply); kolla stops rather than run for hours or exhaust memory.`,
        );
    }
    if (Array.isArray(coll)) return coll.map((v, i) => [i, v]);
    if (isObject(coll)) return sortedKeys(coll).map((k) => [k, coll[k] as Value]);
    throw errorAt(
      'Iteration over non-iterable value',
      range,
      `A value of type ${typeName(coll)} cannot be used as the collection in a ${what}.`,
    );
  }

  private bindFor(
    keyVar: string | undefined,
    valueVar: string,
    k: Value,
    v: Value,
    parent: Locals | undefined,
  ): Locals {
    const inner: Locals = { name: valueVar, value: v, parent };
    return keyVar === undefined ? inner : { name: keyVar, value: k, parent: inner };
  }

  private forExpr(e: Expr & { kind: 'for' }, locals: Locals | undefined): Value {
    const pairs = this.iterate(this.eval(e.collection, locals), e.collection.range, "'for' expression");
    const keep = (scope: Locals): boolean =>
      e.cond === undefined || this.forCondition(this.eval(e.cond, scope), e.cond.range);
    if (!e.keyExpr) {
      const out: Value[] = [];
      for (const [k, v] of pairs) {
        const scope = this.bindFor(e.keyVar, e.valueVar, k, v, locals);
        if (keep(scope)) out.push(this.eval(e.valueExpr, scope));
      }
      return out;
    }
    const out: ValueObject = newObject();
    for (const [k, v] of pairs) {
      const scope = this.bindFor(e.keyVar, e.valueVar, k, v, locals);
      if (!keep(scope)) continue;
      const kv = this.eval(e.keyExpr, scope);
      if (kv === null) {
        throw errorAt(
          'Invalid object key',
          e.keyExpr.range,
          "Key expression in 'for' expression must not produce a null value.",
        );
      }
      const key = asString(kv);
      if (key === undefined) {
        throw errorAt(
          'Invalid object key',
          e.keyExpr.range,
          `The key expression produced an invalid result: string required, but have ${typeName(kv)}.`,
        );
      }
      const val = this.eval(e.valueExpr, scope);
      if (e.group) {
        const g = out[key];
        if (hasKey(out, key) && Array.isArray(g)) g.push(val);
        else setKey(out, key, [val]);
      } else {
        if (hasKey(out, key)) {
          throw errorAt(
            'Duplicate object key',
            e.keyExpr.range,
            `Two different items produced the key "${key}" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.`,
          );
        }
        setKey(out, key, val);
      }
    }
    return out;
  }

  private forCondition(v: Value, range: SourceRange): boolean {
    if (v === null)
      throw errorAt("Invalid 'for' condition", range, "The value of the 'if' clause must not be null.");
    const b = asBool(v);
    if (b === undefined) {
      throw errorAt(
        "Invalid 'for' condition",
        range,
        `The value of the 'if' clause must be a bool, but have ${typeName(v)}.`,
      );
    }
    return b;
  }

  private template(parts: TemplatePart[], locals: Locals | undefined): string {
    const out: string[] = [];
    this.renderParts(parts, locals, out);
    return out.join('');
  }

  private renderParts(parts: TemplatePart[], locals: Locals | undefined, out: string[]): void {
    for (const p of parts) {
      switch (p.kind) {
        case 'text':
          out.push(p.value);
          break;
        case 'interp':
          out.push(this.interpolation(this.eval(p.expr, locals), p.expr.range));
          break;
        case 'if': {
          const c = this.condition(
            this.eval(p.cond, locals),
            p.cond.range,
            "template 'if' directive condition",
          );
          this.renderParts(c ? p.then : p.else, locals, out);
          break;
        }
        case 'for':
          for (const [k, v] of this.iterate(
            this.eval(p.collection, locals),
            p.collection.range,
            "template 'for' directive",
          )) {
            this.renderParts(p.body, this.bindFor(p.keyVar, p.valueVar, k, v, locals), out);
          }
          break;
      }
    }
  }

  private interpolation(v: Value, range: SourceRange): string {
    if (v === null) {
      throw errorAt(
        'Invalid template interpolation value',
        range,
        'The expression result is null. Cannot include a null value in a string template.',
      );
    }
    if (typeof v === 'number') return formatNumber(v);
    const s = asString(v);
    if (s !== undefined) return s;
    throw errorAt(
      'Invalid template interpolation value',
      range,
      `Cannot include the given value in a string template: string required, but have ${Array.isArray(v) ? 'tuple' : 'object'}.`,
    );
  }

  // ---- function calls -------------------------------------------------------------------

  private call(e: Expr & { kind: 'call' }, locals: Locals | undefined): Value {
    if (e.name === 'try') return this.tryCall(e, locals);
    if (e.name === 'can') return this.canCall(e, locals);
    const fn = Object.hasOwn(this.functions, e.name) ? this.functions[e.name] : undefined;
    if (!fn) {
      throw errorAt(
        'Call to unknown function',
        e.range,
        `There is no function named "${e.name}".${didYouMean(e.name, [...Object.keys(this.functions), 'try', 'can'])}`,
      );
    }
    const args: Value[] = [];
    const ranges: SourceRange[] = [];
    e.args.forEach((a, i) => {
      const v = this.eval(a, locals);
      if (e.expandFinal && i === e.args.length - 1) {
        if (!Array.isArray(v)) {
          throw errorAt(
            'Invalid expanding argument value',
            a.range,
            `The expanding argument (indicated by ...) must be of a tuple, list, or set type, but have ${typeName(v)}.`,
          );
        }
        for (const x of v) {
          args.push(x);
          ranges.push(a.range);
        }
      } else {
        args.push(v);
        ranges.push(a.range);
      }
    });
    try {
      return fn(args, this.ctx, e.range);
    } catch (err) {
      if (err instanceof FunctionArgError) {
        const param = err.param !== undefined ? ` ("${err.param}")` : '';
        throw errorAt(
          'Invalid function argument',
          ranges[err.argIndex] ?? e.range,
          `Invalid value for argument ${err.argIndex + 1}${param} of function "${e.name}": ${err.message}`,
        );
      }
      if (err instanceof FunctionCallError) {
        throw errorAt(
          'Error in function call',
          e.range,
          `Call to function "${e.name}" failed: ${err.message}`,
        );
      }
      throw err;
    }
  }

  private tryCall(e: Expr & { kind: 'call' }, locals: Locals | undefined): Value {
    if (e.args.length === 0) {
      throw errorAt(
        'Invalid function argument',
        e.range,
        'Invalid value for argument 1 of function "try": at least one argument is required.',
      );
    }
    const failures: string[] = [];
    for (const a of e.args) {
      try {
        return this.eval(a, locals);
      } catch (err) {
        if (!(err instanceof DiagnosticError)) throw err;
        const d = err.diagnostic;
        failures.push(`- ${formatPlace(d.range)}: ${d.summary}${d.detail ? `; ${d.detail}` : ''}`);
      }
    }
    throw errorAt(
      'Error in function call',
      e.range,
      `Call to function "try" failed: no expression succeeded:\n${failures.join('\n')}`,
    );
  }

  private canCall(e: Expr & { kind: 'call' }, locals: Locals | undefined): Value {
    if (e.args.length !== 1 || e.expandFinal) {
      throw errorAt(
        'Invalid function argument',
        e.args[1]?.range ?? e.range,
        `Invalid value for argument ${e.args.length === 0 ? 1 : 2} of function "can": the function takes exactly one argument.`,
      );
    }
    try {
      this.eval(e.args[0] as Expr, locals);
      return true;
    } catch (err) {
      if (err instanceof DiagnosticError) return false;
      throw err;
    }
  }
}
