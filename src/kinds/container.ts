/**
 * The container kind. Identity on the host is the container's name plus its labels
 * (`kolla.project`, `kolla.address`, `kolla.spec-hash`): the spec hash decides replacement
 * (daemon-filled defaults never show as changes), the in-place fields are diffed apart and
 * applied with Docker's update, and a config file change restarts it (COPY_ALWAYS) or
 * replaces it (COPY_ONCE).
 *
 * Replacement is create-before-destroy: the new container is created as `<name>.kolla-new`,
 * the old one stopped and kept as `<name>.kolla-prev` until the apply commits. Every step
 * that touches a container is journaled with the container's ID once it is known, and undo
 * only ever touches containers of this project that this apply made or kept: a name held by
 * another project is never removed.
 */
import type { ContainerInstance, Instance } from '../expand/instances.js';
import type { ContainerResource, StepEntry } from '../states/state.js';
import type { Change, Drift } from '../plans/plan.js';
import type { HostWorld } from '../providers/world.js';
import type { ObservedContainer } from '../providers/docker/refresh.js';
import { specHash } from '../providers/docker/spec-hash.js';
import {
  inPlaceBlocker,
  inPlaceChanges,
  inPlaceSettings,
  type InPlaceSettings,
} from '../providers/docker/in-place.js';
import {
  createContainer,
  findContainer,
  removeContainer,
  renameContainer,
  restartContainer,
  startContainer,
  stopContainer,
  updateInPlace,
  waitHealthy,
  type FoundContainer,
} from '../providers/docker/container-ops.js';
import { durationMs } from '../providers/docker/duration.js';
import { diffSpecs, withoutIgnored } from './container-diff.js';
import { crashPoint } from './crash-point.js';
import { ensureImagesOnHosts, imagesNeeded, StepError } from './images-on-hosts.js';
import type { Observed, PlanContext, ResourceKind, StateContext, StepContext, UndoContext } from './kind.js';
import { noopChange } from './kind.js';
import type Dockerode from 'dockerode';

export const PREV_SUFFIX = '.kolla-prev';
export const NEW_SUFFIX = '.kolla-new';

/** The containers of a list of instances. */
export function containersOf(instances: readonly Instance[]): ContainerInstance[] {
  return instances.filter((i): i is ContainerInstance => i.kind === 'container');
}

/** Journal steps of this kind. */
interface CreateEntry extends StepEntry {
  op: 'create-container';
  name: string;
}
interface CreatedEntry extends StepEntry {
  op: 'created-container';
  name: string;
  id: string;
  /** How long apply would have waited for it: what `--continue` waits for. */
  healthTimeoutMs: number;
}
interface KeepEntry extends StepEntry {
  op: 'keep-container';
  name: string;
  prevName: string;
  wasRunning: boolean;
  /** The kept container's ID (absent in journals written before it was recorded). */
  id?: string;
}
interface UpdateEntry extends StepEntry {
  op: 'update-container';
  name: string;
  id?: string;
  previous: InPlaceSettings;
}
interface RestartEntry extends StepEntry {
  op: 'restart-container';
  name: string;
}
type Entry = CreateEntry | CreatedEntry | KeepEntry | UpdateEntry | RestartEntry;

function base(inst: ContainerInstance, s: ContainerResource | undefined, ctx: PlanContext): Change {
  const c = noopChange(inst, s, ctx);
  c.notes = [
    inst.options.kollaStart
      ? "command runs through the image's kolla_start (config.json)"
      : 'command is the Docker command',
  ];
  return c;
}

/** What the container looks like without a refresh: the state taken as the truth. */
function fromPrior(s: ContainerResource | undefined): ObservedContainer | undefined {
  if (!s?.observed) return undefined;
  const settings = inPlaceSettings(s.spec);
  return {
    id: s.observed.id,
    name: s.spec.name,
    specHash: s.spec_hash,
    imageRef: s.spec.image,
    imageId: s.observed.image_id,
    state: 'running',
    exitCode: 0,
    restartPolicy: settings.restart_policy,
    memory: settings.memory,
    cpuShares: settings.cpu_shares,
    labels: {},
    restartCount: 0,
  };
}

