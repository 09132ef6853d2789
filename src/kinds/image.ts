/**
 * The image kind: an image kolla builds (an `image` block) on a host whose containers use
 * it. Planned from the build state (missing, or its Dockerfile, context or parent changed);
 * apply builds every stale image before any change, parents first (kolla build), and the
 * containers that run it are replaced (the container kind looks at this kind's changes).
 */
import type { ImageInstance, Instance } from '../expand/instances.js';
import type { Change } from '../plans/plan.js';
import type { ResourceKind } from './kind.js';
import { noopChange } from './kind.js';

export const imageKind: ResourceKind<'image'> = {
  kind: 'image',
  planPhase: 0,
  shape: 'box3d',
  ops: [],
  wants: () => undefined,
  wantsForState: () => undefined,
  plan(inst, s, ctx) {
    const c = noopChange(inst, s, ctx);
    const st = ctx.builds.get(inst.name);
    if (st && !st.upToDate && ctx.options.refreshed) {
      c.action = st.reason === 'missing' ? 'create' : 'update';
      c.reasons.push(
        st.reason === 'missing'
          ? `image ${st.ref} will be built`
          : st.reason === 'parent-changed'
            ? `its parent image changes: ${st.ref} will be rebuilt`
            : `its Dockerfile or context changed: ${st.ref} will be rebuilt`,
      );
    }
    return c;
  },
  planDelete: (r, ctx) => ({
    address: r.address,
    kind: 'image',
    host: r.host,
    action: 'delete',
    reasons: [
      ctx.options.destroy
        ? 'destroy: kolla forgets it (the image stays on the host; nothing to remove)'
        : 'no longer in the configuration (forgotten; nothing to remove)',
    ],
    attrs: [],
    before: r,
    dependsOn: [],
  }),
  async prepare(changes, instances, ctx) {
    const names = new Set<string>();
    for (const c of changes) {
      const i = instances.get(c.address);
      if (i && isImage(i) && (c.action === 'create' || c.action === 'update')) names.add(i.name);
    }
    if (names.size) await ctx.build([...names]);
  },
  apply: () => Promise.resolve(undefined),
  undo: () => Promise.resolve(),
  describeUndo: (e) => e.op,
  toState: (i) => ({
    address: i.address,
    kind: 'image',
    host: i.host,
    dependencies: i.dependsOn,
    ref: i.ref,
  }),
  fromState: () => undefined,
  show: (r) => [['ref', r.ref]],
};

function isImage(i: Instance): i is ImageInstance {
  return i.kind === 'image';
}

/** The image blocks kolla builds for these instances. */
export function imageNamesOf(instances: readonly Instance[]): string[] {
  return [...new Set(instances.filter(isImage).map((i) => i.name))];
}

/** Is this change an image kolla builds (so what runs it gets a new image ID by design)? */
export function isImageBuild(c: Change | undefined): boolean {
  return c?.kind === 'image' && (c.action === 'create' || c.action === 'update');
}
