/**
 * Helpers over the value model (`Value` in hcl/ast.ts): type names for messages, the
 * conversions HCL applies implicitly (numeric strings to numbers, primitives to strings),
 * deep equality, and number formatting as Terraform prints numbers.
 */
import type { Value } from '../hcl/ast.js';

export type ValueObject = { [key: string]: Value };

export function isObject(v: Value | undefined): v is ValueObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Terraform's name for the type of `v`, for error messages. */
export function typeName(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'tuple';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'object';
  }
}

/** An empty object safe for any key, including `__proto__`. */
export function newObject(): ValueObject {
  return {};
}

/** Set a key without invoking setters (`__proto__` becomes an ordinary own key). */
export function setKey(obj: ValueObject, key: string, value: Value): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else obj[key] = value;
}

/** Own-key lookup: `constructor` or `toString` must not resolve to Object.prototype's. */
export function hasKey(obj: ValueObject, key: string): boolean {
  return Object.hasOwn(obj, key);
}

/** Keys in Terraform's order (lexical), which is not JS's order for integer-like keys. */
export function sortedKeys(obj: ValueObject): string[] {
  return Object.keys(obj).sort(compareStrings);
}

/** Plain code-unit comparison, independent of locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const NUMERIC = /^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/** A number, or a string that spells one (HCL converts those implicitly). */
export function asNumber(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

/** A bool, or the strings "true"/"false". */
export function asBool(v: Value): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

/** A primitive as a string (numbers and bools convert); undefined for null and collections. */
export function asString(v: Value): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

/**
 * Numbers as Terraform prints them: integers without a fraction or exponent, others in
 * shortest form with binary noise rounded away (0.1 + 0.2 prints as 0.3, as with
 * Terraform's arbitrary-precision numbers).
 */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) {
    if (Math.abs(n) < 1e21) return String(n);
    return BigInt(n).toString();
  }
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : n < 0 ? '-inf' : 'nan';
  const s = String(Number(n.toPrecision(15)));
  if (!s.includes('e')) return s;
  // Expand small exponents: 1e-7 → 0.0000001.
  const [mant = '', exp = '0'] = s.split('e');
  const e = Number(exp);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const intLen = (mant.replace('-', '').split('.')[0] ?? '').length;
  const point = intLen + e;
  const body =
    point <= 0 ? '0.' + '0'.repeat(-point) + digits : digits.slice(0, point) + '.' + digits.slice(point);
  return (neg ? '-' : '') + body.replace(/\.$/, '');
}

export function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i] as Value, b[i] as Value)) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !deepEqual(a[k] as Value, b[k] as Value)) return false;
  }
  return true;
}

/** Remove duplicates (deep equality), keeping the first occurrence. */
export function distinctValues(list: Value[]): Value[] {
  const out: Value[] = [];
  const seen = new Set<string>();
  for (const v of list) {
    // Primitives dedupe by a typed key in O(1); collections fall back to deep comparison.
    if (v === null || typeof v !== 'object') {
      const k = `${typeof v}:${String(v)}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(v);
    } else if (!out.some((x) => deepEqual(x, v))) out.push(v);
  }
  return out;
}
