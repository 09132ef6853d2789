/**
 * The volume kind: a named Docker volume, labelled with the project and address. Volumes
 * hold data: a destroy keeps them unless asked (`--include-volumes`), a delete removes one
 * only after the new state is committed, and a rollback removes only a volume this apply made
 * (its creation token, journalled before the create, is on the volume).
 */
import type { StepEntry } from '../states/state.js';
import { randomUUID } from 'node:crypto';
import { createVolume, removeCreatedVolume, removeVolume } from '../providers/docker/volume-ops.js';
import type { ResourceKind } from './kind.js';
import { noopChange } from './kind.js';

interface CreateEntry extends StepEntry {
  op: 'create-volume';
  name: string;
  /** The token labelled on the volume this step creates (absent in journals of older kollas). */
  creation?: string;
}

export const volumeKind: ResourceKind<'volume'> = {
  kind: 'volume',
  planPhase: 1,
  shape: 'cylinder',
  ops: ['create-volume'],
  wants: () => undefined,
  wantsForState: () => undefined,
  plan(inst, s, ctx) {
    const c = noopChange(inst, s, ctx);
    const present = ctx.options.refreshed ? ctx.host(inst.host).volumes.has(inst.spec.name) : !!s;
    if (!present) {
      c.action = 'create';
      if (s) {
        ctx.drift({
          address: inst.address,
          host: inst.host,
          kind: 'removed',
          detail: `volume ${inst.spec.name} was removed outside kolla`,
        });
        c.reasons.push('the volume was removed outside kolla');
      }
    }
    return c;
  },
  planDelete(r, ctx) {
    if (ctx.options.destroy && !ctx.options.includeVolumes) return undefined;
    return {
      address: r.address,
      kind: 'volume',
      host: r.host,
      action: 'delete',
      reasons: [ctx.options.destroy ? 'destroy' : 'no longer in the configuration'],
      attrs: [],
      before: r,
      dependsOn: r.dependencies,
    };
  },
  async apply(_c, inst, ctx) {
    const creation = randomUUID();
    const entry: CreateEntry = {
      op: 'create-volume',
      host: inst.host,
      address: inst.address,
      name: inst.spec.name,
      creation,
    };
    await ctx.log(entry);
    await createVolume(await ctx.transport.docker(), inst.spec, {
      project: ctx.project,
      address: inst.address,
      creation,
    });
    return undefined;
  },
  async commitDelete(c, ctx) {
    if (c.before?.kind === 'volume') await removeVolume(await ctx.transport.docker(), c.before.volume.name);
  },
  async undo(e, ctx) {
    const k = e as CreateEntry;
    const meta = {
      project: ctx.project,
      address: k.address,
      ...(k.creation ? { creation: k.creation } : {}),
    };
    const removed = await removeCreatedVolume(await ctx.transport(k.host).docker(), k.name, meta);
    if (!removed) ctx.note(`volume ${k.name} on ${k.host} kept: this apply did not create it`);
  },
  describeUndo: (e) => `remove new volume ${(e as CreateEntry).name} on ${e.host}`,
  toState: (i) => ({
    address: i.address,
    kind: 'volume',
    host: i.host,
    dependencies: i.dependsOn,
    volume: i.spec,
  }),
  fromState: (r) => ({
    address: r.address,
    kind: 'volume',
    host: r.host,
    dependsOn: r.dependencies,
    spec: r.volume,
  }),
  show: (r) => [
    ['name', r.volume.name],
    ['driver', r.volume.driver],
  ],
};
