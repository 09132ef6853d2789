/**
 * The standard function library, with Terraform's semantics. Each function declares its
 * parameters so arity is checked uniformly; argument problems are thrown as
 * FunctionArgError (the evaluator points at the argument). Only deterministic functions:
 * no uuid(), timestamp() or the like, so plans are reproducible. `try` and `can` are
 * special forms in evaluate.ts, not here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { yaml } from '../../lazy/modules.js';
import type { Value } from '../hcl/ast.js';
import { renderTemplateFile } from '../../render/template.js';
import { FunctionArgError, FunctionCallError } from './context.js';
import type { EvalContext, FunctionImpl } from './context.js';
import { formatValues } from './format.js';
import { compileGoRegex, expandGoTemplate, groupInfo } from './goregex.js';
import { jsonEncode } from './json.js';
import {
  asBool,
  asNumber,
  asString,
  compareStrings,
  deepEqual,
  distinctValues,
  formatNumber,
  hasKey,
  isObject,
  newObject,
  setKey,
  sortedKeys,
  typeName,
} from './values.js';
import type { ValueObject } from './values.js';

// ---- parameter declarations ---------------------------------------------------------------

/**
 * Declare a function by parameter names: `name?` is optional, `name...` takes zero or
 * more trailing arguments, `name+` one or more.
 */
function def(params: string[], impl: (args: Value[], ctx: EvalContext) => Value): FunctionImpl {
  const last = params[params.length - 1] ?? '';
  const variadic = last.endsWith('...') || last.endsWith('+');
  const names = params.map((p) => p.replace(/(\?|\.\.\.|\+)$/, ''));
  const min = params.filter((p) => !p.endsWith('?') && !p.endsWith('...')).length;
  const max = variadic ? Infinity : params.length;
  const paramOf = (i: number): string | undefined => names[Math.min(i, names.length - 1)];
  const takes =
    max === Infinity
      ? `at least ${min} argument${min === 1 ? '' : 's'}`
      : min === max
        ? `${min} argument${min === 1 ? '' : 's'}`
        : `${min} to ${max} arguments`;
  return (args, ctx) => {
    if (args.length < min) {
      throw new FunctionArgError(
        args.length,
        `missing value; the function takes ${takes}, but ${args.length} given.`,
        paramOf(args.length),
      );
    }
    if (args.length > max) {
      throw new FunctionArgError(
        max,
        `too many arguments; the function takes ${takes}, but ${args.length} given.`,
      );
    }
    try {
      return impl(args, ctx);
    } catch (e) {
      if (e instanceof FunctionArgError && e.param === undefined) {
        throw new FunctionArgError(e.argIndex, e.message, paramOf(e.argIndex));
      }
      throw e;
    }
  };
}

function bad(i: number, message: string): FunctionArgError {
  return new FunctionArgError(i, message);
}

function got(v: Value): string {
  return v === null ? 'null' : typeName(v);
}

function argAny(args: Value[], i: number): Value {
  return args[i] as Value;
}

function argStr(args: Value[], i: number): string {
  const v = argAny(args, i);
  if (v === null) throw bad(i, 'argument must not be null.');
  const s = asString(v);
  if (s === undefined) throw bad(i, `string required, but have ${got(v)}.`);
  return s;
}

function argNum(args: Value[], i: number): number {
  const v = argAny(args, i);
  if (v === null) throw bad(i, 'argument must not be null.');
  const n = asNumber(v);
  if (n === undefined) throw bad(i, `number required, but have ${got(v)}.`);
  return n;
}

function argInt(args: Value[], i: number): number {
  const n = argNum(args, i);
  if (!Number.isInteger(n)) throw bad(i, `a whole number is required, but have ${formatNumber(n)}.`);
  return n;
}

function argList(args: Value[], i: number): Value[] {
  const v = argAny(args, i);
  if (v === null) throw bad(i, 'argument must not be null.');
  if (!Array.isArray(v)) throw bad(i, `list required, but have ${got(v)}.`);
  return v;
}

