/**
 * JSON encoding as Terraform's jsonencode does it: object keys sorted, numbers printed
 * like Terraform prints them, and `<`, `>`, `&`, U+2028, U+2029 escaped as \u sequences
 * (Go's encoder escapes them so output is safe to embed in HTML).
 */
import type { Value } from '../hcl/ast.js';
import { formatNumber, isObject, sortedKeys } from './values.js';

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

export function jsonEncode(v: Value): string {
  const out: string[] = [];
  encode(v, out);
  return out.join('');
}

function encodeString(s: string): string {
  return JSON.stringify(s).replace(HTML_UNSAFE, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function encode(v: Value, out: string[]): void {
  if (v === null) out.push('null');
  else if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
  else if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('infinite or NaN numbers cannot be encoded as JSON');
    out.push(formatNumber(v));
  } else if (typeof v === 'string') out.push(encodeString(v));
  else if (Array.isArray(v)) {
    out.push('[');
    v.forEach((x, i) => {
      if (i > 0) out.push(',');
      encode(x, out);
    });
    out.push(']');
  } else if (isObject(v)) {
    out.push('{');
    sortedKeys(v).forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push(encodeString(k), ':');
      encode(v[k] as Value, out);
    });
    out.push('}');
  }
}
