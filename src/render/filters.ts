/**
 * Jinja2 and Ansible filters that Kolla's templates use and nunjucks lacks (or names
 * differently): bool, to_json, to_yaml, to_nice_yaml, unique, map(attribute=...),
 * select/reject with a test name, regex_replace, regex_search, ipwrap, mandatory, basename,
 * dirname, b64encode, b64decode, quote, and `default` with Jinja2's second argument.
 */
import path from 'node:path';
import type nunjucks from 'nunjucks';
import { yaml } from '../lazy/modules.js';

type Kw = Record<string, unknown> & { __keywords?: boolean };

/** nunjucks passes keyword arguments as a trailing object marked with __keywords. */
function splitKw(args: unknown[]): { pos: unknown[]; kw: Kw } {
  const last = args[args.length - 1] as Kw | undefined;
  if (last && typeof last === 'object' && last.__keywords) return { pos: args.slice(0, -1), kw: last };
  return { pos: args, kw: {} };
}

function truthy(v: unknown): boolean {
  if (typeof v === 'string') return ['yes', 'on', '1', 'true', 'y'].includes(v.trim().toLowerCase());
  return Boolean(v);
}

const TESTS: Record<string, (v: unknown, arg?: unknown) => boolean> = {
  defined: (v) => v !== undefined,
  undefined: (v) => v === undefined,
  none: (v) => v === null,
  truthy: (v) => Boolean(v),
  falsy: (v) => !v,
  true: (v) => v === true,
  false: (v) => v === false,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  equalto: (v, a) => v === a,
  eq: (v, a) => v === a,
  ne: (v, a) => v !== a,
  in: (v, a) => Array.isArray(a) && a.includes(v),
  match: (v, a) => typeof v === 'string' && new RegExp(`^(?:${String(a)})`).test(v),
  search: (v, a) => typeof v === 'string' && new RegExp(String(a)).test(v),
};

function pickTest(name: unknown): (v: unknown, arg?: unknown) => boolean {
  if (name === undefined) return (v) => Boolean(v);
  const t = TESTS[String(name)];
  if (!t) throw new Error(`unknown test "${String(name)}"`);
  return t;
}

function get(obj: unknown, attr: string): unknown {
  let cur = obj;
  for (const p of attr.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function addFilters(env: nunjucks.Environment): void {
  env.addFilter('bool', (v: unknown) => truthy(v));
  // Jinja2: default(value, default_value='', boolean=false); with boolean=true a falsy value
  // is replaced too. An undefined variable must reach the filter instead of failing.
  env.addFilter('default', (v: unknown, d: unknown = '', boolean: unknown = false) =>
    v === undefined || (truthy(boolean) && !v) ? d : v,
  );
  env.addFilter('d', (v: unknown, d: unknown = '', boolean: unknown = false) =>
    v === undefined || (truthy(boolean) && !v) ? d : v,
  );
  env.addFilter('to_json', (v: unknown, ...rest: unknown[]) => {
    const { kw } = splitKw(rest);
    return JSON.stringify(v, null, typeof kw['indent'] === 'number' ? kw['indent'] : undefined);
  });
  env.addFilter('to_nice_json', (v: unknown) => JSON.stringify(v, null, 4));
  env.addFilter('to_yaml', (v: unknown) => yaml().stringify(v, { indent: 2 }));
  env.addFilter('to_nice_yaml', (v: unknown) => yaml().stringify(v, { indent: 4 }));
  env.addFilter('unique', (v: unknown) =>
    Array.isArray(v) ? [...new Map(v.map((x) => [JSON.stringify(x), x])).values()] : v,
  );
  env.addFilter('map', (v: unknown, ...rest: unknown[]) => {
    const { pos, kw } = splitKw(rest);
    const list = Array.isArray(v) ? v : [];
    if (typeof kw['attribute'] === 'string')
      return list.map((x) => get(x, kw['attribute'] as string) ?? kw['default']);
    const f = pos[0];
    if (f === 'int') return list.map((x) => parseInt(String(x), 10));
    if (f === 'string') return list.map((x) => String(x));
    if (f === 'lower') return list.map((x) => String(x).toLowerCase());
    if (f === 'upper') return list.map((x) => String(x).toUpperCase());
    if (f === 'trim') return list.map((x) => String(x).trim());
    if (f === 'bool') return list.map(truthy);
    throw new Error(`map: unsupported filter ${String(f)}; use map(attribute="...")`);
  });
  env.addFilter('select', (v: unknown, test?: unknown, arg?: unknown) =>
    (Array.isArray(v) ? v : []).filter((x) => pickTest(test)(x, arg)),
  );
  env.addFilter('reject', (v: unknown, test?: unknown, arg?: unknown) =>
    (Array.isArray(v) ? v : []).filter((x) => !pickTest(test)(x, arg)),
  );
  env.addFilter('selectattr', (v: unknown, attr: string, test?: unknown, arg?: unknown) =>
    (Array.isArray(v) ? v : []).filter((x) => pickTest(test)(get(x, attr), arg)),
  );
  env.addFilter('rejectattr', (v: unknown, attr: string, test?: unknown, arg?: unknown) =>
    (Array.isArray(v) ? v : []).filter((x) => !pickTest(test)(get(x, attr), arg)),
  );
  env.addFilter('regex_replace', (v: unknown, pattern: string, replacement = '', ...rest: unknown[]) => {
    const { kw } = splitKw(rest);
    const flags = `g${kw['ignorecase'] ? 'i' : ''}${kw['multiline'] ? 'm' : ''}`;
    // Python's \1 backreferences become JavaScript's $1.
    return String(v ?? '').replace(new RegExp(pattern, flags), replacement.replace(/\\(\d)/g, '$$$1'));
  });
  env.addFilter('regex_search', (v: unknown, pattern: string) => {
    const m = new RegExp(pattern).exec(String(v ?? ''));
    return m ? m[0] : null;
  });
  // Ansible's ipwrap: IPv6 addresses in brackets, anything else unchanged.
  env.addFilter('ipwrap', (v: unknown) => {
    const s = String(v);
    return s.includes(':') && !s.startsWith('[') ? `[${s}]` : s;
  });
  env.addFilter('mandatory', (v: unknown, msg?: string) => {
    if (v === undefined) throw new Error(msg ?? 'Mandatory variable not defined.');
    return v;
  });
  env.addFilter('basename', (v: unknown) => path.posix.basename(String(v)));
  env.addFilter('dirname', (v: unknown) => path.posix.dirname(String(v)));
  env.addFilter('b64encode', (v: unknown) => Buffer.from(String(v)).toString('base64'));
  env.addFilter('b64decode', (v: unknown) => Buffer.from(String(v), 'base64').toString('utf8'));
  env.addFilter('quote', (v: unknown) => `'${String(v).replace(/'/g, `'"'"'`)}'`);
}
