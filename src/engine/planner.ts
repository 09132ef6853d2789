/**
 * The planner: desired instances + prior state + what the refresh found → the Plan, as
 * plain data. Pure: no I/O. Each kind decides its own changes (src/kinds/); the planner
 * orders them by phase (config files and images before the containers that read or run
 * them), adds deletions and unmanaged objects, applies -target, and counts.
 */
import type { Diagnostic } from '../diags/diagnostic.js';
import type { Instance } from '../expand/instances.js';
import type { State } from '../states/state.js';
import type { SecretMasker } from '../states/secret-mask.js';
import { addressesAfterMoves, type Move } from '../states/moves.js';
import type { World, HostWorld } from '../providers/world.js';
import { emptyHostWorld } from '../providers/world.js';
import type { ImageBuildState } from '../build/index.js';
import { addressMatches } from '../addrs/address.js';
import { groupByKind, kindOf, kindsByPhase } from '../kinds/registry.js';
import type { DiffOptions, PlanContext } from '../kinds/kind.js';
import { summarise, type Change, type Drift, type Plan } from '../plans/plan.js';

export type { DiffOptions };

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
  /** Images kolla builds and whether each is up to date (none when not refreshed). */
  builds?: ImageBuildState[];
  /** Steps of an interrupted apply's journal, when one is open. */
  interruptedSteps?: number;
  /** Problems that stop the plan (a container name held by another project) go here. */
  diagnostics?: Diagnostic[];
  /** Addresses of the prior state that `removed` blocks forget instead of destroying. */
  forget?: ReadonlySet<string>;
  /** The `removed` blocks' addresses: what they name is not an orphan either. */
  removed?: readonly string[];
  /**
   * The `moved` blocks applied to the state: a container keeps the address it was created
   * at as its label, so a removed block also covers what was moved to an address it names.
   */
  moves?: readonly Move[];
}

export function makePlan(input: DiffInput): Plan {
  const { prior, world, masker, options } = input;
  const desired = options.destroy ? [] : input.instances;
  const byAddr = new Map(prior.resources.map((r) => [r.address, r]));
  const desiredAddrs = new Set(desired.map((i) => i.address));
  const planned = new Map<string, Change>();
  const drift: Drift[] = [];
  const empty = emptyHostWorld();
  const ctx: PlanContext = {
    options,
    masker,
    instances: input.instances,
    host: (h: string): HostWorld => world.get(h) ?? empty,
    upstream: (a) => planned.get(a),
    builds: new Map((input.builds ?? []).map((b) => [b.name, b])),
    forced: (a) => options.replace.some((r) => addressMatches(r, a)),
    forgotten: (a) => {
      const removed = input.removed ?? [];
      if (!removed.length) return false;
      return addressesAfterMoves(a, input.moves ?? []).some((x) => removed.some((r) => addressMatches(r, x)));
    },
    // A whole object (a new container's environment) holds a secret as well as a string does.
    isSensitive: (v) =>
      typeof v === 'string'
        ? masker.containsSecret(v)
        : v !== null && typeof v === 'object' && JSON.stringify(masker.maskDeep(v)) !== JSON.stringify(v),
    drift: (d) => void drift.push(d),
    error: (d) => void input.diagnostics?.push(d),
  };

  const desiredByKind = groupByKind(desired);
  const priorByKind = groupByKind(prior.resources);
  const changes: Change[] = [];
  for (const kind of kindsByPhase()) {
    for (const inst of desiredByKind.get(kind.kind) ?? []) {
      const c = kind.plan(inst, byAddr.get(inst.address), ctx);
      planned.set(c.address, c);
      changes.push(c);
    }
  }
  // Deletions: what the state holds that the configuration no longer names.
  for (const r of prior.resources) {
    if (desiredAddrs.has(r.address) || input.forget?.has(r.address)) continue;
    const c = kindOf(r.kind).planDelete(r, ctx);
    if (c) changes.push(c);
  }
  // What the hosts hold with this project's label that neither names.
  for (const kind of kindsByPhase()) {
    if (!kind.planUnmanaged) continue;
    changes.push(...kind.planUnmanaged(ctx, { desired, prior: priorByKind.get(kind.kind) ?? [] }));
  }

  // Attribute values are shown (text and --json): secrets in them become markers.
  for (const c of changes) c.attrs = c.attrs.map((a) => masker.maskDeep(a));
  const selected = options.targets.length
    ? selectTargets(changes, options.targets, options.destroy)
    : changes;
  const plan: Plan = {
    format_version: 1,
    kolla_version: input.kollaVersion,
    project: input.project,
    prior_lineage: prior.lineage,
    prior_serial: prior.serial,
    created_at: new Date().toISOString(),
    destroy: options.destroy,
    targets: options.targets,
    drift: drift.filter((d) => !options.targets.length || selected.some((c) => c.address === d.address)),
    changes: selected,
    outputs: options.destroy ? {} : maskOutputs(input.outputs, masker),
    summary: summarise(selected),
    variables: input.variables,
  };
  if (input.interruptedSteps !== undefined) {
    plan.interrupted = { steps: input.interruptedSteps };
    plan.drift.unshift({
      address: 'apply',
      host: '',
      kind: 'interrupted',
      detail: `an interrupted apply left a journal of ${input.interruptedSteps} steps: kolla apply rolls it back first (or keeps it with --continue)`,
    });
  }
  return plan;
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

/**
 * Targets and, as Terraform does, everything they depend on — or, when destroying, everything
 * that depends on them (a container is not left running against a database that goes).
 */
function selectTargets(changes: Change[], targets: string[], destroy: boolean): Change[] {
  const byAddr = new Map(changes.map((c) => [c.address, c]));
  const dependants = new Map<string, string[]>();
  for (const c of changes)
    for (const d of c.dependsOn) dependants.set(d, [...(dependants.get(d) ?? []), c.address]);
  const keep = new Set<string>();
  const add = (a: string): void => {
    if (keep.has(a)) return;
    keep.add(a);
    const next = destroy ? (dependants.get(a) ?? []) : (byAddr.get(a)?.dependsOn ?? []);
    for (const d of next) add(d);
  };
  for (const c of changes) if (targets.some((t) => addressMatches(t, c.address))) add(c.address);
  return changes.filter((c) => keep.has(c.address));
}
