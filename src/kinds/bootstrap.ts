/**
 * The bootstrap kind: a one-shot container (database migration, key setup) run on its
 * host before the service's containers start; exit code 0 required. It re-runs only when
 * its inputs change — its spec, the config files of its service on that host, or the image
 * its tag points at. What it did cannot be undone: the plan marks it irreversible.
 */
import type { BootstrapInstance, ConfigInstance, Instance } from '../expand/instances.js';
import type { BootstrapResource, StepEntry } from '../states/state.js';
import type { Change } from '../plans/plan.js';
import { specHash } from '../providers/docker/spec-hash.js';
import { runOnce } from '../providers/docker/container-ops.js';
import { imageId } from '../providers/docker/image-ops.js';
import { showSpec } from './container.js';
import { sha256 } from './config-file.js';
import { ensureImagesOnHosts, imagesNeeded, StepError } from './images-on-hosts.js';
import type { PlanContext, ResourceKind } from './kind.js';
import { forgetOneOff, noopChange } from './kind.js';

/** Config files by service and host, built once per list of instances. */
const filesIndex = new WeakMap<readonly Instance[], Map<string, ConfigInstance[]>>();

function filesOf(instances: readonly Instance[], service: string, host: string): ConfigInstance[] {
  let idx = filesIndex.get(instances);
  if (!idx) {
    idx = new Map();
    for (const i of instances) {
      if (i.kind !== 'config') continue;
      const k = `${i.service}\u0000${i.host}`;
      const list = idx.get(k) ?? [];
      list.push(i);
      idx.set(k, list);
    }
    filesIndex.set(instances, idx);
  }
  return idx.get(`${service}\u0000${host}`) ?? [];
}

/** What a bootstrap ran with: its spec and the config files of its service's host. */
export function bootstrapInputsHash(b: BootstrapInstance, instances: readonly Instance[]): string {
  const files = filesOf(instances, b.service, b.host)
    .map((i) => `${i.path}:${sha256(i.content)}`)
    .sort();
  return sha256(specHash(b.spec) + '\n' + files.join('\n'));
}

function plan(inst: BootstrapInstance, s: BootstrapResource | undefined, ctx: PlanContext): Change {
  const c = noopChange(inst, s, ctx);
  const h = bootstrapInputsHash(inst, ctx.instances);
  const forced = ctx.forced(inst.address);
  const imageNow = ctx.host(inst.host).images.get(inst.spec.image);
  if (imageNow) {
    c.imageRef = inst.spec.image;
    c.imageId = imageNow;
  }
  const imageMoved = ctx.options.refreshed && !!s?.image_id && !!imageNow && s.image_id !== imageNow;
  if (!s || s.inputs_hash !== h || forced || imageMoved) {
    c.action = 'run';
    c.irreversible = true;
    c.reasons.push(
      forced
        ? 'a re-run was requested with -replace'
        : s
          ? 'its inputs (image, command, environment or config files) changed'
          : 'it has not run yet',
    );
  }
  return c;
}

export const bootstrapKind: ResourceKind<'bootstrap'> = {
  kind: 'bootstrap',
  planPhase: 1,
  shape: 'component',
  ops: ['run-bootstrap'],
  wants: (i, req) => void req.images.push(i.spec.image),
  wantsForState: () => undefined,
  plan,
  planDelete: forgetOneOff,
  prepare: (changes, instances, ctx) =>
    ensureImagesOnHosts(
      imagesNeeded(changes, instances, (i) => (i.kind === 'bootstrap' ? i.spec.image : undefined)),
      ctx,
    ),
  async apply(_c, inst, ctx) {
    await ctx.log({ op: 'run-bootstrap', host: inst.host, address: inst.address });
    const docker = await ctx.transport.docker();
    // The image it ran with goes into the state: a tag moved to another image (a rebuild)
    // makes the next plan run it again.
    const image = await imageId(docker, inst.spec.image);
    const r = await runOnce(
      docker,
      inst.spec,
      { project: ctx.project, address: inst.address, specHash: specHash(inst.spec) },
      { timeoutMs: inst.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
    if (r.exitCode !== 0)
      throw new StepError(
        inst.address,
        `bootstrap exited with code ${r.exitCode}; last log lines:\n${r.logTail}`,
      );
    return image === undefined ? undefined : { image_id: image };
  },
  async undo(e: StepEntry, ctx) {
    ctx.note(`${e.address} ran and cannot be undone (irreversible)`);
  },
  describeUndo: () => undefined, // nothing to undo: undo() says so
  toState(i, c, prev, observed, { masker, instances }) {
    const r: BootstrapResource = {
      address: i.address,
      kind: 'bootstrap',
      host: i.host,
      dependencies: i.dependsOn,
      service: i.service,
      spec: masker.maskDeep(i.spec),
      spec_hash: specHash(i.spec),
      inputs_hash: bootstrapInputsHash(i, instances),
    };
    const image = c.action === 'run' ? observed?.image_id : prev?.image_id;
    if (image) r.image_id = image;
    return r;
  },
  // Bootstraps ran forward and cannot run backward: a rollback to an earlier state leaves them out.
  fromState: () => undefined,
  show: (r) => [
    ...showSpec(r.spec),
    ['spec_hash', r.spec_hash.slice(0, 16)],
    ['inputs_hash', r.inputs_hash.slice(0, 16)],
  ],
};
