/**
 * Type checking of a block's evaluated arguments against its JSON Schema (ajv), each
 * violation reported at the argument's expression.
 */
import { createRequire } from 'node:module';
import type { Value } from './hcl/ast.js';
import type { Diagnostics } from '../diags/diagnostic.js';
import type { DecodedBlock } from './decode.js';
import type { BlockDef } from './schema.js';

const require = createRequire(import.meta.url);

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}
type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

const compiled = new Map<string, Validate>();
let ajv: { compile(s: unknown): Validate } | undefined;

function validator(def: BlockDef): Validate {
  let v = compiled.get(def.name);
  if (v) return v;
  if (!ajv) {
    const Ajv = require('ajv') as { default: new (o: object) => { compile(s: unknown): Validate } };
    // coerceTypes: HCL converts a number or bool to the string an argument wants, as Terraform does.
    ajv = new Ajv.default({ allErrors: true, strict: false, coerceTypes: true });
  }
  v = ajv.compile(def.jsonSchema);
  compiled.set(def.name, v);
  return v;
}

/** Returns false (with diagnostics) when a value has the wrong type. */
export function checkValues(b: DecodedBlock, values: Record<string, Value>, diags: Diagnostics): boolean {
  const v = validator(b.def);
  // null means "unset" for an argument, as in Terraform.
  const data: Record<string, Value> = {};
  for (const [k, x] of Object.entries(values)) if (x !== null) data[k] = x;
  const ok = v(data);
  for (const [k, x] of Object.entries(data)) values[k] = x;
  if (ok) return true;
  const what = b.labels.length ? `${b.type} "${b.labels[0]}"` : b.type;
  const seen = new Set<string>();
  for (const e of v.errors ?? []) {
    const parts = e.instancePath.split('/').filter(Boolean);
    const attr = parts[0];
    if (!attr || seen.has(attr)) continue;
    seen.add(attr);
    const a = b.attrs.get(attr);
    const sub = parts.length > 1 ? ` at ${parts.slice(1).join('.')}` : '';
    diags.error(
      `Invalid value for "${attr}" in ${what}`,
      a?.expr.range ?? b.typeRange,
      `${describe(e)}${sub}.`,
    );
  }
  return false;
}

const HCL_TYPE_NAMES: Record<string, string> = {
  array: 'list',
  object: 'object (map)',
  boolean: 'bool',
  integer: 'whole number',
};

function describe(e: AjvError): string {
  switch (e.keyword) {
    case 'type':
      // In HCL's words: users write lists and bools, not JSON arrays and booleans.
      return `${String(e.params['type'])
        .split(',')
        .map((t) => HCL_TYPE_NAMES[t] ?? t)
        .join(' or ')} required`;
    case 'enum':
      return `must be one of ${(e.params['allowedValues'] as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
    case 'pattern':
      return `must match ${String(e.params['pattern'])}`;
    default:
      return e.message ?? e.keyword;
  }
}