function nameConflict(inst: ContainerInstance, hw: HostWorld, ctx: PlanContext): void {
  const name = inst.spec.name;
  if (!hw.others.has(name)) return;
  const owner = hw.others.get(name);
  ctx.error({
    severity: 'error',
    summary: `Container name "${name}" on host "${inst.host}" is held by ${owner ? `another project ("${owner}")` : 'a container kolla does not manage'}`,
    detail: `${inst.address} would create a container named "${name}", but one already exists there. kolla never touches another project's containers: rename this container, or remove the other one if it is no longer used.`,
    address: inst.address,
    ...(inst.range ? { range: inst.range } : {}),
  });
}

function plan(inst: ContainerInstance, s: ContainerResource | undefined, ctx: PlanContext): Change {
  const c = base(inst, s, ctx);
  const hw = ctx.host(inst.host);
  const want = specHash(inst.spec);
  const o = ctx.options.refreshed ? hw.containers.get(inst.spec.name) : fromPrior(s);
  const ignore = inst.options.ignoreChanges;
  const attrs = withoutIgnored(diffSpecs(s?.spec, inst.spec, ctx.isSensitive), ignore);
  const imageNow = hw.images.get(inst.spec.image);
  if (imageNow) {
    c.imageRef = inst.spec.image;
    c.imageId = imageNow;
  }
  const drift = (kind: Drift['kind'], detail: string): void =>
    ctx.drift({ address: inst.address, host: inst.host, kind, detail });

  if (!o) {
    c.action = 'create';
    if (s) {
      drift('removed', `container ${inst.spec.name} was removed outside kolla`);
      c.reasons.push('the container was removed outside kolla');
    }
    c.attrs = diffSpecs(undefined, inst.spec, ctx.isSensitive);
    if (ctx.options.refreshed) nameConflict(inst, hw, ctx);
    return c;
  }
  c.currentId = o.id;
  if (o.imageId) c.currentImageId = o.imageId;
  if (o.specHash !== undefined) c.currentSpecHash = o.specHash;
  if (ctx.forced(inst.address)) {
    c.action = 'replace';
    c.reasons.push('replacement requested with -replace');
  }
  const replaceAttrs = attrs.filter((a) => a.forcesReplacement);
  // The spec the container runs (its label) is not the one configured. Only a change the
  // lifecycle ignores, between the state and the configuration, leaves it as it is.
  const ignoredOnly =
    s !== undefined && ignore.length > 0 && replaceAttrs.length === 0 && s.spec_hash === o.specHash;
  if (o.specHash !== want && !ignoredOnly) {
    c.action = 'replace';
    if (!s) c.reasons.push('the container on the host was made from a different spec');
    else if (s.spec_hash === o.specHash) c.reasons.push('the spec changed');
    else {
      drift('recreated', `container ${inst.spec.name} was recreated or edited outside kolla`);
      c.reasons.push('the container was recreated outside kolla with a different spec');
    }
  }
  if (ctx.options.refreshed && imageNow && imageNow !== o.imageId && c.action !== 'replace') {
    c.action = 'replace';
    if (s?.spec.image === inst.spec.image || !s)
      drift(
        'image-moved',
        `${inst.spec.image} now points at another image (${short(o.imageId)} → ${short(imageNow)})`,
      );
    c.reasons.push(`${inst.spec.image} now points at another image`);
    c.attrs.push({
      path: 'image_id',
      before: o.imageId,
      after: imageNow,
      forcesReplacement: true,
      sensitive: false,
    });
  }
  // An image kolla rebuilds: the container runs the new one.
  const rebuilt = inst.dependsOn.find((d) => {
    const u = ctx.upstream(d);
    return u?.kind === 'image' && (u.action === 'create' || u.action === 'update');
  });
  if (rebuilt && c.action !== 'replace' && ctx.options.refreshed) {
    c.action = 'replace';
    c.reasons.push(`${rebuilt} is rebuilt`);
  }
  if (c.action === 'replace') {
    c.attrs = [...attrs, ...c.attrs];
    return c;
  }
  const have: InPlaceSettings = {
    restart_policy: o.restartPolicy,
    memory: o.memory,
    cpu_shares: o.cpuShares,
  };
  const wantSettings = inPlaceSettings(inst.spec);
  const inPlace = inPlaceChanges(wantSettings, have).filter((f) => !ignore.includes(f));
  if (inPlace.length) {
    const blocker = inPlaceBlocker(wantSettings, have);
    c.action = blocker ? 'replace' : 'update';
    if (blocker) c.reasons.push(blocker);
    const observed: Record<string, unknown> = { ...have };
    const before = s?.spec as unknown as Record<string, unknown> | undefined;
    const after = inst.spec as unknown as Record<string, unknown>;
    c.attrs = inPlace.map((f) => ({
      path: f,
      before: observed[f],
      after: after[f],
      forcesReplacement: !!blocker,
      sensitive: false,
    }));
    if (before && inPlace.some((f) => before[f] === after[f])) {
      drift('edited', `container ${inst.spec.name}: ${inPlace.join(', ')} changed outside kolla`);
      c.reasons.push(`${inPlace.join(', ')} changed outside kolla`);
    }
  }
  // Its config files (planned before it): a change means a restart, or a new container.
  const files = inst.dependsOn
    .map((d) => ctx.upstream(d))
    .filter((u): u is Change => u?.kind === 'config' && u.action !== 'noop' && u.after?.kind === 'config')
    .filter(
      (u) =>
        u.after?.kind === 'config' &&
        u.after.container === inst.spec.name &&
        u.after.service === inst.service,
    )
    .map((u) => (u.after?.kind === 'config' ? u.after.name : ''));
  if (files.length) {
    if (inst.options.kollaStart && inst.options.configStrategy === 'COPY_ONCE') {
      c.action = 'replace';
      c.reasons.push(`config ${files.join(', ')} changed and KOLLA_CONFIG_STRATEGY is COPY_ONCE`);
    } else if (c.action === 'noop' || c.action === 'update') {
      c.restartFor = files;
      c.reasons.push(`config ${files.join(', ')} changed`);
      if (c.action === 'noop') c.action = 'restart';
      else c.reasons.push('and is restarted to read it');
    }
  }
  if (ctx.options.refreshed && o.state !== 'running' && c.action !== 'replace') {
    drift('stopped', `container ${inst.spec.name} is ${o.state}`);
    if (c.action === 'noop') c.action = 'restart';
    c.reasons.push(`the container is ${o.state} (stopped outside kolla): start it`);
  } else if (ctx.options.refreshed && o.health === 'unhealthy' && c.action !== 'replace') {
    // kolla-ansible's `check`: a container that runs but fails its own health check.
    drift('unhealthy', `container ${inst.spec.name} is unhealthy`);
    if (c.action === 'noop') c.action = 'restart';
    c.reasons.push('the container is unhealthy (its health check fails): restart it');
  }
  return c;
}

