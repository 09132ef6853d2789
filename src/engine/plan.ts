/**
 * plan(): refresh every host the configuration or the state concerns, then diff. Pure
 * apart from the refresh reads; returns the Plan as data.
 */
import type { Config } from '../config/config.js';
import type { Expansion } from '../expand/expand.js';
import type { State } from '../states/state.js';
import { emptyState } from '../states/state.js';
import { SecretMasker } from '../states/secret-mask.js';
import { makePlan, type DiffOptions } from '../plans/diff.js';
import { summarise, type Plan } from '../plans/plan.js';
import { imageBuildStates, type ImageBuildState } from '../build/index.js';
import { refreshWorld, type RefreshRequest, type World } from './refresh.js';
import type { HostConnections } from './hosts.js';
import type { EventSink } from './events.js';
import { kollaVersion } from '../version.js';
import { phase } from '../timing.js';

export interface PlanContext {
  config: Config;
  expansion: Expansion;
  prior: State | undefined;
  conns: HostConnections;
  options: DiffOptions;
  variables: Plan['variables'];
  onEvent: EventSink;
  /** --limit: only these hosts are refreshed and planned; the rest of the state is kept. */
  limitHosts?: Set<string>;
}

export interface PlanResult {
  plan: Plan;
  world: World;
  /** Hosts that could not be refreshed, with why. */
  hostErrors: string[];
}

/** Image instances to build, and the containers that will run the new image. */
function markImageBuilds(plan: Plan, expansion: Expansion, states: ImageBuildState[]): void {
  const stale = new Map(states.filter((s) => !s.upToDate).map((s) => [s.name, s]));
  if (stale.size === 0) return;
  const rebuilt = new Set<string>();
  for (const c of plan.changes) {
    const i = expansion.instances.find((x) => x.address === c.address);
    if (i?.kind !== 'image') continue;
    const st = stale.get(i.name);
    if (!st) continue;
    c.action = st.reason === 'missing' ? 'create' : 'update';
    c.reasons.push(
      st.reason === 'missing'
        ? `image ${st.ref} will be built`
        : st.reason === 'parent-changed'
          ? `its parent image changes: ${st.ref} will be rebuilt`
          : `its Dockerfile or context changed: ${st.ref} will be rebuilt`,
    );
    rebuilt.add(c.address);
  }
  for (const c of plan.changes) {
    if (c.kind !== 'container' || c.action === 'create' || c.action === 'delete') continue;
    const img = c.dependsOn.find((d) => rebuilt.has(d));
    if (!img) continue;
    c.action = 'replace';
    c.reasons.push(`${img} is rebuilt`);
  }
  plan.summary = summarise(plan.changes);
}

export function maskerFor(config: Config): SecretMasker {
  return new SecretMasker(config.secretValues);
}

export async function computePlan(ctx: PlanContext): Promise<PlanResult> {
  const { config } = ctx;
  const limit = ctx.limitHosts;
  const expansion = limit
    ? { ...ctx.expansion, instances: ctx.expansion.instances.filter((i) => limit.has(i.host)) }
    : ctx.expansion;
  let prior = ctx.prior ?? emptyState('', config.settings.project, kollaVersion());
  // Other hosts' resources are neither planned nor deleted: apply carries them over.
  if (limit) prior = { ...prior, resources: prior.resources.filter((r) => limit.has(r.host)) };
  const requests = new Map<string, RefreshRequest>();
  const req = (h: string): RefreshRequest => {
    let r = requests.get(h);
    if (!r) requests.set(h, (r = { host: h, images: [], files: [] }));
    return r;
  };
  const known = new Set(config.hosts.map((h) => h.name));
  for (const i of expansion.instances) {
    const r = req(i.host);
    if (i.kind === 'container' || i.kind === 'bootstrap') r.images.push(i.spec.image);
    if (i.kind === 'config') r.files.push(i.path);
  }
  for (const r of prior.resources) {
    if (!known.has(r.host)) continue; // a host removed from the configuration cannot be reached
    const q = req(r.host);
    if (r.path) q.files.push(r.path);
  }
  let world: World = new Map();
  const hostErrors: string[] = [];
  if (ctx.options.refreshed) {
    ctx.onEvent({ type: 'refresh', hosts: [...requests.keys()] });
    phase('refresh started');
    world = await refreshWorld(ctx.conns, config.settings.project, [...requests.values()]);
    phase('refreshed');
    for (const hw of world.values()) if (hw.error) hostErrors.push(hw.error);
  }
  // Images kolla builds: a missing or changed one is built by apply before the containers
  // that use it, and those containers are replaced.
  let imageStates: ImageBuildState[] = [];
  const imageNames = [...new Set(expansion.instances.filter((i) => i.kind === 'image').map((i) => i.name))];
  if (imageNames.length && ctx.options.refreshed) {
    imageStates = await imageBuildStates(config, imageNames);
  }
  const plan = makePlan({
    project: config.settings.project,
    kollaVersion: kollaVersion(),
    instances: expansion.instances,
    prior,
    world,
    masker: maskerFor(config),
    options: ctx.options,
    outputs: expansion.outputs,
    variables: ctx.variables,
  });
  markImageBuilds(plan, expansion, imageStates);
  phase('plan computed');
  if (limit) plan.limit = config.hosts.map((h) => h.name).filter((h) => limit.has(h));
  return { plan, world, hostErrors };
}
