/**
 * Bootstrap tasks of a placed service: a one-off container run before the service's
 * containers start (db_sync, bootstrap of an account), once on the service's first host or
 * on each host (`on_each_host`). It reads the config of the service's first container
 * through the image's kolla_start, as kolla-ansible's bootstrap containers do.
 */
import type { Value } from '../config/hcl/ast.js';
import { checkValues } from '../config/value-check.js';
import { bootstrapAddr, volumeAddr } from '../addrs/address.js';
import { durationMs } from '../config/duration.js';
import { shellJoin } from './shell-quote.js';
import { buildContainerSpec, checkDuration, SpecError } from './container-spec.js';
import { evalAttrs, type ExpandContext } from './context.js';
import type { PlacedService } from './services.js';
import type { VolumeUse } from './volumes.js';
import {
  KOLLA_CONFIG_MOUNT,
  type BootstrapInstance,
  type ContainerInstance,
  type ContainerSpec,
} from './instances.js';

const DEFAULT_TIMEOUT = '300s';

/** The service's bootstraps, in the order they are written (each waits for the ones before). */
export function expandBootstraps(
  ctx: ExpandContext,
  svc: PlacedService,
  containers: readonly ContainerInstance[],
  volumeUse: VolumeUse[],
): BootstrapInstance[] {
  const out: BootstrapInstance[] = [];
  for (const bb of svc.block.blocks) {
    if (bb.type !== 'bootstrap') continue;
    const each = bb.attrs.get('on_each_host');
    const eachR = each ? ctx.scope.tryEval(each.expr) : { ok: true as const, value: false };
    const onEach = eachR.ok && eachR.value === true;
    // Bootstraps of one service run in the order they are written (db_sync before the
    // step that needs its tables), as kolla-ansible's tasks do.
    const earlier = out.map((i) => i.address);
    for (const hostName of onEach ? svc.hosts : svc.hosts.slice(0, 1)) {
      const host = ctx.hostsByName.get(hostName)!;
      const values = evalAttrs(ctx, bb, ctx.hostNames(host));
      if (!values || !checkValues(bb, values, ctx.diags)) continue;
      delete values['on_each_host'];
      const migrates = Array.isArray(values['migrates']) ? values['migrates'].map(String) : [];
      delete values['migrates'];
      const bname = bb.labels[0]!;
      const address = onEach
        ? ctx.addr(`${bootstrapAddr(svc.name, bname)}[${JSON.stringify(hostName)}]`)
        : ctx.addr(bootstrapAddr(svc.name, bname));
      const firstContainer = containers.find((c) => c.host === hostName);
      let spec: ContainerSpec;
      let timeoutMs: number;
      try {
        spec = bootstrapSpec(`${svc.name}_bootstrap_${bname}`, values, firstContainer);
        timeoutMs = durationMs(checkDuration('timeout', values['timeout']) ?? DEFAULT_TIMEOUT);
      } catch (e) {
        if (e instanceof SpecError) {
          ctx.report(
            `Invalid bootstrap "${bname}": ${e.message}`,
            bb.attrs.get(e.attr)?.expr.range ?? bb.labelRanges[0],
          );
          continue;
        }
        throw e;
      }
      const deps: string[] = [];
      if (firstContainer) deps.push(...firstContainer.dependsOn.filter((d) => !d.startsWith('image.')));
      spec.volumes = spec.volumes.map((v) => {
        const src = v.split(':')[0]!;
        const owner = ctx.volumeOwner(src);
        if (!owner) return v;
        deps.push(owner.prefix + volumeAddr(src, hostName));
        volumeUse.push({ volume: src, host: hostName, user: address, owner: owner.prefix });
        return ctx.volumeDockerName(owner, src) + v.slice(src.length);
      });
      deps.push(...earlier);
      out.push({
        address,
        kind: 'bootstrap',
        host: hostName,
        dependsOn: [...new Set(deps)],
        range: bb.labelRanges[0]!,
        service: svc.name,
        name: bname,
        spec,
        timeoutMs,
        ...(migrates.length
          ? { migrates: [...new Set(migrates)], migratesRange: bb.attrs.get('migrates')!.expr.range }
          : {}),
      });
    }
  }
  return out;
}

/** The bootstrap's container: the service's network, no restart, its config via kolla_start. */
function bootstrapSpec(
  name: string,
  values: Record<string, Value>,
  firstContainer: ContainerInstance | undefined,
): ContainerSpec {
  const merged: Record<string, Value> = {
    ...values,
    network_mode: values['network_mode'] ?? firstContainer?.spec.network_mode ?? null,
    restart_policy: 'no',
  };
  const spec = buildContainerSpec(name, merged, undefined, false);
  if (firstContainer?.options.kollaStart) {
    // The image's kolla_start copies the service's config in, then runs this command.
    const mount = firstContainer.spec.volumes.find((v) => v.includes(KOLLA_CONFIG_MOUNT));
    if (mount) spec.volumes.push(mount);
    spec.environment['KOLLA_CONFIG_STRATEGY'] = 'COPY_ALWAYS';
    spec.environment['KOLLA_BOOTSTRAP'] = spec.environment['KOLLA_BOOTSTRAP'] ?? '';
    if (spec.command) {
      spec.environment['KOLLA_COMMAND'] = shellJoin(spec.command);
      delete spec.command;
    }
  }
  return spec;
}
