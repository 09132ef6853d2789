/**
 * The plan: plain data computed without side effects from the desired instances, the
 * prior state and what refresh found. Rendering and applying both consume it.
 */
import type { Instance, InstanceKind } from '../expand/instances.js';
import type { ResourceState } from '../states/state.js';

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
  /** Why, in words: "image changed", "config file keystone.conf changed", ... */
  reasons: string[];
  attrs: AttrChange[];
  /** config: unified diff of the content (secrets masked); undefined when sensitive. */
  textDiff?: string;
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
  /** Bootstrap tasks cannot be undone by a rollback. */
  irreversible?: boolean;
  /** Dependencies (addresses) for ordering the apply. */
  dependsOn: string[];
}

export type DriftKind =
  'stopped' | 'removed' | 'edited' | 'image-moved' | 'file-edited' | 'file-removed' | 'orphan' | 'recreated';

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
  drift: Drift[];
  changes: Change[];
  outputs: Record<string, { value: unknown; sensitive: boolean }>;
  summary: PlanSummary;
  /** Variables given for this plan, so a saved plan applies with the same values. */
  variables: { kind: 'var' | 'file'; text: string }[];
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

export function hasChanges(p: Plan): boolean {
  return p.changes.some((c) => c.action !== 'noop');
}
