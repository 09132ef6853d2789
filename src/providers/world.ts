/**
 * What a refresh found on the hosts — the planner's third input beside the desired
 * instances and the prior state. Plain data; engine/refresh.ts fills it.
 */
import type { ObservedContainer, ObservedVolume } from './docker/refresh.js';

export interface HostWorld {
  /** This project's containers, by name. */
  containers: Map<string, ObservedContainer>;
  /** Names of every other container on the host, with the project that labelled it (undefined: not kolla's). */
  others: Map<string, string | undefined>;
  volumes: Map<string, ObservedVolume>;
  /** Image reference → image ID (undefined: not on the host). */
  images: Map<string, string | undefined>;
  /** Path → sha256 of the file (undefined: missing). */
  files: Map<string, string | undefined>;
  /**
   * Database address → what its refresh query printed (`mysql -N -B`), or why it could not
   * run (the container is not running, the server refused). Absent: not asked.
   */
  databases?: Map<string, { output: string } | { error: string }>;
  /**
   * Address → what a kind's read-only command printed (`rabbitmqctl export_definitions`), or
   * why it could not run. Absent: not asked.
   */
  execs?: Map<string, { output: string } | { error: string }>;
  error?: string;
  /**
   * The error is the host being down (no network path, SSH timed out, its Docker engine not
   * running), not a refusal (authentication, a host key): the plan leaves such a host out.
   */
  down?: boolean;
}

export type World = Map<string, HostWorld>;

export function emptyHostWorld(): HostWorld {
  return {
    containers: new Map(),
    others: new Map(),
    volumes: new Map(),
    images: new Map(),
    files: new Map(),
    databases: new Map(),
    execs: new Map(),
  };
}

/** What the plan asks a host's refresh to read besides its containers and volumes. */
export interface RefreshRequest {
  host: string;
  images: string[];
  files: string[];
  /** Read-only SQL to run in a running container (no secret in it; the admin password apart). */
  databases?: DatabaseRead[];
  /** Read-only commands to run in this project's running containers (no secret in them). */
  execs?: ExecRead[];
}

/** A command a kind reads the live state with; the same command in the same container runs once. */
export interface ExecRead {
  address: string;
  container: string;
  cmd: string[];
  timeoutMs: number;
}

export interface DatabaseRead {
  address: string;
  container: string;
  sql: string;
  adminUser: string;
  adminPassword?: string;
  timeoutMs: number;
}
