/**
 * Type checking of a block's evaluated arguments against its JSON Schema, each violation
 * reported at the argument's expression.
 */
import type { Value } from './hcl/ast.js';
import type { Diagnostics } from '../diags/diagnostic.js';
import type { DecodedBlock } from './decode.js';
import { checkSchema } from './json-schema-check.js';

/** Returns false (with diagnostics) when a value has the wrong type; coerces in place. */
export function checkValues(b: DecodedBlock, values: Record<string, Value>, diags: Diagnostics): boolean {
  // null means "unset" for an argument, as in Terraform.
  const data: Record<string, Value> = {};
  for (const [k, x] of Object.entries(values)) if (x !== null) data[k] = x;
  const r = checkSchema(data, b.def.jsonSchema);
  for (const [k, x] of Object.entries(r.value as Record<string, Value>)) values[k] = x;
  if (r.errors.length === 0) return true;
  const what = b.labels.length ? `${b.type} "${b.labels[0]}"` : b.type;
  const seen = new Set<string>();
  for (const e of r.errors) {
    const parts = e.path.split('/').filter(Boolean);
    const attr = parts[0];
    if (!attr || seen.has(attr)) continue;
    seen.add(attr);
    const a = b.attrs.get(attr);
    const sub = parts.length > 1 ? ` at ${parts.slice(1).join('.')}` : '';
    diags.error(
      `Invalid value for "${attr}" in ${what}`,
      a?.expr.range ?? b.typeRange,
      `${e.message}${sub}.`,
    );
  }
  return false;
}
