/**
 * `moved { from = ... to = ... }` and `removed { from = ... }` blocks, from the root and from
 * every module instance (whose addresses are its own: they get the instance's prefix). The
 * addresses are references (`service.keystone`, `module.a["k"].service.x`) or strings.
 */
import type { Expr } from './hcl/ast.js';
import type { Diagnostics } from '../diags/diagnostic.js';
import { formatAddress, parseAddress, type Step } from '../addrs/address.js';
import type { ModuleInstance } from './modules.js';

export interface MoveDecl {
  from: string;
  to: string;
}

export interface StateEdits {
  moves: MoveDecl[];
  /** Addresses (prefixes) forgotten instead of destroyed. */
  removed: string[];
}

/** The address an expression names, or why not. */
function addressOf(expr: Expr): string | { error: string } {
  if (expr.kind === 'literal' && typeof expr.value === 'string') {
    const a = parseAddress(expr.value);
    return typeof a === 'string' ? { error: a } : formatAddress(a);
  }
  const steps: Step[] = [];
  let e: Expr = expr;
  for (;;) {
    if (e.kind === 'variable') {
      steps.unshift({ name: e.name });
      break;
    }
    if (e.kind === 'getattr') {
      steps.unshift({ name: e.name });
      e = e.object;
      continue;
    }
    if (
      e.kind === 'index' &&
      e.key.kind === 'literal' &&
      (typeof e.key.value === 'string' || typeof e.key.value === 'number')
    ) {
      steps.unshift({ key: e.key.value });
      e = e.object;
      continue;
    }
    return { error: 'an address such as service.keystone or module.openstack.service.keystone is required' };
  }
  const text = formatAddress({ module: [], steps });
  const a = parseAddress(text);
  return typeof a === 'string' ? { error: a } : formatAddress(a);
}

export function readStateEdits(modules: readonly ModuleInstance[], diags: Diagnostics): StateEdits {
  const out: StateEdits = { moves: [], removed: [] };
  const seenFrom = new Map<string, string>();
  for (const m of modules) {
    for (const b of m.blocks) {
      if (b.type !== 'moved' && b.type !== 'removed') continue;
      const addr = (name: 'from' | 'to'): string | undefined => {
        const a = b.attrs.get(name);
        if (!a) return undefined;
        const r = addressOf(a.expr);
        if (typeof r !== 'string') {
          diags.error(`Invalid "${name}" in ${b.type} block`, a.expr.range, r.error);
          return undefined;
        }
        return m.prefix + r;
      };
      const from = addr('from');
      if (b.type === 'removed') {
        if (from) out.removed.push(from);
        continue;
      }
      const to = addr('to');
      if (!from || !to) continue;
      if (from === to) {
        diags.error('A moved block moves nothing', b.typeRange, `from and to are both ${from}.`);
        continue;
      }
      const prev = seenFrom.get(from);
      if (prev !== undefined && prev !== to) {
        diags.error(`${from} is moved twice`, b.typeRange, `An earlier moved block sends it to ${prev}.`);
        continue;
      }
      seenFrom.set(from, to);
      out.moves.push({ from, to });
    }
  }
  return out;
}
