/**
 * The state: what kolla last applied, per resource, with what it observed. Versioned JSON
 * (`schemas/state.schema.json`), written atomically with mode 0600. Secret values never
 * appear in it: strings holding one are stored with the value replaced by a marker
 * (see secret-mask.ts) and restored from the secrets file when needed.
 *
 * A resource's state is a union discriminated by its kind: each kind keeps exactly what it
 * needs (src/kinds/<kind>.ts decides what that is). Format 2; format 1 (one bag of optional
 * fields) is migrated on read (migrate.ts).
 */
import type {
  BackupRecord,
  ContainerOptions,
  ContainerSpec,
  InstanceKind,
  VolumeSpec,
} from '../expand/instances.js';

export const STATE_VERSION = 2;

export interface ObservedContainer {
  id: string;
  image_id: string;
  state: string;
}

interface ResourceBase {
  address: string;
  kind: InstanceKind;
  host: string;
  /** Addresses it depended on when applied. */
  dependencies: string[];
}

export interface ContainerResource extends ResourceBase {
  kind: 'container';
  service: string;
  /** The applied spec (secrets masked) and its hash (the container's kolla.spec-hash label). */
  spec: ContainerSpec;
  spec_hash: string;
  options: ContainerOptions;
  observed?: ObservedContainer;
}

export interface BootstrapResource extends ResourceBase {
  kind: 'bootstrap';
  service: string;
  spec: ContainerSpec;
  spec_hash: string;
  /** Hash of everything it ran with; it re-runs when this changes. */
  inputs_hash: string;
  /** The image it last ran with: a tag moved to another image makes it run again. */
  image_id?: string;
  /** The schemas it migrates (`migrates`). */
  migrates?: string[];
  /** The backups taken just before it last ran (of the schemas it migrates). */
  backups?: BackupRecord[];
  /** Only in a state given to `kolla rollback` (never written): the backups to restore. */
  restore?: BackupRecord[];
  /** With restore: the serial of the state whose apply migrated the schemas. */
  restore_since?: number;
}

export interface TaskResource extends ResourceBase {
  kind: 'task';
  service: string;
  /** The container it ran in and what it ran (secrets masked). */
  container: string;
  command: string[];
  until?: string[];
  /** Hash of everything it ran with; it re-runs when this changes. */
  inputs_hash: string;
}

export interface VolumeResource extends ResourceBase {
  kind: 'volume';
  volume: VolumeSpec;
}

export interface ConfigResource extends ResourceBase {
  kind: 'config';
  service: string;
  container: string;
  /** The path on the host, the content as applied (secrets masked, empty when sensitive) and its sha256. */
  path: string;
  content: string;
  content_hash: string;
  mode: string;
  sensitive: boolean;
}

/** A schema and its account on a MariaDB server: no password, only a salted verifier of it. */
export interface DatabaseResource extends ResourceBase {
  kind: 'database';
  service: string;
  /** The container the SQL runs in. */
  container: string;
  database: {
    schema: string;
    user: string;
    host: string;
    privileges: string[];
    password_verifier: string;
  };
  /** The account the SQL runs as. */
  admin_user: string;
  /**
   * The secrets the passwords come from, as markers (`((secret.NAME))`), never their values:
   * a delete logs in with the admin's; `kolla rollback` rebuilds the account with its own.
   */
  secrets: { password: string; admin_password?: string };
}

/** A RabbitMQ user (and its vhost): no password, only a salted verifier of it. */
export interface RabbitmqUserResource extends ResourceBase {
  kind: 'rabbitmq_user';
  service: string;
  /** The container rabbitmqctl runs in. */
  container: string;
  rabbitmq_user: {
    user: string;
    vhost: string;
    tags: string[];
    permissions: { configure: string; write: string; read: string };
    password_verifier: string;
  };
  /** The secret the password comes from, as a marker (`((secret.NAME))`), never its value. */
  secrets: { password: string };
}

export interface ImageResource extends ResourceBase {
  kind: 'image';
  /** The reference the image block evaluates to. */
  ref: string;
}

export type ResourceState =
  | ContainerResource
  | BootstrapResource
  | TaskResource
  | VolumeResource
  | ConfigResource
  | ImageResource
  | DatabaseResource
  | RabbitmqUserResource;

/** The state of one kind. */
export type ResourceOf<K extends InstanceKind> = Extract<ResourceState, { kind: K }>;

export interface OutputState {
  value: unknown;
  sensitive: boolean;
}

export interface State {
  version: number;
  serial: number;
  lineage: string;
  kolla_version: string;
  project: string;
  resources: ResourceState[];
  outputs: Record<string, OutputState>;
}

export interface HistoryEntry {
  serial: number;
  lineage: string;
  written_at: string;
  /** What produced this state: "apply", "apply failed: ...; rolled back", "state rm", ... */
  message: string;
  resources: number;
  /**
   * How the run that wrote it ended: `applied` (apply, destroy, migration), `failed` (an apply
   * that failed and was rolled back), `recovered` (an interrupted apply rolled back), `edited`
   * (state rm/push, workspace new). Absent in entries written before 0.2: derived from
   * `message` when read (outcomeOfMessage).
   */
  outcome?: 'applied' | 'failed' | 'recovered' | 'edited';
}

export interface LockInfo {
  id: string;
  operation: string;
  who: string;
  created: string;
  pid: number;
  hostname: string;
}

/**
 * One step of an apply, written before it is done, so that it can be undone after a crash.
 * `begin` and `commit` frame an apply; every other entry is a step of one resource kind,
 * whose op names and fields belong to that kind (src/kinds/): the kind undoes it.
 */
export type JournalEntry = BeginEntry | { op: 'commit' } | StepEntry;

export interface StepEntry {
  /** The kind's own name for the step, e.g. `create-container`, `write-file`. */
  op: string;
  host: string;
  address: string;
  [field: string]: unknown;
}

export type BeginEntry = { op: 'begin'; lineage: string; serial: number; at: string };

export function isBeginEntry(e: JournalEntry | undefined): e is BeginEntry {
  return e?.op === 'begin';
}

export function isStepEntry(e: JournalEntry): e is StepEntry {
  return e.op !== 'begin' && e.op !== 'commit';
}

export function emptyState(lineage: string, project: string, kollaVersion: string): State {
  return {
    version: STATE_VERSION,
    serial: 0,
    lineage,
    kolla_version: kollaVersion,
    project,
    resources: [],
    outputs: {},
  };
}
