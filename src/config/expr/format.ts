/**
 * Terraform's `format` verbs (a subset of Go's fmt as cty implements it): %v %#v %t %s %q
 * %d %b %o %x %X %e %E %f %g %G and %%, with flags (- + space 0 #), width, precision and
 * explicit argument indexes (%[2]s).
 */
import type { Value } from '../hcl/ast.js';
import { FunctionArgError, FunctionCallError } from './context.js';
import { jsonEncode } from './json.js';
import { asBool, asNumber, asString, typeName } from './values.js';

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width?: number;
  prec?: number;
}

/** Format `args` by `fmt`. Argument errors carry indexes relative to `args` plus `argBase`. */
export function formatValues(fmt: string, args: Value[], argBase = 1): string {
  const out: string[] = [];
  let argi = 0;
  let maxUsed = 0;
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      out.push(fmt.slice(i));
      break;
    }
    out.push(fmt.slice(i, pct));
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, space: false, zero: false, sharp: false };
    for (;;) {
      const f = fmt[i];
      if (f === '-') spec.minus = true;
      else if (f === '+') spec.plus = true;
      else if (f === ' ') spec.space = true;
      else if (f === '0') spec.zero = true;
      else if (f === '#') spec.sharp = true;
      else break;
      i++;
    }
    const explicit = /^\[(\d+)\]/.exec(fmt.slice(i));
    if (explicit) {
      argi = Number(explicit[1]) - 1;
      i += explicit[0].length;
    }
    const w = /^\d+/.exec(fmt.slice(i));
    if (w) {
      spec.width = Number(w[0]);
      i += w[0].length;
    }
    if (fmt[i] === '.') {
      const p = /^\d*/.exec(fmt.slice(i + 1)) as RegExpExecArray;
      spec.prec = p[0] === '' ? 0 : Number(p[0]);
      i += 1 + p[0].length;
    }
    const verb = fmt[i];
    if (verb === undefined)
      throw new FunctionArgError(0, `format string ends with an incomplete verb at offset ${pct}.`);
    i++;
    if (verb === '%') {
      out.push('%');
      continue;
    }
    if (argi >= args.length || argi < 0) {
      throw new FunctionCallError(
        `not enough arguments for "%${verb}" at offset ${pct}: need index ${argi + 1} but have ${args.length} total.`,
      );
    }
    const v = args[argi] as Value;
    const at = argi + argBase;
    argi++;
    if (argi > maxUsed) maxUsed = argi;
    out.push(pad(formatOne(verb, v, spec, at), spec, isNumericVerb(verb)));
  }
  if (maxUsed < args.length) {
    throw new FunctionCallError(`too many arguments; only ${maxUsed} used by format string.`);
  }
  return out.join('');
}

function isNumericVerb(v: string): boolean {
  return 'dboxXeEfgG'.includes(v);
}

function formatOne(verb: string, v: Value, spec: Spec, at: number): string {
  const fail = (why: string): never => {
    throw new FunctionArgError(at, `unsupported value for "%${verb}": ${why}.`);
  };
  switch (verb) {
    case 'v':
      if (spec.sharp) return jsonEncode(v);
      if (v === null) return 'null';
      if (typeof v === 'object') return jsonEncode(v);
      return asString(v) as string;
    case 't': {
      const b = asBool(v);
      if (b === undefined) fail(`bool required, but have ${typeName(v)}`);
      return String(b);
    }
    case 's': {
      const s = v === null ? undefined : asString(v);
      if (s === undefined)
        fail(v === null ? 'null value cannot be formatted' : `string required, but have ${typeName(v)}`);
      return spec.prec === undefined ? (s as string) : [...(s as string)].slice(0, spec.prec).join('');
    }
    case 'q': {
      const s = v === null ? undefined : asString(v);
      if (s === undefined)
        fail(v === null ? 'null value cannot be formatted' : `string required, but have ${typeName(v)}`);
      return JSON.stringify(s);
    }
    case 'd':
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      const n = asNumber(v);
      if (n === undefined) fail(`number required, but have ${v === null ? 'null' : typeName(v)}`);
      if (!Number.isInteger(n)) fail('an integer is required');
      const base = verb === 'd' ? 10 : verb === 'b' ? 2 : verb === 'o' ? 8 : 16;
      let digits = Math.abs(n as number).toString(base);
      if (verb === 'X') digits = digits.toUpperCase();
      if (spec.prec !== undefined && digits.length < spec.prec) digits = digits.padStart(spec.prec, '0');
      if (spec.sharp) digits = (verb === 'o' ? '0' : verb === 'x' ? '0x' : verb === 'X' ? '0X' : '') + digits;
      return sign(n as number, spec) + digits;
    }
    case 'e':
    case 'E':
    case 'f':
    case 'g':
    case 'G': {
      const n = asNumber(v);
      if (n === undefined) fail(`number required, but have ${v === null ? 'null' : typeName(v)}`);
      const a = Math.abs(n as number);
      let s: string;
      if (verb === 'f') s = a.toFixed(spec.prec ?? 6);
      else if (verb === 'e' || verb === 'E') s = goExp(a.toExponential(spec.prec ?? 6));
      else s = goG(a, spec.prec);
      if (verb === 'E' || verb === 'G') s = s.toUpperCase();
      return sign(n as number, spec) + s;
    }
    default:
      throw new FunctionArgError(0, `unrecognized format verb "%${verb}".`);
  }
}

function sign(n: number, spec: Spec): string {
  if (n < 0 || Object.is(n, -0)) return '-';
  if (spec.plus) return '+';
  if (spec.space) return ' ';
  return '';
}

/** Go writes exponents with at least two digits: 1e+06. */
function goExp(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Go's %g: shortest representation, exponent form when the exponent is < -4 or >= precision. */
function goG(a: number, prec: number | undefined): string {
  if (a === 0) return '0';
  const shortest = prec === undefined;
  const digits = shortest ? a.toExponential() : a.toExponential(Math.max((prec as number) - 1, 0));
  const [rawMant = '', e = '0'] = digits.split('e');
  // Go drops trailing zeros in %g, in both notations.
  const mant = rawMant.includes('.') ? rawMant.replace(/\.?0+$/, '') : rawMant;
  const exp = Number(e);
  // As in Go's strconv: the shortest form switches to an exponent at 1e+06.
  const eprec = shortest ? 6 : (prec as number) === 0 ? 1 : (prec as number);
  if (exp < -4 || exp >= eprec) return goExp(`${mant}e${e}`);
  const sig = mant.replace('.', '').length;
  const fixed = a.toFixed(Math.max(sig - 1 - exp, 0));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined) return s;
  const len = [...s].length;
  if (len >= spec.width) return s;
  const n = spec.width - len;
  if (spec.minus) return s + ' '.repeat(n);
  if (spec.zero && numeric) {
    const m = /^[+\- ]?(0[xXb])?/.exec(s) as RegExpExecArray;
    return m[0] + '0'.repeat(n) + s.slice(m[0].length);
  }
  return ' '.repeat(n) + s;
}