function planDelete(r: ContainerResource, ctx: PlanContext): Change | undefined {
  const c: Change = {
    address: r.address,
    kind: 'container',
    host: r.host,
    action: 'delete',
    reasons: [ctx.options.destroy ? 'destroy' : 'no longer in the configuration'],
    attrs: [{ path: 'image', before: r.spec.image, forcesReplacement: false, sensitive: false }],
    before: r,
    dependsOn: r.dependencies,
    containerName: r.spec.name,
  };
  const o = ctx.host(r.host).containers.get(r.spec.name);
  if (o) c.currentId = o.id;
  else if (ctx.options.refreshed) return undefined; // already gone
  return c;
}

/**
 * Containers with this project's label that nothing names (orphans: removed), and leftovers
 * of an interrupted apply (`*.kolla-new`, `*.kolla-prev`): drift, and removed by the next
 * apply — after the journal's rollback, which puts back the ones it still needs.
 */
function planUnmanaged(
  ctx: PlanContext,
  known: { desired: readonly Instance[]; prior: readonly ContainerResource[] },
): Change[] {
  const out: Change[] = [];
  const names = new Set<string>();
  for (const i of containersOf(known.desired)) names.add(`${i.host}/${i.spec.name}`);
  for (const r of known.prior) names.add(`${r.host}/${r.spec.name}`);
  const hosts = new Set<string>([...known.desired.map((i) => i.host), ...known.prior.map((r) => r.host)]);
  for (const host of hosts) {
    for (const o of ctx.host(host).containers.values()) {
      if (names.has(`${host}/${o.name}`)) continue;
      if (o.address !== undefined && ctx.forgotten(o.address)) continue;
      const leftover = o.name.endsWith(PREV_SUFFIX) || o.name.endsWith(NEW_SUFFIX);
      const address = leftover ? `container ${o.name}` : (o.address ?? `container ${o.name}`);
      ctx.drift({
        address,
        host,
        kind: leftover ? 'leftover' : 'orphan',
        detail: leftover
          ? `container ${o.name} is left over from an interrupted apply (${o.address ?? 'no address'})`
          : `container ${o.name} has this project's label but no configuration names it`,
      });
      const c: Change = {
        address,
        kind: 'container',
        host,
        action: 'delete',
        reasons: [
          leftover
            ? 'left over from an interrupted apply'
            : 'orphan: labelled for this project but not in the configuration',
        ],
        attrs: [],
        currentId: o.id,
        containerName: o.name,
        dependsOn: [],
      };
      if (leftover) c.leftover = true;
      out.push(c);
    }
  }
  return out;
}

