/**
 * Saved plans (`plan -out FILE`): the Plan as JSON, mode 0600, secrets masked. Applying one
 * is refused when the state moved on since (lineage or serial changed) or when the
 * configuration no longer gives the same changes.
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import type { Plan } from './plan.js';

export function savePlan(file: string, plan: Plan): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(plan, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

export function loadPlan(file: string): Plan | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return `cannot read plan file ${file}: ${(e as Error).message}`;
  }
  try {
    const p = JSON.parse(text) as Plan;
    if (p.format_version !== 1 || !Array.isArray(p.changes)) return `${file} is not a kolla plan file`;
    return p;
  } catch {
    return `${file} is not a kolla plan file (invalid JSON)`;
  }
}

/** Why a saved plan cannot be applied to this state, or undefined when it can. */
export function staleReason(plan: Plan, lineage: string, serial: number): string | undefined {
  if (plan.prior_lineage !== lineage) {
    return `the saved plan was made for state lineage "${plan.prior_lineage || '(none)'}", but the state's lineage is "${lineage || '(none)'}"`;
  }
  if (plan.prior_serial !== serial) {
    return `the state changed since the plan was saved (serial ${plan.prior_serial} then, ${serial} now)`;
  }
  return undefined;
}
