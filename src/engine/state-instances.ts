/**
 * An earlier state turned back into desired instances, for `kolla rollback`: each resource
 * as its kind rebuilds it (secrets restored from the secrets file). Kinds that cannot run
 * backward (bootstrap tasks) or whose content was never stored (sensitive files) are left out.
 */
import type { Instance } from '../expand/instances.js';
import type { State } from '../states/state.js';
import type { SecretMasker } from '../states/secret-mask.js';
import { kindOf } from '../kinds/registry.js';

export function stateToInstances(state: State, masker: SecretMasker): Instance[] {
  const out: Instance[] = [];
  for (const r of state.resources) {
    const i = kindOf(r.kind).fromState(r, masker);
    if (i) out.push(i);
  }
  const known = new Set(out.map((i) => i.address));
  for (const i of out) i.dependsOn = i.dependsOn.filter((d) => known.has(d));
  return out;
}
