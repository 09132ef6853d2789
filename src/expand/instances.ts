/**
 * Desired instances: what the configuration asks for on each host, after evaluation and
 * group placement. These are plain data; providers turn them into Docker calls.
 */
import type { SourceRange } from '../diags/diagnostic.js';

export type { HostSpec } from '../config/host-spec.js';

export interface HealthcheckSpec {
  test: string[];
  /** Durations in Docker's Go syntax ("10s", "1m30s"). */
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface UlimitSpec {
  name: string;
  soft: number;
  hard: number;
}

/**
 * A container's desired spec. Fields marked (in place) change without a new container
 * (Docker's update call); every other field forces replacement.
 */
export interface ContainerSpec {
  name: string;
  image: string;
  /** Docker Cmd (exec form). For Kolla images the command goes to config.json instead. */
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  /** "volume_or_path:/dest[:ro|rw]" */
  volumes: string[];
  /** "[ip:]hostPort:containerPort[/proto]" for non-host networks. */
  ports: string[];
  network_mode?: string;
  privileged: boolean;
  pid_mode?: string;
  ipc_mode?: string;
  cap_add: string[];
  security_opt: string[];
  user?: string;
  working_dir?: string;
  labels: Record<string, string>;
  /** (in place) "no" | "always" | "unless-stopped" | "on-failure" | "on-failure:N" */
  restart_policy: string;
  healthcheck?: HealthcheckSpec;
  ulimits: UlimitSpec[];
  /** "/path[:options]" */
  tmpfs: string[];
  init: boolean;
  /** (in place) memory limit in bytes, 0 = none. */
  memory: number;
  /** (in place) relative CPU weight, 0 = default. */
  cpu_shares: number;
  /** How long to wait for healthy (or running) after a start, Go duration. Not a Docker field. */
  health_timeout: string;
}

export interface VolumeSpec {
  name: string;
  driver: string;
  labels: Record<string, string>;
}

export type InstanceKind =
  'container' | 'volume' | 'config' | 'bootstrap' | 'task' | 'image' | 'database' | 'rabbitmq_user';

interface InstanceBase {
  /** Stable address, e.g. `service.keystone.container.keystone["control01"]`. */
  address: string;
  kind: InstanceKind;
  host: string;
  /** Addresses this instance depends on (explicit and implicit). */
  dependsOn: string[];
  range?: SourceRange;
}

export interface ContainerInstance extends InstanceBase {
  kind: 'container';
  service: string;
  spec: ContainerSpec;
  options: ContainerOptions;
  /** Serial batch size of the service: a number of hosts, or a percentage string. */
  serial?: number | string;
  /** The service works only while a majority of its hosts run it (Galera, RabbitMQ). */
  quorum?: boolean;
}

export interface VolumeInstance extends InstanceBase {
  kind: 'volume';
  spec: VolumeSpec;
}

/** A config file rendered for one container on one host (filled in by the config issue). */
export interface ConfigInstance extends InstanceBase {
  kind: 'config';
  service: string;
  container: string;
  name: string;
  /** Path inside the container (from config.json), or undefined for config.json itself. */
  dest?: string;
  /** Absolute path on the host. */
  path: string;
  content: string;
  mode: string;
  sensitive: boolean;
}

export interface BootstrapInstance extends InstanceBase {
  kind: 'bootstrap';
  service: string;
  name: string;
  spec: ContainerSpec;
  /** Give up (and fail the apply) after this long; default 300 s. */
  timeoutMs: number;
  /** The schemas it migrates (`migrates`), and the servers that hold them (linked after expansion). */
  migrates?: string[];
  /** Where `migrates` is written (for errors about it). */
  migratesRange?: SourceRange;
  backups?: BackupTarget[];
  /**
   * kolla rollback: the bootstrap as an earlier state recorded it. It never runs backward; when
   * it migrated its schemas since, `restore` holds the backups taken just before, and applying
   * it restores them instead of running (a backup of the schemas as they are is taken first).
   */
  rollback?: { inputsHash: string; restore?: BackupRecord[]; since?: number; image_id?: string };
}

/** A backup taken before a bootstrap ran, as the journal and the state keep it. */
export interface BackupRecord {
  id: string;
  host: string;
  container: string;
  dir: string;
  schemas: string[];
  admin_user: string;
  /** The admin password's secret marker, never its value. */
  admin_password?: string;
}

/** Schemas a bootstrap migrates, on one MariaDB server: backed up before it runs again. */
export interface BackupTarget {
  host: string;
  /** The server container's Docker name. */
  container: string;
  /** The backup directory in it (a volume). */
  dir: string;
  schemas: string[];
  adminUser: string;
  adminPassword?: string;
  timeoutMs: number;
}

/**
 * A post-start task: a command run (exec) in a running container of its service once that
 * container and what the task waits for are healthy, after an optional wait-until condition.
 */
export interface TaskInstance extends InstanceBase {
  kind: 'task';
  service: string;
  name: string;
  /** The Docker name of the container it runs in, on its host. */
  container: string;
  command: string[];
  /** Run (and retried) before the command until it exits 0. */
  until?: string[];
  /** How many times `until` runs before the task fails, and the pause between tries. */
  retries: number;
  delayMs: number;
  /** Each exec (of until or command) is given up after this long. */
  timeoutMs: number;
  user?: string;
  environment: Record<string, string>;
  /** Values whose change re-runs it, as the configuration gives them. */
  triggers: unknown[];
}

export interface ImageInstance extends InstanceBase {
  kind: 'image';
  name: string;
  ref: string;
}

/**
 * A schema and the account that uses it on a MariaDB server, kept by SQL run (docker exec, the
 * SQL on stdin) in a running container of the service that declares it.
 */
export interface DatabaseInstance extends InstanceBase {
  kind: 'database';
  service: string;
  /** The block's label (and its for_each key, when it has one). */
  name: string;
  /** The Docker name of the container the SQL runs in, on its host. */
  container: string;
  /** Schema, account, host pattern, privileges and password (unmasked). */
  spec: DatabaseSpecOf;
  /** The admin account the SQL logs in as (default root, by unix socket without a password). */
  adminUser: string;
  adminPassword?: string;
  /** Each SQL run is given up after this long. */
  timeoutMs: number;
  /** Where backups of the schema go in the container (a volume; default /backup). */
  backupDir: string;
}

/** The same shape as kinds/database.ts's DatabaseSpec (a lower layer cannot import it). */
export interface DatabaseSpecOf {
  schema: string;
  user: string;
  host: string;
  privileges: string[];
  password: string;
}

/**
 * A user, its vhost, tags and permissions on a RabbitMQ broker, kept by rabbitmqctl run
 * (docker exec; definitions on stdin) in a running container of the service that declares it.
 */
export interface RabbitmqUserInstance extends InstanceBase {
  kind: 'rabbitmq_user';
  service: string;
  /** The block's label. */
  name: string;
  /** The Docker name of the container rabbitmqctl runs in, on its host. */
  container: string;
  /** User, vhost, tags, permissions and password (unmasked). */
  spec: RabbitmqUserSpecOf;
  /** Each rabbitmqctl run is given up after this long. */
  timeoutMs: number;
}

/** The same shape as kinds/rabbitmq-user.ts's RabbitmqUserSpec. */
export interface RabbitmqUserSpecOf {
  user: string;
  vhost: string;
  tags: string[];
  permissions: { configure: string; write: string; read: string };
  password: string;
}

export type Instance =
  | ContainerInstance
  | VolumeInstance
  | ConfigInstance
  | BootstrapInstance
  | TaskInstance
  | ImageInstance
  | DatabaseInstance
  | RabbitmqUserInstance;

/** Extra per-container settings that are not part of the Docker spec. */
export interface ContainerOptions {
  ignoreChanges: string[];
  /** The image runs kolla_start: config changes need a restart (COPY_ALWAYS) or a recreate. */
  kollaStart: boolean;
  configStrategy: 'COPY_ALWAYS' | 'COPY_ONCE';
  /** Seconds a stop waits before killing (default 10). */
  stopTimeoutS?: number;
  /** Ports a host-network container listens on, for prechecks. */
  listenPorts?: number[];
}

/** Where a Kolla image expects its config files and config.json. */
export const KOLLA_CONFIG_MOUNT = '/var/lib/kolla/config_files/';
