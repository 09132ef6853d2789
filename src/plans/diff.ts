/**
 * Planning: compare the desired instances with the prior state and what refresh found,
 * and decide an action per address. Pure: no I/O. Drift (changes made outside kolla) is
 * reported apart from the changes it causes.
 */
import { createHash } from 'node:crypto';
import { diffLib } from '../lazy/modules.js';
import type { ConfigInstance, ContainerInstance, Instance } from '../expand/instances.js';
import type { ResourceState, State } from '../states/state.js';
import type { World, HostWorld } from '../engine/refresh.js';
import type { SecretMasker } from '../states/secret-mask.js';
import { specHash, inPlaceChanges, inPlaceBlocker } from '../providers/docker/spec-hash.js';
import { addressMatches } from '../addrs/address.js';
import { diffSpecs, withoutIgnored } from './container-diff.js';
import { summarise, type Change, type Drift, type Plan } from './plan.js';

export interface DiffOptions {
  destroy: boolean;
  targets: string[];
  /** --limit as given (host and group names); resolved to hosts by the engine. */
  limit?: string[];
  replace: string[];
  includeVolumes: boolean;
  /** False with -refresh=false: the state is taken as the truth. */
  refreshed: boolean;
}

export interface DiffInput {
  project: string;
  kollaVersion: string;
  instances: Instance[];
  prior: State;
  world: World;
  masker: SecretMasker;
  options: DiffOptions;
  outputs: Record<string, { value: unknown; sensitive: boolean }>;
  variables: Plan['variables'];
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** What a bootstrap ran with: its spec and the config files of its service's host. */
export function bootstrapInputsHash(spec: Instance & { kind: 'bootstrap' }, instances: Instance[]): string {
  const files = instances
    .filter(
      (i): i is ConfigInstance => i.kind === 'config' && i.service === spec.service && i.host === spec.host,
    )
    .map((i) => `${i.path}:${sha256(i.content)}`)
    .sort();
  return sha256(specHash(spec.spec) + '\n' + files.join('\n'));
}

const emptyHost: HostWorld = {
  containers: new Map(),
  volumes: new Map(),
  images: new Map(),
  files: new Map(),
};

export function makePlan(input: DiffInput): Plan {
  const { prior, world, masker, options } = input;
  const desired = options.destroy ? [] : input.instances;
  const byAddr = new Map(prior.resources.map((r) => [r.address, r]));
  const desiredAddrs = new Set(desired.map((i) => i.address));
  const changes: Change[] = [];
  const drift: Drift[] = [];
  const hostWorld = (h: string): HostWorld => world.get(h) ?? emptyHost;
  const isSensitive = (v: unknown): boolean => typeof v === 'string' && masker.containsSecret(v);

  // Config changes per container, so containers can be restarted for them.
  const configChanged = new Map<string, string[]>();

  for (const inst of desired) {
    if (inst.kind !== 'config') continue;
    const s = byAddr.get(inst.address);
    const hash = sha256(inst.content);
    const hw = hostWorld(inst.host);
    const onHost = options.refreshed ? hw.files.get(inst.path) : s?.content_hash;
    const masked = masker.mask(inst.content);
    const base: Change = {
      address: inst.address,
      kind: 'config',
      host: inst.host,
      action: 'noop',
      reasons: [],
      attrs: [],
      after: { ...inst, content: masked },
      dependsOn: inst.dependsOn,
    };
    if (s) base.before = s;
    if (onHost === undefined) {
      if (s)
        drift.push({
          address: inst.address,
          host: inst.host,
          kind: 'file-removed',
          detail: `${inst.path} was removed from the host`,
        });
      base.action = 'create';
      base.reasons.push(s ? `${inst.path} is missing on the host` : `new file ${inst.path}`);
      if (!inst.sensitive) base.textDiff = patch(inst.path, '', masked);
    } else if (onHost !== hash) {
      if (s && s.content_hash !== onHost) {
        drift.push({
          address: inst.address,
          host: inst.host,
          kind: 'file-edited',
          detail: `${inst.path} was edited on the host`,
        });
      }
      base.action = 'update';
      base.reasons.push(
        s && s.content_hash !== onHost ? `${inst.path} was edited on the host` : `${inst.name} changed`,
      );
      if (!inst.sensitive) base.textDiff = patch(inst.path, s?.content ?? '', masked);
    }
    if (base.action !== 'noop') {
      const key = `${inst.service}/${inst.container}/${inst.host}`;
      configChanged.set(key, [...(configChanged.get(key) ?? []), inst.name]);
    }
    changes.push(base);
  }

  for (const inst of desired) {
    if (inst.kind === 'config') continue;
    const s = byAddr.get(inst.address);
    const hw = hostWorld(inst.host);
    const base: Change = {
      address: inst.address,
      kind: inst.kind,
      host: inst.host,
      action: 'noop',
      reasons: [],
      attrs: [],
      after: masker.maskDeep(inst),
      dependsOn: inst.dependsOn,
    };
    if (s) base.before = s;
    if (inst.kind === 'volume') {
      const present = options.refreshed ? hw.volumes.has(inst.spec.name) : !!s;
      if (!present) {
        base.action = 'create';
        if (s) {
          drift.push({
            address: inst.address,
            host: inst.host,
            kind: 'removed',
            detail: `volume ${inst.spec.name} was removed outside kolla`,
          });
          base.reasons.push('the volume was removed outside kolla');
        }
      }
    } else if (inst.kind === 'image') {
      // Built or pulled by the build step (kolla build); the containers using it carry the change.
    } else if (inst.kind === 'bootstrap') {
      const h = bootstrapInputsHash(inst, input.instances);
      const forced = options.replace.some((r) => addressMatches(r, inst.address));
      const imageNow = hw.images.get(inst.spec.image);
      const imageMoved = options.refreshed && !!s?.image_id && !!imageNow && s.image_id !== imageNow;
      if (!s || s.inputs_hash !== h || forced || imageMoved) {
        base.action = 'run';
        base.irreversible = true;
        base.reasons.push(
          forced
            ? 'a re-run was requested with -replace'
            : s
              ? 'its inputs (image, command, environment or config files) changed'
              : 'it has not run yet',
        );
      }
    } else if (inst.kind === 'container') {
      containerChange(inst, s, hw, base, drift, options, configChanged, isSensitive);
    }
    changes.push(base);
  }

  // Deletions: what the state or the hosts hold that the configuration no longer names.
  for (const r of prior.resources) {
    if (desiredAddrs.has(r.address)) continue;
    if (r.kind === 'volume' && options.destroy && !options.includeVolumes) continue;
    if (r.kind === 'bootstrap' || r.kind === 'image') {
      changes.push({
        address: r.address,
        kind: r.kind,
        host: r.host,
        action: 'delete',
        reasons: ['no longer in the configuration (forgotten; nothing to remove)'],
        attrs: [],
        before: r,
        dependsOn: [],
      });
      continue;
    }
    const c: Change = {
      address: r.address,
      kind: r.kind,
      host: r.host,
      action: 'delete',
      reasons: [options.destroy ? 'destroy' : 'no longer in the configuration'],
      attrs: [],
      before: r,
      dependsOn: r.dependencies,
    };
    if (r.kind === 'container' && r.spec) {
      c.containerName = r.spec.name;
      const o = hostWorld(r.host).containers.get(r.spec.name);
      if (o) c.currentId = o.id;
      else if (options.refreshed) continue; // already gone
    }
    changes.push(c);
  }
  const stateNames = new Set(prior.resources.filter((r) => r.spec).map((r) => `${r.host}/${r.spec!.name}`));
  const desiredNames = new Set(
    desired
      .filter((i): i is ContainerInstance => i.kind === 'container')
      .map((i) => `${i.host}/${i.spec.name}`),
  );
  for (const [host, hw] of world) {
    for (const o of hw.containers.values()) {
      const key = `${host}/${o.name}`;
      if (desiredNames.has(key) || stateNames.has(key)) continue;
      if (o.name.endsWith('.kolla-prev') || o.name.endsWith('.kolla-new')) continue; // handled by journal recovery
      const address = o.address ?? `container ${o.name}`;
      drift.push({
        address,
        host,
        kind: 'orphan',
        detail: `container ${o.name} has this project's label but no configuration names it`,
      });
      changes.push({
        address,
        kind: 'container',
        host,
        action: 'delete',
        reasons: ['orphan: labelled for this project but not in the configuration'],
        attrs: [],
        currentId: o.id,
        containerName: o.name,
        dependsOn: [],
      });
    }
  }

  let selected = changes;
  if (options.targets.length) selected = selectTargets(changes, options.targets);
  const plan: Plan = {
    format_version: 1,
    kolla_version: input.kollaVersion,
    project: input.project,
    prior_lineage: prior.lineage,
    prior_serial: prior.serial,
    created_at: new Date().toISOString(),
    destroy: options.destroy,
    targets: options.targets,
    drift: drift.filter((d) => selected.some((c) => c.address === d.address) || !options.targets.length),
    changes: selected,
    outputs: options.destroy ? {} : maskOutputs(input.outputs, masker),
    summary: summarise(selected),
    variables: input.variables,
  };
  return plan;
}

function containerChange(
  inst: ContainerInstance,
  s: ResourceState | undefined,
  hw: HostWorld,
  base: Change,
  drift: Drift[],
  options: DiffOptions,
  configChanged: Map<string, string[]>,
  isSensitive: (v: unknown) => boolean,
): void {
  const want = specHash(inst.spec);
  const o = options.refreshed
    ? hw.containers.get(inst.spec.name)
    : s?.observed
      ? {
          id: s.observed.id,
          specHash: s.spec_hash,
          imageId: s.observed.image_id,
          state: 'running',
          restartPolicy: s.spec?.restart_policy ?? 'unless-stopped',
          memory: s.spec?.memory ?? 0,
          cpuShares: s.spec?.cpu_shares ?? 0,
        }
      : undefined;
  const attrs = withoutIgnored(diffSpecs(s?.spec, inst.spec, isSensitive), inst.options.ignoreChanges);
  if (!o) {
    base.action = 'create';
    if (s) {
      drift.push({
        address: inst.address,
        host: inst.host,
        kind: 'removed',
        detail: `container ${inst.spec.name} was removed outside kolla`,
      });
      base.reasons.push('the container was removed outside kolla');
    }
    base.attrs = diffSpecs(undefined, inst.spec, isSensitive);
    return;
  }
  base.currentId = o.id;
  if (o.imageId) base.currentImageId = o.imageId;
  const forced = options.replace.some((r) => addressMatches(r, inst.address));
  const replaceAttrs = attrs.filter((a) => a.forcesReplacement);
  if (forced) {
    base.action = 'replace';
    base.reasons.push('replacement requested with -replace');
  }
  if (o.specHash !== want && (replaceAttrs.length > 0 || !s || s.spec_hash !== want)) {
    // Ignored changes must not force a replacement by themselves.
    if (replaceAttrs.length > 0 || !s || inst.options.ignoreChanges.length === 0) {
      base.action = 'replace';
      if (s && s.spec_hash === o.specHash) base.reasons.push('the spec changed');
      else if (s) {
        drift.push({
          address: inst.address,
          host: inst.host,
          kind: 'recreated',
          detail: `container ${inst.spec.name} was recreated or edited outside kolla`,
        });
        base.reasons.push('the container was recreated outside kolla with a different spec');
      } else base.reasons.push('the container on the host was made from a different spec');
    }
  }
  const wantImage = hw.images.get(inst.spec.image);
  if (options.refreshed && wantImage && wantImage !== o.imageId && base.action !== 'replace') {
    base.action = 'replace';
    const same = s?.spec?.image === inst.spec.image || !s;
    if (same)
      drift.push({
        address: inst.address,
        host: inst.host,
        kind: 'image-moved',
        detail: `${inst.spec.image} now points at another image (${short(o.imageId)} → ${short(wantImage)})`,
      });
    base.reasons.push(`${inst.spec.image} now points at another image`);
    base.attrs.push({
      path: 'image_id',
      before: o.imageId,
      after: wantImage,
      forcesReplacement: true,
      sensitive: false,
    });
  }
  if (base.action === 'replace') {
    base.attrs = [...attrs, ...base.attrs];
  } else {
    const inPlace = inPlaceChanges(inst.spec, o).filter((f) => !inst.options.ignoreChanges.includes(f));
    if (inPlace.length) {
      const blocker = inPlaceBlocker(inst.spec, o);
      base.action = blocker ? 'replace' : 'update';
      if (blocker) base.reasons.push(blocker);
      const observed: Record<string, unknown> = {
        restart_policy: o.restartPolicy,
        memory: o.memory,
        cpu_shares: o.cpuShares,
      };
      base.attrs = inPlace.map((f) => ({
        path: f,
        before: s?.spec ? (s.spec as unknown as Record<string, unknown>)[f] : observed[f],
        after: (inst.spec as unknown as Record<string, unknown>)[f],
        forcesReplacement: !!blocker,
        sensitive: false,
      }));
      if (
        s?.spec &&
        inPlace.some(
          (f) =>
            (s.spec as unknown as Record<string, unknown>)[f] ===
            (inst.spec as unknown as Record<string, unknown>)[f],
        )
      ) {
        drift.push({
          address: inst.address,
          host: inst.host,
          kind: 'edited',
          detail: `container ${inst.spec.name}: ${inPlace.join(', ')} changed outside kolla`,
        });
        base.reasons.push(`${inPlace.join(', ')} changed outside kolla`);
      }
    }
    const files = configChanged.get(`${inst.service}/${inst.spec.name}/${inst.host}`);
    if (files?.length) {
      const once = inst.options.kollaStart && inst.options.configStrategy === 'COPY_ONCE';
      if (once) {
        base.action = 'replace';
        base.reasons.push(`config ${files.join(', ')} changed and KOLLA_CONFIG_STRATEGY is COPY_ONCE`);
      } else if (base.action === 'noop' || base.action === 'update') {
        base.reasons.push(`config ${files.join(', ')} changed`);
        if (base.action === 'noop') base.action = 'restart';
        else base.reasons.push('and is restarted to read it');
      }
    }
    if (options.refreshed && 'state' in o && o.state !== 'running' && base.action !== 'replace') {
      drift.push({
        address: inst.address,
        host: inst.host,
        kind: 'stopped',
        detail: `container ${inst.spec.name} is ${o.state}`,
      });
      if (base.action === 'noop') base.action = 'restart';
      base.reasons.push(`the container is ${o.state} (stopped outside kolla): start it`);
    }
  }
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function patch(file: string, before: string, after: string): string {
  return diffLib()
    .createTwoFilesPatch(file, file, before, after, '', '', { context: 3 })
    .split('\n')
    .slice(2) // drop the "Index"/"===" header lines
    .join('\n');
}

function maskOutputs(outputs: DiffInput['outputs'], masker: SecretMasker): Plan['outputs'] {
  const out: Plan['outputs'] = {};
  for (const [k, v] of Object.entries(outputs)) {
    out[k] = v.sensitive
      ? { value: null, sensitive: true }
      : { value: masker.maskDeep(v.value), sensitive: false };
  }
  return out;
}

/** Targets and, as Terraform does, everything they depend on. */
function selectTargets(changes: Change[], targets: string[]): Change[] {
  const byAddr = new Map(changes.map((c) => [c.address, c]));
  const keep = new Set<string>();
  const add = (a: string): void => {
    if (keep.has(a)) return;
    keep.add(a);
    for (const d of byAddr.get(a)?.dependsOn ?? []) add(d);
  };
  for (const c of changes) if (targets.some((t) => addressMatches(t, c.address))) add(c.address);
  return changes.filter((c) => keep.has(c.address));
}
