/**
 * The state: what kolla last applied, per resource, with what it observed. Versioned JSON
 * (`schemas/state.schema.json`), written atomically with mode 0600. Secret values never
 * appear in it: strings holding one are stored with the value replaced by a marker
 * (see secret-mask.ts) and restored from the secrets file when needed.
 */
import type { ContainerOptions, ContainerSpec, InstanceKind, VolumeSpec } from '../expand/instances.js';

export const STATE_VERSION = 1;

export interface ObservedContainer {
  id: string;
  image_id: string;
  state: string;
}

export interface ResourceState {
  address: string;
  kind: InstanceKind;
  host: string;
  /** Addresses it depended on when applied. */
  dependencies: string[];
  /** container and bootstrap: the applied spec (secrets masked). */
  spec?: ContainerSpec;
  spec_hash?: string;
  options?: ContainerOptions;
  service?: string;
  observed?: ObservedContainer;
  /** volume */
  volume?: VolumeSpec;
  /** config: the path on the host, the content as applied (secrets masked) and its sha256. */
  path?: string;
  content?: string;
  content_hash?: string;
  mode?: string;
  sensitive?: boolean;
  container?: string;
  /** bootstrap: hash of everything it ran with; it re-runs when this changes. */
  inputs_hash?: string;
  /** image: the reference and the image ID it resolved to. */
  ref?: string;
  image_id?: string;
}

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

/** One step of an apply, written before it is done, so that it can be undone after a crash. */
export type JournalEntry =
  | { op: 'begin'; lineage: string; serial: number; at: string }
  | { op: 'create-file'; host: string; path: string; address: string }
  | { op: 'write-file'; host: string; path: string; address: string; previous: string; mode: string }
  | { op: 'create-volume'; host: string; name: string; address: string }
  | { op: 'create-container'; host: string; name: string; address: string; id?: string }
  | {
      op: 'keep-container';
      host: string;
      name: string;
      prevName: string;
      address: string;
      wasRunning: boolean;
    }
  | {
      op: 'update-container';
      host: string;
      name: string;
      address: string;
      previous: { restart_policy: string; memory: number; cpu_shares: number };
    }
  | { op: 'restart-container'; host: string; name: string; address: string }
  /** A container stopped for deletion; removed only when the apply commits. */
  | { op: 'stop-container'; host: string; name: string; address: string }
  | { op: 'run-bootstrap'; host: string; address: string }
  | { op: 'done'; address: string }
  | { op: 'commit' };

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
