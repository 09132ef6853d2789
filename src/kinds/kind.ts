/**
 * The resource contract: what every kind of resource (container, config file, volume,
 * bootstrap task, image, and the kinds to come) implements, in one interface. The engine
 * plans, applies, rolls back, records state and draws graphs only through it — it has no
 * branch per kind. A kind is one module in this folder, registered in registry.ts, whose
 * map is exhaustive over the kind union: a kind that is not registered does not compile.
 *
 * The life of a resource, and the method that owns each step:
 *   refresh   wants()            what the refresh must read on its host
 *   plan      plan()             desired + prior state + live → a Change (action, reasons as
 *             planDelete()       data, the attributes that force replacement); a resource no
 *                                longer configured → its delete
 *   apply     prepare()          before any change (images built or pulled)
 *             apply()            one change, journaling each step before it is done
 *             applyDelete()      deferred deletes, after every other change
 *             commit()           after the new state is written (remove what was kept)
 *   rollback  undo()             one journal step of this kind, newest first
 *   state     toState()          what the state keeps (its own shape: states/state.ts)
 *             fromState()        an earlier state back into a desired instance (kolla rollback)
 *             rollbackTo()       what else that earlier state needs to come back with its data
 *             backupsNamed()     the backups a state names (kept from pruning)
 */
import type { Diagnostic } from '../diags/diagnostic.js';
import type { BackupRecord, Instance, InstanceKind } from '../expand/instances.js';
import type { ResourceOf, State, StepEntry } from '../states/state.js';
import type { SecretMasker } from '../states/secret-mask.js';
import type { Transport } from '../transport/transport.js';
import type { HostWorld, RefreshRequest } from '../providers/world.js';
import type { Change, Drift } from '../plans/plan.js';
import type { ImageBuildState } from '../build/index.js';

export type InstanceOf<K extends InstanceKind> = Extract<Instance, { kind: K }>;

/** The planner's options, as the flags give them. */
export interface DiffOptions {
  destroy: boolean;
  targets: string[];
  /** --limit as given (host and group names); resolved to hosts by the engine. */
  limit?: string[];
  replace: string[];
  includeVolumes: boolean;
  /** destroy --include-data: drop the databases' schemas too (their data is lost). */
  includeData?: boolean;
  /** False with -refresh=false: the state is taken as the truth. */
  refreshed: boolean;
  /** --allow-quorum-loss: a rolling change of a quorum service may leave no majority running. */
  allowQuorumLoss?: boolean;
}

/** What a kind's plan() may read and report, beyond its own instance and prior state. */
export interface PlanContext {
  options: DiffOptions;
  masker: SecretMasker;
  /** Every desired instance (secrets unmasked), e.g. for a bootstrap's inputs. */
  instances: readonly Instance[];
  /** What the refresh found on a host (an empty world when it was not refreshed). */
  host(name: string): HostWorld;
  /** The change already planned for an address of an earlier phase (config files, images). */
  upstream(address: string): Change | undefined;
  /** Images kolla builds and whether each is up to date, by image block name. */
  builds: ReadonlyMap<string, ImageBuildState>;
  /** Is -replace asking for this address? */
  forced(address: string): boolean;
  /** Named by a `removed` block: kolla no longer manages it, even where its label says so. */
  forgotten(address: string): boolean;
  isSensitive(v: unknown): boolean;
  drift(d: Drift): void;
  /** A problem that stops the plan (exit 1), e.g. a container name held by another project. */
  error(d: Diagnostic): void;
}

/** What one step of an apply may use. */
export interface StepContext {
  project: string;
  transport: Transport;
  masker: SecretMasker;
  /** Writes a journal step (durably) before it is done. */
  log(e: StepEntry): Promise<void>;
  /** Another host's transport (a database server a bootstrap backs up first). */
  transportOf(host: string): Transport;
  /** How many backups each database server keeps (the kolla block's backup_retention). */
  backupRetention: number;
  /** How long a container without a healthcheck must keep running to count as up. */
  settleMs: number;
  signal?: AbortSignal;
  progress(text: string, elapsedMs: number): void;
}

/** What a rollback step may use. */
export interface UndoContext {
  project: string;
  transport(host: string): Transport;
  masker: SecretMasker;
  /** Containers to restart once every step is undone (to read restored files). */
  restartLater(host: string, name: string): void;
  /** Something the user should know that is not a failure (an irreversible step, a container left alone). */
  note(text: string): void;
}

/** What toState() may use. */
export interface StateContext {
  masker: SecretMasker;
  /** Every desired instance of the apply. */
  instances: readonly Instance[];
}

/** What apply observed of a resource, for the state. */
export interface Observed {
  id?: string;
  image_id?: string;
  /** Backups taken before the step. */
  backups?: BackupRecord[];
}

export interface ResourceKind<K extends InstanceKind> {
  readonly kind: K;
  /** Kinds of a lower phase are planned first, so later ones can read their changes (config → container). */
  readonly planPhase: number;
  /** Shape in `kolla graph` (Graphviz). */
  readonly shape: string;
  /** The journal ops this kind writes (and undoes). */
  readonly ops: readonly string[];
  /**
   * Of those, the ops a rollback undoes before any other step (newest first): a database
   * restored from its backup before the previous containers start again. Such a step is undone
   * only when a later step of the same address was journalled (the backup of a bootstrap that
   * never started is not restored: writes made since would be lost for nothing); when one
   * fails, the rollback stops there, the journal kept (the older containers must not start
   * on a schema that is half restored).
   */
  readonly undoFirst?: readonly string[];

