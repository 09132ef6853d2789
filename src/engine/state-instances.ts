/**
 * An earlier state turned back into desired instances, for `kolla rollback`: containers,
 * volumes and config files as they were then (secrets restored from the secrets file).
 * Bootstrap tasks are left out: they ran forward and cannot run backward.
 */
import type { Instance } from '../expand/instances.js';
import type { State } from '../states/state.js';
import type { SecretMasker } from '../states/secret-mask.js';

export function stateToInstances(state: State, masker: SecretMasker): Instance[] {
  const out: Instance[] = [];
  for (const r of state.resources) {
    const base = { address: r.address, host: r.host, dependsOn: r.dependencies };
    if (r.kind === 'container' && r.spec && r.options && r.service) {
      out.push({
        ...base,
        kind: 'container',
        service: r.service,
        spec: masker.unmaskDeep(r.spec),
        options: r.options,
      });
    } else if (r.kind === 'volume' && r.volume) {
      out.push({ ...base, kind: 'volume', spec: r.volume });
    } else if (r.kind === 'config' && r.path && r.content !== undefined && !r.sensitive) {
      out.push({
        ...base,
        kind: 'config',
        service: r.service ?? '',
        container: r.container ?? '',
        name: r.path.split('/').pop() ?? '',
        path: r.path,
        content: masker.unmask(r.content),
        mode: r.mode ?? '0600',
        sensitive: false,
      });
    }
  }
  const known = new Set(out.map((i) => i.address));
  for (const i of out) i.dependsOn = i.dependsOn.filter((d) => known.has(d));
  return out;
}