function meta(
  ctx: StepContext,
  inst: ContainerInstance,
): { project: string; address: string; specHash: string } {
  return { project: ctx.project, address: inst.address, specHash: specHash(inst.spec) };
}

async function waitUp(
  ctx: StepContext,
  docker: Dockerode,
  id: string,
  inst: ContainerInstance,
): Promise<void> {
  let lastReport = 0;
  const opts: Parameters<typeof waitHealthy>[2] = {
    timeoutMs: durationMs(inst.spec.health_timeout),
    settleMs: ctx.settleMs,
    onTick: (elapsed) => {
      if (elapsed - lastReport >= 10_000) {
        lastReport = elapsed;
        ctx.progress(
          `Still waiting for ${inst.spec.healthcheck ? 'healthy' : 'running'}... [${Math.round(elapsed / 1000)}s elapsed]`,
          elapsed,
        );
      }
    },
  };
  if (ctx.signal) opts.signal = ctx.signal;
  await waitHealthy(docker, id, opts);
}

/** Is this container one this project made for this address? */
function ours(f: FoundContainer, project: string, address?: string): boolean {
  return f.project === project && (address === undefined || f.address === address);
}

async function observe(docker: Dockerode, id: string): Promise<Observed> {
  const f = await findContainer(docker, id);
  if (!f) throw new Error(`container ${short(id)} disappeared`);
  return { id: f.id, image_id: f.imageId };
}

/** Create (under `name`), journal its ID, and return it. */
async function createLogged(
  ctx: StepContext,
  docker: Dockerode,
  inst: ContainerInstance,
  name: string,
): Promise<string> {
  const entry = { host: inst.host, address: inst.address, name };
  await ctx.log({ op: 'create-container', ...entry });
  const id = await createContainer(docker, { ...inst.spec, name }, meta(ctx, inst));
  await ctx.log({
    op: 'created-container',
    ...entry,
    id,
    healthTimeoutMs: durationMs(inst.spec.health_timeout),
  });
  return id;
}