function argObj(args: Value[], i: number): ValueObject {
  const v = argAny(args, i);
  if (v === null) throw bad(i, 'argument must not be null.');
  if (!isObject(v)) throw bad(i, `map or object required, but have ${got(v)}.`);
  return v;
}

function argStrList(args: Value[], i: number): string[] {
  return argList(args, i).map((x, j) => {
    if (x === null) throw bad(i, `element ${j} is null; a list of strings is required.`);
    const s = asString(x);
    if (s === undefined) throw bad(i, `element ${j} is ${got(x)}; a list of strings is required.`);
    return s;
  });
}

/** Arguments from `from` on, each a list. */
function restLists(args: Value[], from: number): Value[][] {
  const out: Value[][] = [];
  for (let i = from; i < args.length; i++) out.push(argList(args, i));
  return out;
}

// ---- shared helpers -------------------------------------------------------------------------

const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** User-perceived characters, as Terraform counts them. */
function graphemes(s: string): string[] {
  const out: string[] = [];
  for (const g of graphemeSegmenter.segment(s)) out.push(g.segment);
  return out;
}

/**
 * Terraform converts a collection's elements to one type: mixed primitives all become
 * strings. Mixing primitives with collections is an error.
 */
function unifyPrimitives(list: Value[], i: number): Value[] {
  const kinds = new Set(list.filter((x) => x !== null).map((x) => typeName(x)));
  if (kinds.size <= 1) return list;
  if ([...kinds].some((k) => k === 'tuple' || k === 'object')) {
    throw bad(i, 'all elements must have the same type.');
  }
  return list.map((x) => (x === null ? null : (asString(x) as string)));
}

/** A set's element order: strings lexically, numbers numerically, others as given. */
function setOrder(list: Value[]): Value[] {
  const out = distinctValues(list);
  if (out.every((x) => typeof x === 'string')) return (out as string[]).sort(compareStrings);
  if (out.every((x) => typeof x === 'number')) return (out as number[]).sort((a, b) => a - b);
  return out;
}

function regexArg(args: Value[], i: number, global = false): RegExp {
  const pattern = argStr(args, i);
  try {
    return compileGoRegex(pattern, global);
  } catch (e) {
    throw bad(i, `invalid regular expression pattern: ${e instanceof Error ? e.message : String(e)}.`);
  }
}

/** The value regex() yields for one match: whole match, list of captures, or named object. */
function matchShape(re: RegExp, m: RegExpExecArray, i: number): Value {
  const { count, names } = groupInfo(re);
  if (count === 0) return m[0];
  if (names.length > 0) {
    if (names.length !== count)
      throw bad(i, 'pattern must use either only named or only unnamed capture groups.');
    const o = newObject();
    for (const n of names) setKey(o, n, m.groups?.[n] ?? null);
    return o;
  }
  return m.slice(1).map((x) => x ?? null);
}

function resolvePath(ctx: EvalContext, p: string): string {
  return path.resolve(ctx.baseDir, p);
}

function readTextFile(ctx: EvalContext, args: Value[], i: number): [string, string] {
  const p = argStr(args, i);
  const abs = resolvePath(ctx, p);
  if (!existsSync(abs)) throw bad(i, `no file exists at "${p}" (looked for ${abs}).`);
  if (statSync(abs).isDirectory()) throw bad(i, `"${p}" is a directory, not a file.`);
  const bytes = readFileSync(abs);
  try {
    return [new TextDecoder('utf-8', { fatal: true }).decode(bytes), abs];
  } catch {
    throw bad(i, `contents of "${p}" are not valid UTF-8.`);
  }
}

function hash(alg: string): FunctionImpl {
  return def(['str'], (a) => createHash(alg).update(argStr(a, 0), 'utf8').digest('hex'));
}

