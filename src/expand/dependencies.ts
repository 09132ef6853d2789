/**
 * Service-level dependencies: every container and bootstrap of a service waits for all
 * containers (and databases) of the services it depends on (`depends_on`), for the volumes it lists, and a
 * container for its own service's bootstraps; a task for the containers of the services it
 * names. Then edges to what does not exist are dropped;
 * a missing volume is an error unless it was already reported.
 */
import { addressMatches, parseAddress, volumeAddr } from '../addrs/address.js';
import type { ModuleInstance } from '../config/modules.js';
import type { ExpandContext } from './context.js';
import type {
  BootstrapInstance,
  ContainerInstance,
  DatabaseInstance,
  Instance,
  RabbitmqUserInstance,
} from './instances.js';
import type { PlacedService } from './services.js';

export interface ServiceMembers {
  containers: ContainerInstance[];
  bootstraps: BootstrapInstance[];
  /** Its database blocks: what depends on the service also waits for its databases. */
  databases?: DatabaseInstance[];
  /** Its rabbitmq_user blocks: what depends on the broker's service waits for its users too. */
  rabbitmqUsers?: RabbitmqUserInstance[];
}

/** What waits for a service waits for: its containers and its databases. */
function upstreamOf(m: ServiceMembers | undefined): string[] {
  return [...(m?.containers ?? []), ...(m?.databases ?? []), ...(m?.rabbitmqUsers ?? [])].map(
    (i) => i.address,
  );
}

export function linkServices(
  ctx: ExpandContext,
  services: readonly PlacedService[],
  members: ReadonlyMap<string, ServiceMembers>,
): void {
  for (const svc of services) {
    const upstream: string[] = [];
    for (const d of svc.dependsOnServices) {
      // A disabled dependency is simply absent.
      upstream.push(...upstreamOf(members.get(d)));
    }
    const own = members.get(svc.name);
    if (!own) continue;
    const boots = own.bootstraps.map((b) => b.address);
    // Containers before bootstraps: the order the instances were made in.
    for (const inst of [...own.containers, ...own.bootstraps]) {
      const deps = [...inst.dependsOn, ...upstream];
      for (const v of svc.dependsOnVolumes) {
        const owner = ctx.volumeOwner(v);
        deps.push((owner?.prefix ?? ctx.module.prefix) + volumeAddr(v, inst.host));
      }
      if (inst.kind === 'container') deps.push(...boots);
      inst.dependsOn = [...new Set(deps)];
    }
  }
}

/** A task also waits for every container of the services its `depends_on` names. */
export function linkTasks(
  tasks: readonly { task: Instance; after: readonly string[] }[],
  members: ReadonlyMap<string, ServiceMembers>,
): void {
  for (const { task, after } of tasks) {
    const upstream = after.flatMap((s) => upstreamOf(members.get(s)));
    task.dependsOn = [...new Set([...task.dependsOn, ...upstream])];
  }
}

/** Drop edges to instances that do not exist; an edge to a missing volume is an error. */
export function pruneDependencies(
  ctx: ExpandContext,
  instances: readonly Instance[],
  reported: ReadonlySet<string>,
): void {
  const known = new Set(instances.map((i) => i.address));
  for (const inst of instances) {
    for (const d of inst.dependsOn) {
      if (!known.has(d) && isVolume(d) && !reported.has(d)) {
        ctx.diags.error(
          `${inst.address} depends on ${d}, which does not exist`,
          inst.range,
          'Place the volume on that host (its hosts argument).',
        );
      }
    }
    inst.dependsOn = inst.dependsOn.filter((d) => known.has(d));
  }
}

function isVolume(address: string): boolean {
  const a = parseAddress(address);
  const first = typeof a === 'string' ? undefined : a.steps[0];
  return !!first && 'name' in first && first.name === 'volume';
}

/**
 * A module's `depends_on = [module.x]`: everything the module instance runs (containers and
 * bootstraps) waits for every container and database of module x's instances.
 */
export function linkModules(instances: readonly Instance[], modules: readonly ModuleInstance[]): void {
  // A module's databases (and RabbitMQ users) too: a service's db_sync waits for the account it logs in with.
  const containers = instances.filter(
    (i) => i.kind === 'container' || i.kind === 'database' || i.kind === 'rabbitmq_user',
  );
  for (const m of modules) {
    if (!m.dependsOn.length) continue;
    const upstream = containers
      .filter((c) => m.dependsOn.some((p) => addressMatches(p, c.address)))
      .map((c) => c.address);
    for (const inst of instances) {
      if ((inst.kind !== 'container' && inst.kind !== 'bootstrap') || !inst.address.startsWith(m.prefix))
        continue;
      inst.dependsOn = [...new Set([...inst.dependsOn, ...upstream])];
    }
  }
}
