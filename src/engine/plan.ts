/**
 * plan(): refresh every host the configuration or the state concerns, then diff. Pure
 * apart from the refresh reads; returns the Plan as data.
 */
import type { Diagnostic } from '../diags/diagnostic.js';
import type { Config } from '../config/config.js';
import type { Expansion } from '../expand/expand.js';
import type { State } from '../states/state.js';
import { emptyState } from '../states/state.js';
import { SecretMasker } from '../states/secret-mask.js';
import type { Plan } from '../plans/plan.js';
import type { RefreshRequest, World } from '../providers/world.js';
import { imageBuildStates, type ImageBuildState } from '../build/index.js';
import { kindOf } from '../kinds/registry.js';
import { applyMoves } from '../states/moves.js';
import { addressMatches } from '../addrs/address.js';
import { imageNamesOf } from '../kinds/image.js';
import { quorumProblems } from '../kinds/container.js';
import { makePlan, type DiffOptions } from './planner.js';
import { refreshWorld } from './refresh.js';
import type { HostConnections } from './hosts.js';
import type { EventSink } from './events.js';
import { kollaVersion } from '../version.js';
import { catalogueChange, catalogueModulesCalled } from '../plans/catalogue.js';
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
  /** Steps of an interrupted apply's journal, when one is open (plan shows it; apply recovers first). */
  interruptedSteps?: number;
}

export interface PlanResult {
  plan: Plan;
  world: World;
  /** Hosts that could not be refreshed, with why. */
  hostErrors: string[];
  /** Problems found while planning that stop it (a container name held by another project). */
  diagnostics: Diagnostic[];
}

export function maskerFor(config: Config): SecretMasker {
  return new SecretMasker(config.secretValues);
}

export async function computePlan(ctx: PlanContext): Promise<PlanResult> {
  const { config } = ctx;
  const limit = ctx.limitHosts;
  let instances = limit ? ctx.expansion.instances.filter((i) => limit.has(i.host)) : ctx.expansion.instances;
  let prior = ctx.prior ?? emptyState('', config.settings.project, kollaVersion());
  // Other hosts' resources are neither planned nor deleted: apply carries them over.
  if (limit) prior = { ...prior, resources: prior.resources.filter((r) => limit.has(r.host)) };
  // moved blocks: the state follows the new addresses before anything is compared.
  const diagnostics: Diagnostic[] = [];
  // A move whose old address the configuration still has is not a move (the object is
  // still there): it is skipped with a warning, as Terraform does — applying it would make
  // the same container two resources, one of them deleted.
  const configured = instances.map((i) => i.address);
  const moveList = config.stateEdits.moves.filter((m) => {
    const still = configured.find((a) => addressMatches(m.from, a));
    if (still)
      diagnostics.push({
        severity: 'warning',
        summary: `Moved object still in the configuration: ${m.from}`,
        detail: `A moved block moves ${m.from} to ${m.to}, but the configuration still declares ${still}. The move is skipped; remove the old declaration (or the moved block).`,
      });
    return !still;
  });
  const moves = applyMoves(prior, moveList);
  prior = moves.state;
  for (const p of moves.problems) diagnostics.push({ severity: 'error', summary: p });
  // removed blocks: what they name and the configuration no longer does is forgotten.
  const desired = new Set(instances.map((i) => i.address));
  const forget = new Set(
    prior.resources
      .filter(
        (r) => !desired.has(r.address) && config.stateEdits.removed.some((f) => addressMatches(f, r.address)),
      )
      .map((r) => r.address),
  );
  const requests = new Map<string, RefreshRequest>();
  const req = (h: string): RefreshRequest => {
    let r = requests.get(h);
    if (!r) requests.set(h, (r = { host: h, images: [], files: [] }));
    return r;
  };
  const known = new Set(config.hosts.map((h) => h.name));
  for (const i of instances) kindOf(i.kind).wants(i, req(i.host));
  for (const r of prior.resources) {
    if (!known.has(r.host)) continue; // a host removed from the configuration cannot be reached
    kindOf(r.kind).wantsForState(r, req(r.host));
  }
  let world: World = new Map();
  const hostErrors: string[] = [];
  let unreachable: { host: string; detail: string }[] | undefined;
  let downHosts: ReadonlySet<string> = new Set();
  const allInstances = instances;
  if (ctx.options.refreshed) {
    ctx.onEvent({ type: 'refresh', hosts: [...requests.keys()] });
    phase('refresh started');
    world = await refreshWorld(ctx.conns, config.settings.project, [...requests.values()]);
    phase('refreshed');
    // A host that is down (no network path, its engine stopped) is left out, as --limit
    // leaves a host out: nothing planned for it, its state carried over, the others planned
    // without anything destructive for it. Unless every host is down: then nothing can be
    // planned. A host that refuses (authentication, a host key) is an error.
    const down = [...world].filter(([, hw]) => hw.down).map(([h]) => h);
    const left = down.length && down.length < world.size ? new Set(down) : undefined;
    for (const [h, hw] of world) {
      if (hw.error && !left?.has(h)) hostErrors.push(hw.error);
    }
    if (left) {
      downHosts = left;
      unreachable = down.sort().map((host) => ({ host, detail: world.get(host)!.error ?? 'unreachable' }));
      instances = instances.filter((i) => !left.has(i.host));
      prior = { ...prior, resources: prior.resources.filter((r) => !left.has(r.host)) };
      for (const h of left) world.delete(h);
    }
  }
  // Images kolla builds: a missing or changed one is built by apply before the containers
  // that use it, and those containers are replaced.
  let builds: ImageBuildState[] = [];
  const names = imageNamesOf(instances);
  if (names.length && ctx.options.refreshed) builds = await imageBuildStates(config, names);
  const plan = makePlan({
    project: config.settings.project,
    kollaVersion: kollaVersion(),
    instances,
    prior,
    world,
    masker: maskerFor(config),
    options: ctx.options,
    outputs: ctx.expansion.outputs,
    variables: ctx.variables,
    builds,
    diagnostics,
    forget,
    removed: config.stateEdits.removed,
    moves: moveList,
    ...(ctx.interruptedSteps !== undefined ? { interruptedSteps: ctx.interruptedSteps } : {}),
  });
  // A rolling change that would leave a quorum service (Galera, RabbitMQ) without a majority.
  if (!ctx.options.destroy) {
    for (const q of quorumProblems(plan.changes, plan.drift, allInstances, downHosts))
      diagnostics.push(
        ctx.options.allowQuorumLoss
          ? { severity: 'warning', summary: `Quorum: ${q}`, detail: 'Planned anyway (--allow-quorum-loss).' }
          : {
              severity: 'error',
              summary: `Quorum: ${q}`,
              detail:
                'Bring the missing members back first (kolla apply -limit them, or start them), or plan with --allow-quorum-loss to take the cluster down knowingly.',
            },
      );
  }
  if (moves.moved.length) plan.moved = moves.moved;
  if (forget.size) plan.forgotten = [...forget].sort();
  const catalogue = catalogueChange(catalogueModulesCalled(config.modules), ctx.prior, kollaVersion());
  if (catalogue) plan.catalogue = catalogue;
  phase('plan computed');
  if (limit) plan.limit = config.hosts.map((h) => h.name).filter((h) => limit.has(h));
  if (unreachable) plan.unreachable = unreachable;
  return { plan, world, hostErrors, diagnostics };
}
