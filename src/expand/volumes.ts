/**
 * Volume blocks: a named Docker volume on its declared hosts, or on every host where a
 * container or bootstrap mounts it. Placement is read first (services need to know which
 * volumes exist); the instances are made once every mount is known.
 */
import { checkValues } from '../config/value-check.js';
import type { DecodedBlock } from '../config/decode.js';
import { volumeAddr } from '../addrs/address.js';
import { evalAttrs, placement, type ExpandContext } from './context.js';
import type { VolumeInstance } from './instances.js';

export interface VolumePlacement {
  block: DecodedBlock;
  /** The Docker volume name (`name`, default the label). */
  dockerName: string;
  /** Declared hosts, or undefined: wherever it is mounted. */
  hosts?: Set<string>;
  driver: string;
}

/** A mount of a volume by a container or bootstrap on a host. */
export interface VolumeUse {
  volume: string;
  host: string;
  user: string;
  /** The prefix of the module that declares the volume (the user's, or an enclosing one). */
  owner: string;
}

export interface VolumePlacements {
  placed: Map<string, VolumePlacement>;
  /** Volumes whose block is invalid (already reported): their users are not reported again. */
  failed: Set<string>;
}

export function placeVolumes(ctx: ExpandContext): VolumePlacements {
  const placed = new Map<string, VolumePlacement>();
  const failed = new Set<string>();
  for (const b of ctx.module.blocks) {
    if (b.type !== 'volume') continue;
    const name = b.labels[0]!;
    const values = evalAttrs(ctx, b, undefined, ['hosts']);
    const hosts = placement(ctx, b, `volume "${name}"`);
    if (!values || !checkValues(b, values, ctx.diags) || hosts === undefined) {
      failed.add(name);
      continue;
    }
    placed.set(name, {
      block: b,
      dockerName: typeof values['name'] === 'string' ? values['name'] : name,
      ...(hosts ? { hosts: new Set(hosts) } : {}),
      driver: typeof values['driver'] === 'string' ? values['driver'] : 'local',
    });
  }
  return { placed, failed };
}

/**
 * One instance per volume and host, in host order; a mount on a host the volume's declared
 * hosts leave out is an error. Returns the addresses already reported so the dependency
 * check does not report them again.
 */
export function volumeInstances(
  ctx: ExpandContext,
  volumes: VolumePlacements,
  uses: readonly VolumeUse[],
): { instances: VolumeInstance[]; reported: Set<string> } {
  const reported = new Set<string>();
  const usesOf = new Map<string, VolumeUse[]>();
  for (const u of uses) {
    if (volumes.failed.has(u.volume)) reported.add(ctx.addr(volumeAddr(u.volume, u.host)));
    const list = usesOf.get(u.volume) ?? [];
    list.push(u);
    usesOf.set(u.volume, list);
  }
  const instances: VolumeInstance[] = [];
  for (const [name, v] of volumes.placed) {
    const mine = usesOf.get(name) ?? [];
    const hosts = v.hosts ?? new Set(mine.map((u) => u.host));
    for (const u of mine) {
      const addr = ctx.addr(volumeAddr(name, u.host));
      if (hosts.has(u.host) || reported.has(addr)) continue;
      reported.add(addr);
      ctx.diags.error(
        `Volume "${name}" is not placed on host "${u.host}"`,
        v.block.labelRanges[0],
        `${u.user} mounts it there, but the volume's hosts do not include "${u.host}".`,
      );
    }
    for (const h of ctx.config.hosts) {
      if (!hosts.has(h.name)) continue;
      instances.push({
        address: ctx.addr(volumeAddr(name, h.name)),
        kind: 'volume',
        host: h.name,
        dependsOn: [],
        range: v.block.labelRanges[0]!,
        spec: { name: v.dockerName, driver: v.driver, labels: {} },
      });
    }
  }
  return { instances, reported };
}