async function apply(c: Change, inst: ContainerInstance, ctx: StepContext): Promise<Observed | undefined> {
  const docker = await ctx.transport.docker();
  const name = inst.spec.name;
  switch (c.action) {
    case 'create': {
      const id = await createLogged(ctx, docker, inst, name);
      await startContainer(docker, id);
      await waitUp(ctx, docker, id, inst);
      return observe(docker, id);
    }
    case 'replace': {
      const id = await createLogged(ctx, docker, inst, name + NEW_SUFFIX);
      crashPoint('after-create');
      const old = await findContainer(docker, c.currentId ?? name);
      if (old) {
        if (!ours(old, ctx.project)) {
          throw new StepError(
            inst.address,
            `container ${old.name} on host "${inst.host}" belongs to ${old.project ? `project "${old.project}"` : 'no kolla project'}; kolla will not replace it`,
          );
        }
        await ctx.log({
          op: 'keep-container',
          host: inst.host,
          address: inst.address,
          name,
          prevName: name + PREV_SUFFIX,
          wasRunning: old.running,
          id: old.id,
        });
        if (old.running) await stopContainer(docker, old.id, inst.options.stopTimeoutS);
        await renameContainer(docker, old.id, name + PREV_SUFFIX);
      }
      crashPoint('after-rename');
      await renameContainer(docker, id, name);
      await startContainer(docker, id);
      crashPoint('health-wait'); // started, its health gate not yet open
      await waitUp(ctx, docker, id, inst);
      return observe(docker, id);
    }
    case 'update': {
      const found = await findContainer(docker, c.currentId ?? name);
      if (!found) throw new Error(`container ${name} is gone`);
      await ctx.log({
        op: 'update-container',
        host: inst.host,
        address: inst.address,
        name,
        id: found.id,
        previous: found.settings,
      });
      await updateInPlace(docker, found.id, inPlaceSettings(inst.spec));
      if (c.restartFor?.length) {
        await ctx.log({ op: 'restart-container', host: inst.host, address: inst.address, name });
        await restartContainer(docker, found.id, inst.options.stopTimeoutS);
        await waitUp(ctx, docker, found.id, inst);
      }
      return observe(docker, found.id);
    }
    case 'restart': {
      const found = await findContainer(docker, c.currentId ?? name);
      if (!found) throw new Error(`container ${name} is gone`);
      await ctx.log({ op: 'restart-container', host: inst.host, address: inst.address, name });
      if (found.running) await restartContainer(docker, found.id, inst.options.stopTimeoutS);
      else await startContainer(docker, found.id);
      await waitUp(ctx, docker, found.id, inst);
      return observe(docker, found.id);
    }
    default:
      return undefined;
  }
}

/** A deleted container is stopped and kept (renamed `<name>.kolla-prev`) until the commit. */
async function applyDelete(c: Change, ctx: StepContext): Promise<void> {
  if (c.leftover) return; // removed at the commit
  const name = c.containerName;
  if (!name) return;
  const docker = await ctx.transport.docker();
  const found = await findContainer(docker, c.currentId ?? name);
  if (!found) return;
  if (!ours(found, ctx.project)) return;
  await ctx.log({
    op: 'keep-container',
    host: c.host,
    address: c.address,
    name,
    prevName: name + PREV_SUFFIX,
    wasRunning: found.running,
    id: found.id,
  });
  const stopTimeoutS = c.before?.kind === 'container' ? c.before.options.stopTimeoutS : undefined;
  if (found.running) await stopContainer(docker, found.id, stopTimeoutS);
  await renameContainer(docker, found.id, name + PREV_SUFFIX);
}

async function commitDelete(c: Change, ctx: StepContext): Promise<void> {
  if (!c.leftover || !c.currentId) return;
  const docker = await ctx.transport.docker();
  const found = await findContainer(docker, c.currentId);
  if (found && ours(found, ctx.project)) await removeContainer(docker, found.id);
}

/** After the commit, a kept container is removed — if it is still the one this apply kept. */
async function commit(e: StepEntry, ctx: UndoContext): Promise<void> {
  const k = e as Entry;
  if (k.op !== 'keep-container') return;
  const docker = await ctx.transport(k.host).docker();
  const found = await findContainer(docker, k.prevName);
  if (!found) return;
  if (k.id !== undefined ? found.id !== k.id : !ours(found, ctx.project, k.address)) return;
  await removeContainer(docker, found.id);
}

