/**
 * The plan: plain data computed without side effects from the desired instances, the
 * prior state and what refresh found. Rendering and applying both consume it.
 */
import type { Instance, InstanceKind } from '../expand/instances.js';
import type { ResourceState } from '../states/state.js';
import type { CatalogueChange } from './catalogue.js';

/**
 * `create` +, `update` ~ (in place), `replace` -/+, `delete` -, `restart` ↻ (files changed,
 * spec unchanged, or a stopped container started), `run` (a bootstrap task), `noop`.
 */
export type Action = 'create' | 'update' | 'replace' | 'delete' | 'restart' | 'run' | 'noop';

export interface AttrChange {
  /** Argument path, e.g. `image`, `environment.DEBUG`, `healthcheck.test`. */
  path: string;
  before?: unknown;
  after?: unknown;
  forcesReplacement: boolean;
  sensitive: boolean;
}

export interface Change {
  address: string;
  kind: InstanceKind;
  host: string;
  action: Action;
  /** Why, in words: "image changed", "config file keystone.conf changed", ... (for people). */
  reasons: string[];
  attrs: AttrChange[];
  /** The config files (names) whose change this container is restarted for: data, not words. */
  restartFor?: string[];
  /** Lines shown under the change's title, e.g. how the command runs. */
  notes?: string[];
  /** config: unified diff of the content (secrets masked); undefined when sensitive. */
  textDiff?: string;
  /** config: the file's path on the host. */
  path?: string;
  /** config: the content is sensitive and not shown. */
  sensitiveContent?: boolean;
  /** The desired instance (secrets masked); absent for delete. */
  after?: Instance;
  /** What the state held; absent for create. */
  before?: ResourceState;
  /** The container's name on its host (containers only). */
  containerName?: string;
  /** Docker container ID found on the host, when there is one. */
  currentId?: string;
  /** The image ID that container runs. */
  currentImageId?: string;
  /** The kolla.spec-hash label of the container found on the host. */
  currentSpecHash?: string;
  /** The image reference it runs and the image ID that reference resolved to when planned: a saved plan is refused when it moved. */
  imageRef?: string;
  imageId?: string;
  /** A leftover of an interrupted apply (`*.kolla-new`, `*.kolla-prev`): removed without keeping it. */
  leftover?: boolean;
  /** Bootstrap tasks cannot be undone by a rollback. */
  irreversible?: boolean;
  /** A bootstrap that migrates these schemas: backed up before it runs, restored by a rollback. */
  backsUp?: string[];
  /** Dependencies (addresses) for ordering the apply. */
  dependsOn: string[];
}

export type DriftKind =
  | 'stopped'
  | 'unhealthy'
  | 'removed'
  | 'edited'
  | 'image-moved'
  | 'file-edited'
  | 'file-removed'
  | 'orphan'
  | 'recreated'
  | 'leftover'
  | 'interrupted';

export interface Drift {
  address: string;
  host: string;
  kind: DriftKind;
  detail: string;
}

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  restart: number;
  run: number;
}

export interface Plan {
  format_version: 1;
  kolla_version: string;
  project: string;
  /** The state this plan was made against: apply refuses it when the state moved on. */
  prior_lineage: string;
  prior_serial: number;
  created_at: string;
  destroy: boolean;
  targets: string[];
  /** With --limit: the only hosts this plan concerns; other hosts' state is carried over. */
  limit?: string[];
  /**
   * Hosts that could not be reached (down, no network path, Docker engine not running):
   * nothing is planned for them and their state is carried over, as with --limit; the next
   * plan once they are back brings them in sync.
   */
  unreachable?: { host: string; detail: string }[];
  drift: Drift[];
  changes: Change[];
  outputs: Record<string, { value: unknown; sensitive: boolean }>;
  summary: PlanSummary;
  /** Variables given for this plan, so a saved plan applies with the same values. */
  variables: { kind: 'var' | 'file'; text: string }[];
  /** An interrupted apply's journal is open: apply rolls it back (or keeps it with --continue) first. */
  interrupted?: { steps: number };
  /** Resources whose address changed (moved blocks): the state follows them. */
  moved?: { from: string; to: string }[];
  /** Resources the state forgets without destroying them (removed blocks). */
  forgotten?: string[];
  /** The configuration calls catalogue modules and the state was last applied by another kolla version. */
  catalogue?: CatalogueChange;
}

export function summarise(changes: Change[]): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, destroy: 0, restart: 0, run: 0 };
  for (const c of changes) {
    if (c.action === 'create') s.add++;
    else if (c.action === 'update') s.change++;
    else if (c.action === 'replace') {
      s.add++;
      s.destroy++;
    } else if (c.action === 'delete') s.destroy++;
    else if (c.action === 'restart') s.restart++;
    else if (c.action === 'run') s.run++;
  }
  return s;
}

/** Anything to do: a change, or an interrupted apply that apply must deal with first. */
export function hasChanges(p: Plan): boolean {
  return (
    p.interrupted !== undefined ||
    !!p.moved?.length ||
    !!p.forgotten?.length ||
    p.changes.some((c) => c.action !== 'noop')
  );
}
