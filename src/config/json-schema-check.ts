/**
 * A small JSON Schema checker for the keywords the block schemas use (type, enum, pattern,
 * properties, required, additionalProperties, items, minimum, maximum, minItems). It
 * replaces ajv on the hot path: compiling ajv validators cost ~0.3 s of every run, which
 * was most of a no-op plan. Like ajv with coerceTypes, it converts scalars to the type an
 * argument wants (5 → "5", "true" → true), as HCL does.
 */

export interface SchemaError {
  /** JSON pointer of the offending value, e.g. `/environment/DEBUG`. */
  path: string;
  message: string;
}

type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matches(v: unknown, t: string): boolean {
  const a = typeOf(v);
  return a === t || (t === 'number' && a === 'integer');
}

function coerce(v: unknown, t: string): { ok: boolean; value?: unknown } {
  if (t === 'string' && (typeof v === 'number' || typeof v === 'boolean'))
    return { ok: true, value: String(v) };
  if (
    (t === 'number' || t === 'integer') &&
    typeof v === 'string' &&
    v.trim() !== '' &&
    !Number.isNaN(Number(v))
  ) {
    const n = Number(v);
    if (t === 'integer' && !Number.isInteger(n)) return { ok: false };
    return { ok: true, value: n };
  }
  if (t === 'boolean' && (v === 'true' || v === 'false')) return { ok: true, value: v === 'true' };
  return { ok: false };
}

const TYPE_WORD: Record<string, string> = {
  string: 'string',
  number: 'number',
  integer: 'whole number',
  boolean: 'bool',
  array: 'list',
  object: 'object',
};

/**
 * Check `value` against `schema`; returns the (possibly coerced) value and the errors.
 */
export interface CheckOptions {
  /** Convert scalars to the wanted type (config arguments); off for stored data. */
  coerce?: boolean;
  /** The document `$ref`s resolve in (`#/$defs/name`, `#/definitions/name`). */
  root?: Schema;
}