async function undo(e: StepEntry, ctx: UndoContext): Promise<void> {
  const k = e as Entry;
  const docker = await ctx.transport(k.host).docker();
  switch (k.op) {
    case 'created-container': {
      const found = await findContainer(docker, k.id);
      if (found) await removeContainer(docker, found.id);
      return;
    }
    case 'create-container': {
      // The ID may not have been journaled (a crash right after the create): remove the
      // container by name only when it is this project's, for this address.
      const found = await findContainer(docker, k.name);
      if (!found) return;
      if (!ours(found, ctx.project, k.address)) {
        ctx.note(
          `${k.name} on ${k.host} belongs to ${found.project ? `project "${found.project}"` : 'no kolla project'}: left alone`,
        );
        return;
      }
      await removeContainer(docker, found.id);
      return;
    }
    case 'keep-container': {
      const prev = await findContainer(docker, k.prevName);
      if (!prev) return; // never renamed, or already restored
      if (k.id !== undefined && prev.id !== k.id) {
        ctx.note(`${k.prevName} on ${k.host} is not the container this apply kept: left alone`);
        return;
      }
      // Whatever now holds the name is the new container, when it is ours: remove it.
      const cur = await findContainer(docker, k.name);
      if (cur && cur.id !== prev.id) {
        if (!ours(cur, ctx.project, k.address))
          throw new Error(
            `${k.name} on ${k.host} is held by a container of ${cur.project ? `project "${cur.project}"` : 'no kolla project'}; ${k.prevName} cannot be renamed back`,
          );
        await removeContainer(docker, cur.id);
      }
      await renameContainer(docker, prev.id, k.name);
      if (k.wasRunning) await startContainer(docker, prev.id);
      return;
    }
    case 'update-container': {
      const found = await findContainer(docker, k.id ?? k.name);
      if (!found) return;
      await updateInPlace(docker, found.id, k.previous, { keepMemoryWhenUnset: true });
      return;
    }
    case 'restart-container':
      ctx.restartLater(k.host, k.name);
      return;
    default:
      return;
  }
}

/** `--continue`: a container the interrupted apply started under its own name must be up. */
async function keep(e: StepEntry, ctx: UndoContext & { settleMs: number }): Promise<void> {
  const k = e as Entry;
  if (k.op !== 'created-container') return;
  const docker = await ctx.transport(k.host).docker();
  const found = await findContainer(docker, k.id);
  // Still under its temporary name, or gone: the plan after the recovery deals with it.
  if (!found || found.name.endsWith(NEW_SUFFIX)) return;
  ctx.note(`waiting for ${found.name} on ${k.host}, started by the interrupted apply, to be up`);
  if (!found.running) await startContainer(docker, found.id);
  await waitHealthy(docker, found.id, { timeoutMs: k.healthTimeoutMs, settleMs: ctx.settleMs });
}

function describeUndo(e: StepEntry): string | undefined {
  const k = e as Entry;
  switch (k.op) {
    case 'create-container':
    case 'created-container':
      return `remove new container ${k.name} on ${k.host}`;
    case 'keep-container':
      return `restore container ${k.name} on ${k.host}`;
    case 'update-container':
      return `revert in-place settings of ${k.name} on ${k.host}`;
    case 'restart-container':
      return undefined; // restarted after every other step
    default:
      return `${e.op} ${e.address}`;
  }
}