/** Go's filepath.Clean for slash paths. */
function cleanPath(p: string): string {
  if (p === '') return '.';
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Go's strings.Title: upper-case the first letter of each word. */
function title(s: string): string {
  let prevSep = true;
  const out: string[] = [];
  for (const c of s) {
    out.push(prevSep ? c.toUpperCase() : c);
    // Letters, digits and underscore continue a word; anything else separates words.
    prevSep = !/[\p{L}\p{N}_]/u.test(c);
  }
  return out.join('');
}

function yamlEncode(v: Value): string {
  const Y = yaml();
  const doc = new Y.Document(v, { sortMapEntries: true });
  // Terraform quotes every string (keys included) and writes multi-line strings as blocks.
  Y.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string') {
        node.type = node.value.includes('\n') ? 'BLOCK_LITERAL' : 'QUOTE_DOUBLE';
      }
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0 });
}

function toValue(v: unknown): Value {
  // JSON/YAML decoders only yield JSON-like data; dates and such are stringified by YAML's
  // core schema already, so this only narrows the type.
  return v as Value;
}

// ---- the registry ---------------------------------------------------------------------------

export const standardFunctions: Record<string, FunctionImpl> = {
  // collections
  length: def(['value'], (a) => {
    const v = argAny(a, 0);
    if (typeof v === 'string') return graphemes(v).length;
    if (Array.isArray(v)) return v.length;
    if (isObject(v)) return Object.keys(v).length;
    throw bad(0, `argument must be a string, a collection type, or a structural type, but have ${got(v)}.`);
  }),
  concat: def(['seqs+'], (a) => restLists(a, 0).flat(1)),
  merge: def(['maps...'], (a) => {
    const out = newObject();
    a.forEach((v, i) => {
      if (v === null) return;
      if (!isObject(v)) throw bad(i, `arguments must be maps or objects, but have ${got(v)}.`);
      for (const k of Object.keys(v)) setKey(out, k, v[k] as Value);
    });
    return out;
  }),
  keys: def(['inputMap'], (a) => sortedKeys(argObj(a, 0))),
  values: def(['mapping'], (a) => {
    const o = argObj(a, 0);
    return sortedKeys(o).map((k) => o[k] as Value);
  }),
  lookup: def(['inputMap', 'key', 'default?'], (a) => {
    const o = argObj(a, 0);
    const k = argStr(a, 1);
    if (hasKey(o, k)) return o[k] as Value;
    if (a.length > 2) return argAny(a, 2);
    throw bad(1, `lookup failed to find key "${k}".`);
  }),
  contains: def(['list', 'value'], (a) => argList(a, 0).some((x) => deepEqual(x, argAny(a, 1)))),
  distinct: def(['list'], (a) => distinctValues(argList(a, 0))),
  flatten: def(['list'], (a) => {
    const out: Value[] = [];
    const walk = (l: Value[]): void => {
      for (const x of l)
        if (Array.isArray(x)) walk(x);
        else out.push(x);
    };
    walk(argList(a, 0));
    return out;
  }),
  range: def(['start', 'limit?', 'step?'], (a) => {
    let start = 0;
    let limit: number;
    if (a.length === 1) limit = argNum(a, 0);
    else {
      start = argNum(a, 0);
      limit = argNum(a, 1);
    }
    const step = a.length === 3 ? argNum(a, 2) : start <= limit ? 1 : -1;
    if (step === 0) throw bad(2, 'step must not be zero.');
    if ((step > 0 && start > limit) || (step < 0 && start < limit)) {
      if (a.length === 3)
        throw bad(
          2,
          `step ${formatNumber(step)} can never reach limit ${formatNumber(limit)} from ${formatNumber(start)}.`,
        );
    }
    const count = Math.max(Math.ceil((limit - start) / step), 0);
    if (count > 1024)
      throw new FunctionCallError(
        `more than 1024 values were generated; either decrease the difference between start and limit or use a smaller step`,
      );
    return Array.from({ length: count }, (_, i) => start + i * step);
  }),
  element: def(['list', 'index'], (a) => {
    const l = argList(a, 0);
    const i = argInt(a, 1);
    if (l.length === 0) throw bad(0, 'cannot use element function with an empty list.');
    if (i < 0) throw bad(1, 'cannot use element function with a negative index.');
    return l[i % l.length] as Value;
  }),
  index: def(['list', 'value'], (a) => {
    const l = argList(a, 0);
    const v = argAny(a, 1);
    const i = l.findIndex((x) => deepEqual(x, v));
    if (i < 0) throw bad(1, 'item not found in the list.');
    return i;
  }),
  coalesce: def(['vals+'], (a) => {
    for (const v of a) if (v !== null && v !== '') return v;
    throw new FunctionCallError('no non-null, non-empty-string arguments.');
  }),
  coalescelist: def(['vals+'], (a) => {
    for (let i = 0; i < a.length; i++) {
      const l = argList(a, i);
      if (l.length > 0) return l;
    }
    throw new FunctionCallError('no non-empty list arguments.');
  }),
  compact: def(['list'], (a) => {
    // Nulls are dropped like empty strings, so they are not an error here.
    const l = argList(a, 0).filter((x) => x !== null);
    return argStrList([l], 0).filter((s) => s !== '');
  }),
  reverse: def(['list'], (a) => [...argList(a, 0)].reverse()),
  sort: def(['list'], (a) => argStrList(a, 0).sort(compareStrings)),
  slice: def(['list', 'start_index', 'end_index'], (a) => {
    const l = argList(a, 0);
    const s = argInt(a, 1);
    const e = argInt(a, 2);
    if (s < 0) throw bad(1, 'start index must not be less than zero.');
    if (e > l.length)
      throw bad(2, `end index must not be greater than the length of the list (${l.length}).`);
    if (s > e) throw bad(1, 'start index must not be greater than end index.');
    return l.slice(s, e);
  }),
  zipmap: def(['keys', 'values'], (a) => {
    const ks = argStrList(a, 0);
    const vs = argList(a, 1);
    if (ks.length !== vs.length) {
      throw bad(1, `number of keys (${ks.length}) does not match number of values (${vs.length}).`);
    }
    const o = newObject();
    ks.forEach((k, i) => setKey(o, k, vs[i] as Value));
    return o;
  }),
  chunklist: def(['list', 'size'], (a) => {
    const l = argList(a, 0);
    const n = argInt(a, 1);
    if (n < 0) throw bad(1, 'the size argument must be positive.');
    if (n === 0) return [l];
    const out: Value[] = [];
    for (let i = 0; i < l.length; i += n) out.push(l.slice(i, i + n));
    return out;
  }),
  one: def(['list'], (a) => {
    const l = argList(a, 0);
    if (l.length > 1)
      throw bad(
        0,
        `must be a list, set, or tuple value with either zero or one elements, but have ${l.length}.`,
      );
    return l[0] ?? null;
  }),
  alltrue: def(['list'], (a) =>
    argList(a, 0).every((x, j) => {
      const b = asBool(x);
      if (b === undefined) throw bad(0, `element ${j} is ${got(x)}; a list of bools is required.`);
      return b;
    }),
  ),
  anytrue: def(['list'], (a) =>
    argList(a, 0).some((x, j) => {
      const b = asBool(x);
      if (b === undefined) throw bad(0, `element ${j} is ${got(x)}; a list of bools is required.`);
      return b;
    }),
  ),
  setunion: def(['sets+'], (a) => setOrder(restLists(a, 0).flat(1))),
  setintersection: def(['sets+'], (a) => {
    const [first = [], ...rest] = restLists(a, 0);
    return setOrder(first.filter((x) => rest.every((l) => l.some((y) => deepEqual(x, y)))));
  }),
  setsubtract: def(['a', 'b'], (a) => {
    const b = argList(a, 1);
    return setOrder(argList(a, 0).filter((x) => !b.some((y) => deepEqual(x, y))));
  }),

  // numbers
  min: def(['numbers+'], (a) => Math.min(...a.map((_, i) => argNum(a, i)))),
  max: def(['numbers+'], (a) => Math.max(...a.map((_, i) => argNum(a, i)))),
  abs: def(['num'], (a) => Math.abs(argNum(a, 0))),
  ceil: def(['num'], (a) => Math.ceil(argNum(a, 0))),
  floor: def(['num'], (a) => Math.floor(argNum(a, 0))),
  pow: def(['num', 'power'], (a) => Math.pow(argNum(a, 0), argNum(a, 1))),
  signum: def(['num'], (a) => Math.sign(argNum(a, 0)) || 0),
  sum: def(['list'], (a) => {
    const l = argList(a, 0);
    if (l.length === 0) throw bad(0, 'cannot sum an empty list.');
    return l.reduce<number>((acc, x, j) => {
      const n = asNumber(x);
      if (n === undefined) throw bad(0, `element ${j} is ${got(x)}; a list of numbers is required.`);
      return acc + n;
    }, 0);
  }),
  parseint: def(['number', 'base'], (a) => {
    const s = argStr(a, 0);
    const base = argInt(a, 1);
    if (base < 2 || base > 62) throw bad(1, 'base must be a whole number between 2 and 62 inclusive.');
    const digits = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.slice(0, base);
    const body = s.replace(/^[-+]/, '');
    const alphabet = base <= 36 ? digits.toLowerCase() : digits;
    const norm = base <= 36 ? body.toLowerCase() : body;
    if (body === '' || [...norm].some((c) => !alphabet.includes(c))) {
      throw bad(0, `cannot parse "${s}" as a base ${base} integer.`);
    }
    let n = 0;
    for (const c of norm) n = n * base + alphabet.indexOf(c);
    return s.startsWith('-') ? -n : n;
  }),

  // strings
  join: def(['separator', 'lists+'], (a) => {
    const sep = argStr(a, 0);
    const parts: string[] = [];
    for (let i = 1; i < a.length; i++) {
      argList(a, i).forEach((x, j) => {
        if (x === null) throw bad(i, `element ${j} is null; cannot concatenate null values.`);
        const s = asString(x);
        if (s === undefined) throw bad(i, `element ${j} is ${got(x)}; a list of strings is required.`);
        parts.push(s);
      });
    }
    return parts.join(sep);
  }),
  split: def(['separator', 'str'], (a) => {
    const sep = argStr(a, 0);
    const s = argStr(a, 1);
    return sep === '' ? [...s] : s.split(sep);
  }),
  format: def(['format', 'args...'], (a) => formatValues(argStr(a, 0), a.slice(1))),
  formatlist: def(['format', 'args...'], (a) => {
    const fmt = argStr(a, 0);
    const rest = a.slice(1);
    let n: number | undefined;
    rest.forEach((v, i) => {
      if (!Array.isArray(v)) return;
      if (n !== undefined && v.length !== n) {
        throw bad(
          i + 1,
          `argument ${i + 2} has length ${v.length}, which is inconsistent with previous list arguments (${n}).`,
        );
      }
      n = v.length;
    });
    if (n === undefined) return [formatValues(fmt, rest)];
    return Array.from({ length: n }, (_, j) =>
      formatValues(
        fmt,
        rest.map((v) => (Array.isArray(v) ? (v[j] as Value) : v)),
      ),
    );
  }),
  upper: def(['str'], (a) => argStr(a, 0).toUpperCase()),
  lower: def(['str'], (a) => argStr(a, 0).toLowerCase()),
  title: def(['str'], (a) => title(argStr(a, 0))),
  strrev: def(['str'], (a) => graphemes(argStr(a, 0)).reverse().join('')),
  replace: def(['str', 'substr', 'replace'], (a) => {
    const s = argStr(a, 0);
    const sub = argStr(a, 1);
    const rep = argStr(a, 2);
    if (sub.length > 1 && sub.startsWith('/') && sub.endsWith('/')) {
      let re: RegExp;
      try {
        re = compileGoRegex(sub.slice(1, -1), true);
      } catch (e) {
        throw bad(1, `invalid regular expression pattern: ${e instanceof Error ? e.message : String(e)}.`);
      }
      return s.replace(re, (...m) => {
        // Rebuild an exec-style match so Go's $name template can be expanded.
        const groups =
          typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as Record<string, string>) : undefined;
        const caps = m.slice(0, groups ? -3 : -2) as string[];
        const arr = Object.assign([...caps], { groups, index: 0, input: s }) as unknown as RegExpExecArray;
        return expandGoTemplate(rep, arr);
      });
    }
    return sub === '' ? s : s.split(sub).join(rep);
  }),
  trimspace: def(['str'], (a) => argStr(a, 0).trim()),
  trim: def(['str', 'cutset'], (a) => {
    const cut = new Set(argStr(a, 1));
    const cs = [...argStr(a, 0)];
    let i = 0;
    let j = cs.length;
    while (i < j && cut.has(cs[i] as string)) i++;
    while (j > i && cut.has(cs[j - 1] as string)) j--;
    return cs.slice(i, j).join('');
  }),
  trimprefix: def(['str', 'prefix'], (a) => {
    const s = argStr(a, 0);
    const p = argStr(a, 1);
    return s.startsWith(p) ? s.slice(p.length) : s;
  }),
  trimsuffix: def(['str', 'suffix'], (a) => {
    const s = argStr(a, 0);
    const p = argStr(a, 1);
    return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  }),
  substr: def(['str', 'offset', 'length'], (a) => {
    const g = graphemes(argStr(a, 0));
    let off = argInt(a, 1);
    const len = argInt(a, 2);
    if (off < 0) off = Math.max(g.length + off, 0);
    if (off > g.length) return '';
    return (len < 0 ? g.slice(off) : g.slice(off, off + len)).join('');
  }),
  startswith: def(['str', 'prefix'], (a) => argStr(a, 0).startsWith(argStr(a, 1))),
  endswith: def(['str', 'suffix'], (a) => argStr(a, 0).endsWith(argStr(a, 1))),
  regex: def(['pattern', 'string'], (a) => {
    const re = regexArg(a, 0);
    const m = re.exec(argStr(a, 1));
    if (!m) throw new FunctionCallError('pattern did not match any part of the given string.');
    return matchShape(re, m, 0);
  }),
  regexall: def(['pattern', 'string'], (a) => {
    const re = regexArg(a, 0, true);
    return [...argStr(a, 1).matchAll(re)].map((m) => matchShape(re, m, 0));
  }),
  indent: def(['spaces', 'str'], (a) => {
    const n = argInt(a, 0);
    if (n < 0) throw bad(0, 'spaces must not be negative.');
    return argStr(a, 1).replaceAll('\n', '\n' + ' '.repeat(n));
  }),
  chomp: def(['str'], (a) => argStr(a, 0).replace(/(?:\r\n|\n|\r)+$/, '')),

  // conversions
  tostring: def(['v'], (a) => {
    const v = argAny(a, 0);
    if (v === null) return null;
    const s = asString(v);
    if (s === undefined) throw bad(0, `cannot convert ${got(v)} to string.`);
    return s;
  }),
  tonumber: def(['v'], (a) => {
    const v = argAny(a, 0);
    if (v === null) return null;
    const n = asNumber(v);
    if (n === undefined)
      throw bad(0, `cannot convert ${typeof v === 'string' ? JSON.stringify(v) : got(v)} to number.`);
    return n;
  }),
  tobool: def(['v'], (a) => {
    const v = argAny(a, 0);
    if (v === null) return null;
    const b = asBool(v);
    if (b === undefined)
      throw bad(0, `cannot convert ${typeof v === 'string' ? JSON.stringify(v) : got(v)} to bool.`);
    return b;
  }),
  tolist: def(['v'], (a) => {
    const v = argAny(a, 0);
    if (v === null) return null;
    if (!Array.isArray(v)) throw bad(0, `cannot convert ${got(v)} to list.`);
    return unifyPrimitives(v, 0);
  }),
  toset: def(['v'], (a) => {
    const v = argAny(a, 0);
    if (v === null) return null;
    if (!Array.isArray(v)) throw bad(0, `cannot convert ${got(v)} to set.`);
    return setOrder(unifyPrimitives(v, 0));
  }),
  tomap: def(['v'], (a) => {
    const v = argAny(a, 0);
    if (v === null) return null;
    if (!isObject(v)) throw bad(0, `cannot convert ${got(v)} to map.`);
    const ks = Object.keys(v);
    const unified = unifyPrimitives(
      ks.map((k) => v[k] as Value),
      0,
    );
    const o = newObject();
    ks.forEach((k, i) => setKey(o, k, unified[i] as Value));
    return o;
  }),

  // encodings
  jsonencode: def(['value'], (a) => {
    try {
      return jsonEncode(argAny(a, 0));
    } catch (e) {
      throw bad(0, e instanceof Error ? e.message : String(e));
    }
  }),
  jsondecode: def(['str'], (a) => {
    try {
      return toValue(JSON.parse(argStr(a, 0)));
    } catch (e) {
      if (e instanceof FunctionArgError) throw e;
      throw bad(0, `invalid JSON: ${e instanceof Error ? e.message : String(e)}.`);
    }
  }),
  yamlencode: def(['value'], (a) => yamlEncode(argAny(a, 0))),
  yamldecode: def(['src'], (a) => {
    const src = argStr(a, 0);
    const docs = yaml().parseAllDocuments(src, { merge: true });
    const list = Array.isArray(docs) ? docs : [docs];
    if (list.length > 1) throw bad(0, 'the string contains more than one YAML document.');
    const doc = list[0];
    if (!doc) return null;
    const err = doc.errors[0];
    if (err) throw bad(0, `invalid YAML: ${err.message.split('\n')[0] ?? err.message}.`);
    return toValue(doc.toJS({ maxAliasCount: 1000 }));
  }),
  base64encode: def(['str'], (a) => Buffer.from(argStr(a, 0), 'utf8').toString('base64')),
  base64decode: def(['str'], (a) => {
    const s = argStr(a, 0);
    if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
      throw bad(0, 'failed to decode base64 data: the string is not valid base64.');
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(s, 'base64'));
    } catch {
      throw bad(0, 'the result of decoding the provided string is not valid UTF-8.');
    }
  }),
  // Go's url.QueryEscape: space becomes "+", only A-Z a-z 0-9 - _ . ~ stay as they are.
  urlencode: def(['str'], (a) =>
    encodeURIComponent(argStr(a, 0))
      .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
      .replaceAll('%20', '+'),
  ),
  sha1: hash('sha1'),
  sha256: hash('sha256'),
  sha512: hash('sha512'),
  md5: hash('md5'),

  // files and paths
  file: def(['path'], (a, ctx) => readTextFile(ctx, a, 0)[0]),
  fileexists: def(['path'], (a, ctx) => {
    const p = argStr(a, 0);
    const abs = resolvePath(ctx, p);
    if (!existsSync(abs)) return false;
    if (statSync(abs).isDirectory()) throw bad(0, `"${p}" is a directory, not a file.`);
    return true;
  }),
  templatefile: def(['path', 'vars'], (a, ctx) => {
    const p = argStr(a, 0);
    const vars = argObj(a, 1);
    const abs = resolvePath(ctx, p);
    if (!existsSync(abs)) throw bad(0, `no file exists at "${p}" (looked for ${abs}).`);
    return renderTemplateFile(abs, vars, p);
  }),
  abspath: def(['path'], (a, ctx) => resolvePath(ctx, argStr(a, 0)).split(path.sep).join('/')),
  basename: def(['path'], (a) => {
    const p = argStr(a, 0).replace(/\/+$/, '');
    if (p === '') return argStr(a, 0) === '' ? '.' : '/';
    return p.slice(p.lastIndexOf('/') + 1);
  }),
  dirname: def(['path'], (a) => {
    const p = argStr(a, 0);
    return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
  }),
};
