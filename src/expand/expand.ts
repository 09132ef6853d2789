/**
 * Expansion: the evaluated configuration becomes desired instances per host — containers,
 * volumes, rendered config files with their config.json, bootstrap tasks, post-start tasks,
 * databases and images —
 * each with its address and its dependencies (explicit `depends_on` and implicit edges).
 *
 * One expander per block type, sharing one context (context.ts), run for the root module and
 * for every module instance it calls (addresses prefixed `module.NAME[KEY].`); nothing here
 * keeps state between expansions or changes the decoded blocks.
 */
import type { Config } from '../config/config.js';
import type { Diagnostics } from '../diags/diagnostic.js';
import { expandContext } from './context.js';
import { placeServices } from './services.js';
import { placeVolumes, volumeInstances, type VolumeUse } from './volumes.js';
import { containerSink, expandContainers } from './containers.js';
import { expandBootstraps } from './bootstraps.js';
import { expandTasks, type ExpandedTask } from './tasks.js';
import { expandDatabases } from './databases.js';
import { expandRabbitmqUsers } from './rabbitmq-users.js';
import { imageInstances } from './images.js';
import { linkBackups } from './backups.js';
import {
  linkModules,
  linkTasks,
  linkServices,
  pruneDependencies,
  type ServiceMembers,
} from './dependencies.js';
import { warnUnusedOverrides } from './overrides.js';
import { evalOutputs, type Outputs } from './outputs.js';
import type { Instance, VolumeInstance } from './instances.js';

export { KOLLA_CONFIG_MOUNT } from './instances.js';

export interface Expansion {
  instances: Instance[];
  /** Outputs evaluated against the configuration. */
  outputs: Outputs;
}

export function expand(config: Config, diags: Diagnostics): Expansion {
  const root = expandContext(config, diags);
  const shared = containerSink();
  const instances: Instance[] = [];
  const reported = new Set<string>();
  const placedVolumes = new Map<string, ReturnType<typeof placeVolumes>>();
  const volumeUse: VolumeUse[] = [];
  for (const module of config.modules) {
    const ctx = root.forModule(module);
    // 1. Where each enabled service and each volume is placed.
    const services = placeServices(ctx);
    placedVolumes.set(module.prefix, placeVolumes(ctx));

    // 2. Per service: its containers and config files on each host, then its bootstraps.
    const sink = containerSink(shared);
    const members = new Map<string, ServiceMembers>();
    const tasks: ExpandedTask[] = [];
    for (const svc of services) {
      const containers = expandContainers(ctx, svc, sink);
      const bootstraps = expandBootstraps(ctx, svc, containers, sink.volumeUse);
      sink.instances.push(...bootstraps);
      const databases = expandDatabases(ctx, svc, containers);
      sink.instances.push(...databases);
      const rabbitmqUsers = expandRabbitmqUsers(ctx, svc, containers);
      sink.instances.push(...rabbitmqUsers);
      members.set(svc.name, { containers, bootstraps, databases, rabbitmqUsers });
      tasks.push(...expandTasks(ctx, svc, containers));
    }
    linkServices(ctx, services, members);
    linkTasks(tasks, members);
    sink.instances.push(...tasks.map((t) => t.task));
    instances.push(...sink.instances);
    volumeUse.push(...sink.volumeUse);
  }
  // 3. Volumes where declared or mounted (a module's volume may be mounted in the modules it
  //    calls: every mount is known only now).
  for (const module of config.modules) {
    const vols = volumeInstances(
      root.forModule(module),
      placedVolumes.get(module.prefix)!,
      volumeUse.filter((u) => u.owner === module.prefix),
    );
    for (const a of vols.reported) reported.add(a);
    instances.push(...vols.instances);
  }
  // 4. Images where run; modules' dependencies; edges to what does not exist.
  instances.push(...imageInstances(root, shared.imageUse));
  linkModules(instances, config.modules);
  linkBackups(instances, diags);
  uniqueVolumeNames(instances, diags);
  pruneDependencies(root, instances, reported);

  warnUnusedOverrides(root);
  return { instances, outputs: evalOutputs(root) };
}

/** Two modules (or two instances of one) must not declare one Docker volume on one host. */
function uniqueVolumeNames(instances: readonly Instance[], diags: Diagnostics): void {
  const seen = new Map<string, VolumeInstance>();
  for (const i of instances) {
    if (i.kind !== 'volume') continue;
    const key = `${i.host}\0${i.spec.name}`;
    const prev = seen.get(key);
    if (prev) {
      diags.error(
        `Two volumes named "${i.spec.name}" on host "${i.host}"`,
        i.range,
        `${prev.address} and ${i.address} would both be the Docker volume "${i.spec.name}". Volume names must be unique per host (a module called more than once needs its volume names to differ, e.g. "\${var.name}_data").`,
      );
      continue;
    }
    seen.set(key, i);
  }
}
