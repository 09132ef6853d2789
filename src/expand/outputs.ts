/** Output blocks, evaluated against the configuration. */
import type { Value } from '../config/hcl/ast.js';
import type { ExpandContext } from './context.js';

export type Outputs = Record<string, { value: Value; sensitive: boolean }>;

export function evalOutputs(ctx: ExpandContext): Outputs {
  const { scope } = ctx.config;
  const outputs: Outputs = {};
  for (const b of ctx.config.blocks) {
    if (b.type !== 'output') continue;
    const v = b.attrs.get('value');
    if (!v) continue;
    const r = scope.tryEval(v.expr);
    if (!r.ok) continue;
    const s = b.attrs.get('sensitive');
    const sr = s ? scope.tryEval(s.expr) : { ok: true as const, value: false };
    outputs[b.labels[0]!] = { value: r.value, sensitive: sr.ok && sr.value === true };
  }
  return outputs;
}
