/**
 * Expansion: the evaluated configuration becomes desired instances per host — containers,
 * volumes, rendered config files with their config.json, bootstrap tasks and images —
 * each with its address and its dependencies (explicit `depends_on` and implicit edges).
 *
 * One expander per block type, sharing one context (context.ts); nothing here keeps state
 * between expansions or changes the decoded blocks.
 */
import type { Config } from '../config/config.js';
import type { Diagnostics } from '../diags/diagnostic.js';
import { expandContext } from './context.js';
import { placeServices } from './services.js';
import { placeVolumes, volumeInstances } from './volumes.js';
import { containerSink, expandContainers } from './containers.js';
import { expandBootstraps } from './bootstraps.js';
import { imageInstances } from './images.js';
import { linkServices, pruneDependencies, type ServiceMembers } from './dependencies.js';
import { warnUnusedOverrides } from './overrides.js';
import { evalOutputs, type Outputs } from './outputs.js';
import type { Instance } from './instances.js';

export { KOLLA_CONFIG_MOUNT } from './instances.js';

export interface Expansion {
  instances: Instance[];
  /** Outputs evaluated against the configuration. */
  outputs: Outputs;
}

export function expand(config: Config, diags: Diagnostics): Expansion {
  const ctx = expandContext(config, diags);
  // 1. Where each enabled service and each volume is placed.
  const services = placeServices(ctx);
  const volumes = placeVolumes(ctx);

  // 2. Per service: its containers and config files on each host, then its bootstraps.
  const sink = containerSink();
  const members = new Map<string, ServiceMembers>();
  for (const svc of services) {
    const containers = expandContainers(ctx, svc, sink);
    const bootstraps = expandBootstraps(ctx, svc, containers, sink.volumeUse);
    sink.instances.push(...bootstraps);
    members.set(svc.name, { containers, bootstraps });
  }

  // 3. Volumes where declared or mounted, images where run.
  const vols = volumeInstances(ctx, volumes, sink.volumeUse);
  const instances = [...sink.instances, ...vols.instances, ...imageInstances(ctx, sink.imageUse)];

  // 4. Dependencies between services, then edges to what does not exist.
  linkServices(services, members);
  pruneDependencies(ctx, instances, vols.reported);

  warnUnusedOverrides(ctx);
  return { instances, outputs: evalOutputs(ctx) };
}