export function checkSchema(
  value: unknown,
  schemaIn: Schema,
  path = '',
  opts: CheckOptions = { coerce: true },
): { value: unknown; errors: SchemaError[] } {
  const errors: SchemaError[] = [];
  let v = value;
  let schema = schemaIn;
  while (typeof schema['$ref'] === 'string') {
    const ref = schema['$ref'];
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
    const target = m ? (opts.root?.[m[1]!] as Record<string, Schema> | undefined)?.[m[2]!] : undefined;
    if (!target) {
      errors.push({ path, message: `schema reference ${ref} not found` });
      return { value: v, errors };
    }
    schema = target;
  }
  // A union discriminated by one property's `const` (the state's resources, by kind): the
  // branch whose constant matches is checked, so the errors are that branch's only.
  if (Array.isArray(schema['oneOf'])) {
    const branch = discriminatedBranch(v, schema['oneOf'] as Schema[], opts.root);
    if (!branch.ok) {
      errors.push({ path: branch.key === undefined ? path : `${path}/${branch.key}`, message: branch.error });
      return { value: v, errors };
    }
    return checkSchema(v, branch.schema, path, opts);
  }
  const types =
    schema['type'] === undefined
      ? []
      : Array.isArray(schema['type'])
        ? (schema['type'] as string[])
        : [schema['type'] as string];
  if (types.length && !types.some((t) => matches(v, t))) {
    let fixed = false;
    for (const t of opts.coerce === false ? [] : types) {
      const c = coerce(v, t);
      if (c.ok) {
        v = c.value;
        fixed = true;
        break;
      }
    }
    if (!fixed) {
      errors.push({
        path,
        message: `${types.map((t) => TYPE_WORD[t] ?? t).join(' or ')} required, got ${TYPE_WORD[typeOf(v)] ?? typeOf(v)}`,
      });
      return { value: v, errors };
    }
  }
  if (schema['const'] !== undefined && v !== schema['const']) {
    errors.push({ path, message: `must be ${JSON.stringify(schema['const'])}` });
  }
  if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).some((e) => e === v)) {
    errors.push({
      path,
      message: `must be one of ${(schema['enum'] as unknown[]).map((e) => JSON.stringify(e)).join(', ')}`,
    });
  }
  if (
    typeof v === 'string' &&
    typeof schema['pattern'] === 'string' &&
    !new RegExp(schema['pattern']).test(v)
  ) {
    errors.push({ path, message: `must match ${schema['pattern']}` });
  }
  if (typeof v === 'string' && typeof schema['minLength'] === 'number' && v.length < schema['minLength']) {
    errors.push({ path, message: `must be at least ${schema['minLength']} character(s)` });
  }
  if (typeof v === 'number') {
    if (typeof schema['minimum'] === 'number' && v < schema['minimum'])
      errors.push({ path, message: `must be >= ${schema['minimum']}` });
    if (typeof schema['maximum'] === 'number' && v > schema['maximum'])
      errors.push({ path, message: `must be <= ${schema['maximum']}` });
  }
  if (Array.isArray(v)) {
    if (typeof schema['minItems'] === 'number' && v.length < schema['minItems']) {
      errors.push({ path, message: `must have at least ${schema['minItems']} element(s)` });
    }
    const items = schema['items'] as Schema | undefined;
    if (items) {
      v = v.map((x, i) => {
        const r = checkSchema(x, items, `${path}/${i}`, opts);
        errors.push(...r.errors);
        return r.value;
      });
    }
  } else if (v !== null && typeof v === 'object') {
    const obj = { ...(v as Record<string, unknown>) };
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const r of (schema['required'] as string[] | undefined) ?? []) {
      if (!(r in obj)) errors.push({ path, message: `attribute "${r}" is required` });
    }
    const extra = schema['additionalProperties'];
    for (const [k, x] of Object.entries(obj)) {
      const ps = props[k];
      if (ps) {
        const r = checkSchema(x, ps, `${path}/${k}`, opts);
        errors.push(...r.errors);
        obj[k] = r.value;
      } else if (extra === false) {
        errors.push({ path, message: `unexpected attribute "${k}"` });
      } else if (extra && typeof extra === 'object') {
        const r = checkSchema(x, extra as Schema, `${path}/${k}`, opts);
        errors.push(...r.errors);
        obj[k] = r.value;
      }
    }
    v = obj;
  }
  return { value: v, errors };
}

function deref(s: Schema, root: Schema | undefined): Schema {
  let out = s;
  while (typeof out['$ref'] === 'string') {
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(out['$ref']);
    const t = m ? (root?.[m[1]!] as Record<string, Schema> | undefined)?.[m[2]!] : undefined;
    if (!t) return out;
    out = t;
  }
  return out;
}

/** The `oneOf` branch whose discriminating `const` property `v` has, or why there is none. */
function discriminatedBranch(
  v: unknown,
  branches: Schema[],
  root: Schema | undefined,
): { ok: true; schema: Schema } | { ok: false; error: string; key?: string } {
  const resolved = branches.map((b) => deref(b, root));
  const key = Object.entries((resolved[0]?.['properties'] ?? {}) as Record<string, Schema>).find(
    ([, p]) => p['const'] !== undefined,
  )?.[0];
  if (key === undefined) return { ok: false, error: 'schema: oneOf without a discriminating const property' };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, error: 'object required' };
  const got = (v as Record<string, unknown>)[key];
  const consts = resolved.map((b) => ((b['properties'] as Record<string, Schema>)[key] ?? {})['const']);
  const i = consts.findIndex((c) => c === got);
  if (i < 0)
    return { ok: false, error: `must be one of ${consts.map((c) => JSON.stringify(c)).join(', ')}`, key };
  return { ok: true, schema: resolved[i]! };
}