function toState(
  i: ContainerInstance,
  c: Change,
  prev: ContainerResource | undefined,
  observed: Observed | undefined,
  { masker }: StateContext,
): ContainerResource {
  // A container left as it is although the configuration changed (lifecycle ignore_changes):
  // the state keeps the spec it really runs, so the next plan compares against that.
  if (
    c.action === 'noop' &&
    prev &&
    c.currentSpecHash !== undefined &&
    c.currentSpecHash !== specHash(i.spec)
  ) {
    const r: ContainerResource = { ...prev, dependencies: i.dependsOn };
    if (c.currentId)
      r.observed = {
        id: c.currentId,
        image_id: c.currentImageId ?? prev.observed?.image_id ?? '',
        state: 'running',
      };
    return r;
  }
  const r: ContainerResource = {
    address: i.address,
    kind: 'container',
    host: i.host,
    dependencies: i.dependsOn,
    service: i.service,
    spec: masker.maskDeep(i.spec),
    spec_hash: specHash(i.spec),
    options: i.options,
  };
  // What runs now: what apply made, else what the refresh found, else what the state had.
  const id = observed?.id ?? c.currentId ?? prev?.observed?.id;
  const image = observed?.image_id ?? c.currentImageId ?? prev?.observed?.image_id ?? '';
  if (id) r.observed = { id, image_id: image, state: 'running' };
  return r;
}

function fromState(r: ContainerResource, masker: PlanContext['masker']): ContainerInstance {
  return {
    address: r.address,
    kind: 'container',
    host: r.host,
    dependsOn: r.dependencies,
    service: r.service,
    spec: masker.unmaskDeep(r.spec),
    options: r.options,
  };
}

/** The attributes `kolla state show` prints of a container spec (containers and bootstraps). */
export function showSpec(spec: ContainerResource['spec']): [string, unknown][] {
  const a: [string, unknown][] = [
    ['name', spec.name],
    ['image', spec.image],
  ];
  if (spec.command) a.push(['command', spec.command]);
  if (Object.keys(spec.environment).length) a.push(['environment', spec.environment]);
  if (spec.volumes.length) a.push(['volumes', spec.volumes]);
  if (spec.network_mode) a.push(['network_mode', spec.network_mode]);
  a.push(['restart_policy', spec.restart_policy]);
  if (spec.healthcheck) a.push(['healthcheck', spec.healthcheck]);
  return a;
}

function show(r: ContainerResource): [string, unknown][] {
  const a = showSpec(r.spec);
  if (r.observed) a.push(['id', r.observed.id.slice(0, 12)], ['image_id', r.observed.image_id]);
  a.push(['spec_hash', r.spec_hash.slice(0, 16)]);
  return a;
}

export const containerKind: ResourceKind<'container'> = {
  kind: 'container',
  planPhase: 2,
  shape: 'box',
  ops: ['create-container', 'created-container', 'keep-container', 'update-container', 'restart-container'],
  wants: (i, req) => void req.images.push(i.spec.image),
  wantsForState: () => undefined,
  plan,
  planDelete,
  planUnmanaged,
  prepare: (changes, instances, ctx) =>
    ensureImagesOnHosts(
      imagesNeeded(changes, instances, (i) => (i.kind === 'container' ? i.spec.image : undefined)),
      ctx,
    ),
  apply,
  applyDelete,
  commitDelete,
  commit,
  keep,
  undo,
  describeUndo,
  toState,
  fromState,
  show,
};

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** The address of a container's service block (`module.x.service.mariadb`): services of the same name in two modules are two services. */
function serviceKey(i: ContainerInstance): string {
  return i.address.replace(/\.container\.[^.[]+(\[[^\]]*\])?$/, '');
}

/**
 * Rolling updates: a service with `serial` changes its hosts in batches (a number of hosts,
 * or a percentage), each batch waiting for the previous one to be healthy. Returns the
 * ordering edges [later, earlier] to add to the apply's graph: the walk starts nothing after
 * a failure, so a failure in batch 2 of 3 leaves batch 3 untouched and the rollback undoes
 * batches 1 and 2.
 */
