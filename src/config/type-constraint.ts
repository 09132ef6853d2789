/**
 * Variable type constraints (`string`, `list(number)`, `object({a = string})`, `any`) and
 * the conversion of a given value to one, with Terraform's rules: numbers and bools
 * convert to strings and back where the text allows; a wrong shape is an error. An object
 * attribute may be `optional(T)` or `optional(T, DEFAULT)` (Terraform 1.3's optional object
 * attributes): left out, it is DEFAULT (a constant, converted to T) or null.
 */
import type { Expr, Value } from './hcl/ast.js';

export type TypeConstraint =
  | { kind: 'string' | 'number' | 'bool' | 'any' }
  | { kind: 'list' | 'set' | 'map'; element: TypeConstraint }
  | { kind: 'object'; attrs: Record<string, TypeConstraint>; optional?: Record<string, Value> }
  | { kind: 'tuple'; items: TypeConstraint[] };

/** Read a type expression; returns an error message on a bad one. */
export function parseType(e: Expr): TypeConstraint | string {
  if (e.kind === 'variable') {
    if (e.name === 'string' || e.name === 'number' || e.name === 'bool' || e.name === 'any')
      return { kind: e.name };
    if (e.name === 'list' || e.name === 'set' || e.name === 'map')
      return { kind: e.name, element: { kind: 'any' } };
    return `Unknown type "${e.name}"; expected string, number, bool, list(T), set(T), map(T), object({...}), tuple([...]) or any`;
  }
  if (e.kind === 'call') {
    const arg = e.args[0];
    if (e.args.length !== 1 || !arg) return `Type ${e.name}(...) takes exactly one argument`;
    if (e.name === 'list' || e.name === 'set' || e.name === 'map') {
      const el = parseType(arg);
      return typeof el === 'string' ? el : { kind: e.name, element: el };
    }
    if (e.name === 'object') {
      if (arg.kind !== 'object')
        return 'object(...) takes an object of attribute types, e.g. object({ name = string })';
      const attrs: Record<string, TypeConstraint> = {};
      const optional: Record<string, Value> = {};
      for (const it of arg.items) {
        const k = keyName(it.key);
        if (k === undefined) return 'object type attribute names must be identifiers';
        let te = it.value;
        if (te.kind === 'call' && te.name === 'optional') {
          const [inner, dflt] = te.args;
          if (!inner || te.args.length > 2)
            return 'optional(...) takes a type and an optional default, e.g. optional(bool, false)';
          te = inner;
          const t = parseType(te);
          if (typeof t === 'string') return t;
          let d: Value = null;
          if (dflt) {
            const c = constant(dflt);
            if (c === undefined)
              return `optional(...)'s default for "${k}" must be a constant (a literal, list or object of literals)`;
            try {
              d = convert(c, t, k);
            } catch (e) {
              return `optional(...)'s default for "${k}": ${String(e)}`;
            }
          }
          attrs[k] = t;
          optional[k] = d;
          continue;
        }
        const t = parseType(te);
        if (typeof t === 'string') return t;
        attrs[k] = t;
      }
      return Object.keys(optional).length ? { kind: 'object', attrs, optional } : { kind: 'object', attrs };
    }
    if (e.name === 'optional') {
      return 'optional(...) is only allowed as the type of an object attribute, e.g. object({ backup = optional(bool, false) })';
    }
    if (e.name === 'tuple') {
      if (arg.kind !== 'tuple') return 'tuple(...) takes a list of types, e.g. tuple([string, number])';
      const items: TypeConstraint[] = [];
      for (const it of arg.items) {
        const t = parseType(it);
        if (typeof t === 'string') return t;
        items.push(t);
      }
      return { kind: 'tuple', items };
    }
    return `Unknown type constructor "${e.name}"`;
  }
  return 'A type constraint is a type keyword such as string or list(string), not a value';
}

/** The value of a constant expression (literals, lists and objects of them), else undefined. */
function constant(e: Expr): Value | undefined {
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'paren':
      return constant(e.expr);
    case 'unary': {
      const v = constant(e.operand);
      if (e.op === '-' && typeof v === 'number') return -v;
      if (e.op === '!' && typeof v === 'boolean') return !v;
      return undefined;
    }
    case 'template':
      return e.parts.every((p) => p.kind === 'text')
        ? e.parts.map((p) => (p.kind === 'text' ? p.value : '')).join('')
        : undefined;
    case 'tuple': {
      const out: Value[] = [];
      for (const it of e.items) {
        const v = constant(it);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case 'object': {
      const out: Record<string, Value> = {};
      for (const it of e.items) {
        const k = keyName(it.key);
        const v = constant(it.value);
        if (k === undefined || v === undefined) return undefined;
        out[k] = v;
      }
      return out;
    }
    default:
      return undefined;
  }
}

function keyName(e: Expr): string | undefined {
  if (e.kind === 'variable') return e.name;
  if (e.kind === 'literal' && typeof e.value === 'string') return e.value;
  return undefined;
}

export function typeString(t: TypeConstraint): string {
  switch (t.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind}(${typeString(t.element)})`;
    case 'object':
      return `object({${Object.entries(t.attrs)
        .map(
          ([k, v]) => `${k}=${t.optional && k in t.optional ? `optional(${typeString(v)})` : typeString(v)}`,
        )
        .join(', ')}})`;
    case 'tuple':
      return `tuple([${t.items.map(typeString).join(', ')}])`;
    default:
      return t.kind;
  }
}

/** Convert `v` to type `t`; throws a string message when it cannot. */
export function convert(v: Value, t: TypeConstraint, path = ''): Value {
  const at = path ? ` at ${path}` : '';
  if (v === null) return null;
  switch (t.kind) {
    case 'any':
      return v;
    case 'string':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw `string required${at}, got ${kindOf(v)}`;
    case 'number':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
      throw `number required${at}, got ${kindOf(v)}${typeof v === 'string' ? ` "${v}"` : ''}`;
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true') return true;
      if (v === 'false') return false;
      throw `bool required${at}, got ${kindOf(v)}`;
    case 'list':
    case 'set': {
      if (!Array.isArray(v)) throw `${t.kind} of ${typeString(t.element)} required${at}, got ${kindOf(v)}`;
      const out = v.map((x, i) => convert(x, t.element, `${path}[${i}]`));
      if (t.kind === 'set') {
        const seen = new Set<string>();
        return out.filter((x) => {
          const k = JSON.stringify(x);
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        });
      }
      return out;
    }
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v))
        throw `map of ${typeString(t.element)} required${at}, got ${kindOf(v)}`;
      const out: Record<string, Value> = {};
      for (const [k, x] of Object.entries(v)) out[k] = convert(x, t.element, `${path}["${k}"]`);
      return out;
    }
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v)) throw `object required${at}, got ${kindOf(v)}`;
      const out: Record<string, Value> = {};
      for (const [k, at2] of Object.entries(t.attrs)) {
        const opt = t.optional !== undefined && k in t.optional;
        const given = k in v ? v[k]! : undefined;
        if (given === undefined && !opt) throw `attribute "${k}" is required${at}`;
        out[k] =
          given === undefined || (opt && given === null)
            ? (t.optional?.[k] ?? null)
            : convert(given, at2, path ? `${path}.${k}` : k);
      }
      return out;
    }
    case 'tuple': {
      if (!Array.isArray(v) || v.length !== t.items.length)
        throw `tuple of ${t.items.length} elements required${at}, got ${kindOf(v)}`;
      return v.map((x, i) => convert(x, t.items[i]!, `${path}[${i}]`));
    }
  }
}

export function kindOf(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}