  wants(i: InstanceOf<K>, req: RefreshRequest): void;
  wantsForState(r: ResourceOf<K>, req: RefreshRequest): void;

  plan(i: InstanceOf<K>, prior: ResourceOf<K> | undefined, ctx: PlanContext): Change;
  /** A resource the configuration no longer names: its change, or undefined when nothing is left. */
  planDelete(r: ResourceOf<K>, ctx: PlanContext): Change | undefined;
  /** Objects on the hosts that neither the configuration nor the state names (orphans, leftovers). */
  planUnmanaged?(
    ctx: PlanContext,
    known: { desired: readonly Instance[]; prior: readonly ResourceOf<K>[] },
  ): Change[];

  prepare?(
    changes: readonly Change[],
    instances: ReadonlyMap<string, Instance>,
    ctx: PrepareContext,
  ): Promise<void>;
  apply(c: Change, i: InstanceOf<K>, ctx: StepContext): Promise<Observed | undefined>;
  applyDelete?(c: Change, ctx: StepContext): Promise<void>;
  /** After the new state is written: finish a delete (remove a file, a volume, a kept container). */
  commitDelete?(c: Change, ctx: StepContext): Promise<void>;
  /** After the new state is written: finish a journal step of this kind (remove a kept container). */
  commit?(e: StepEntry, ctx: UndoContext): Promise<void>;

  /**
   * `apply --continue`: a step of an interrupted apply is kept; make sure it is complete as
   * apply would have (a container it started is healthy). Throws when it is not.
   */
  keep?(e: StepEntry, ctx: UndoContext & { settleMs: number }): Promise<void>;
  /** Undo one step; throws when it cannot (a rollback problem). */
  undo(e: StepEntry, ctx: UndoContext): Promise<void>;
  /** Words for an undo step in progress output; undefined for a step with nothing of its own to undo. */
  describeUndo(e: StepEntry): string | undefined;

  toState(
    i: InstanceOf<K>,
    c: Change,
    prev: ResourceOf<K> | undefined,
    observed: Observed | undefined,
    ctx: StateContext,
  ): ResourceOf<K>;
  fromState(r: ResourceOf<K>, masker: SecretMasker): InstanceOf<K> | undefined;
  /**
   * `kolla rollback --to`: this resource's state in the target (`then`) as the rollback must
   * use it to come back with its data (a bootstrap that migrated schemas since then restores
   * the backups taken before), or the problem that forbids the rollback; undefined when `then`
   * will do as it is. `now` is its current state.
   */
  rollbackTo?(
    now: ResourceOf<K>,
    then: ResourceOf<K>,
    between: StatesBetween,
  ): Promise<RollbackData<ResourceOf<K>> | undefined>;
  /** The backups this resource's state names: `kolla backup create` never prunes them. */
  backupsNamed?(r: ResourceOf<K>): readonly string[];
  /** Attributes `kolla state show` prints. */
  show(r: ResourceOf<K>): [string, unknown][];
}

/** The states after a rollback's target up to the current one, oldest first (read on first call). */
export type StatesBetween = () => Promise<readonly State[]>;

/** What a rollback needs of one resource beyond its earlier state (rollbackTo). */
export type RollbackData<R> =
  { resource: R; restore: { schemas: string[]; backups: string[]; since: number } } | { problem: string };

/** What the before-changes hook may use: every host, events, the configuration's images. */
export interface PrepareContext {
  transport(host: string): Transport;
  /** Hosts reached over SSH (they get images from this machine's engine). */
  isRemote(host: string): boolean;
  message(level: 'info' | 'warning', text: string): void;
  /** Builds the named image blocks (kolla build), parents first; throws a StepError-like error on failure. */
  build(names: string[]): Promise<void>;
}

/** A kind's change before it decides anything: no-op, with the desired instance (secrets masked) and the prior state. */
export function noopChange(
  inst: Instance,
  prior: ResourceOf<InstanceKind> | undefined,
  ctx: Pick<PlanContext, 'masker'>,
): Change {
  const c: Change = {
    address: inst.address,
    kind: inst.kind,
    host: inst.host,
    action: 'noop',
    reasons: [],
    attrs: [],
    after: ctx.masker.maskDeep(inst),
    dependsOn: inst.dependsOn,
  };
  if (prior) c.before = prior;
  return c;
}

/**
 * The delete of a one-off step (a bootstrap, a task) the configuration no longer names: kolla
 * only forgets it, there is nothing on the host to remove.
 */
export function forgetOneOff(r: ResourceOf<'bootstrap' | 'task'>, ctx: Pick<PlanContext, 'options'>): Change {
  return {
    address: r.address,
    kind: r.kind,
    host: r.host,
    action: 'delete',
    reasons: [
      ctx.options.destroy
        ? 'destroy: kolla forgets it (a one-off task; nothing to remove)'
        : 'no longer in the configuration (forgotten; nothing to remove)',
    ],
    attrs: [],
    before: r,
    dependsOn: [],
  };
}