export function serialEdges(
  active: readonly Change[],
  byAddr: ReadonlyMap<string, Instance>,
  hostOrder: readonly string[],
): [string, string][] {
  const byService = new Map<string, { serial: number | string; changes: ContainerInstance[] }>();
  for (const c of active) {
    const i = byAddr.get(c.address);
    if (i?.kind !== 'container' || i.serial === undefined) continue;
    const e = byService.get(serviceKey(i)) ?? { serial: i.serial, changes: [] };
    e.changes.push(i);
    byService.set(serviceKey(i), e);
  }
  const edges: [string, string][] = [];
  for (const [service, { serial, changes }] of byService) {
    const serviceHosts = new Set(
      containersOf([...byAddr.values()])
        .filter((i) => serviceKey(i) === service)
        .map((i) => i.host),
    );
    const hosts = [...new Set(changes.map((c) => c.host))].sort(
      (a, b) => hostOrder.indexOf(a) - hostOrder.indexOf(b),
    );
    const size =
      typeof serial === 'number'
        ? serial
        : Math.max(1, Math.floor((serviceHosts.size * Number(serial.replace('%', ''))) / 100));
    const batches: string[][] = [];
    for (let k = 0; k < hosts.length; k += size) batches.push(hosts.slice(k, k + size));
    for (let b = 1; b < batches.length; b++) {
      const prev = changes.filter((c) => batches[b - 1]!.includes(c.host));
      for (const c of changes.filter((x) => batches[b]!.includes(x.host)))
        for (const p of prev) edges.push([c.address, p.address]);
    }
  }
  return edges;
}

/**
 * Quorum: a service with `quorum = true` (a Galera or RabbitMQ cluster) works only while a
 * majority of its hosts run it. A rolling change stops `serial` members at a time; if the
 * members already out — on a host left out as unreachable, or missing, stopped or unhealthy
 * on theirs — plus one batch leave no majority running, the change would take the cluster
 * down (kolla-ansible walks into this: its serial order is by host, not by health). Returns
 * one sentence per such service (empty when every rolling change keeps a majority).
 */
export function quorumProblems(
  changes: readonly Change[],
  drift: readonly Drift[],
  instances: readonly Instance[],
  down: ReadonlySet<string>,
): string[] {
  const members = new Map<string, ContainerInstance[]>();
  for (const i of containersOf(instances)) {
    if (!i.quorum) continue;
    const list = members.get(serviceKey(i)) ?? [];
    list.push(i);
    members.set(serviceKey(i), list);
  }
  if (!members.size) return [];
  const byAddr = new Map(changes.map((c) => [c.address, c]));
  const unwell = new Map<string, string>();
  for (const d of drift)
    if (d.kind === 'stopped' || d.kind === 'unhealthy' || d.kind === 'removed') unwell.set(d.address, d.kind);
  const problems: string[] = [];
  for (const [service, list] of members) {
    const total = new Set(list.map((i) => i.host)).size;
    if (total < 2) continue;
    const out = new Map<string, string>();
    const stopping: string[] = [];
    for (const i of list) {
      const c = byAddr.get(i.address);
      if (down.has(i.host)) out.set(i.host, 'unreachable');
      else if (c?.action === 'create') out.set(i.host, 'not running yet');
      else if (unwell.has(i.address)) out.set(i.host, unwell.get(i.address)!);
      else if (c && (c.action === 'restart' || c.action === 'replace' || c.action === 'delete'))
        stopping.push(i.host);
    }
    if (!stopping.length) continue;
    const serial = list[0]!.serial;
    const batch =
      serial === undefined
        ? stopping.length
        : typeof serial === 'number'
          ? serial
          : Math.max(1, Math.floor((total * Number(serial.replace('%', ''))) / 100));
    const running = total - out.size - Math.min(batch, stopping.length);
    const majority = Math.floor(total / 2) + 1;
    if (running >= majority) continue;
    const why = [...out].map(([h, k]) => `${h} is ${k}`).join(', ');
    problems.push(
      `${service} needs a majority of its ${total} hosts running (quorum = true): its change stops ${stopping.join(', ')}${
        serial === undefined ? ' at once' : ` ${Math.min(batch, stopping.length)} at a time`
      }${why ? ` while ${why}` : ''}, which leaves ${Math.max(0, running)} running, fewer than ${majority}`,
    );
  }
  return problems;
}
