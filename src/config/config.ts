/**
 * The evaluated configuration: settings, variables, hosts and groups resolved; services,
 * volumes, images and outputs kept as decoded blocks with the scope to evaluate them per host.
 */
import type { Value } from './hcl/ast.js';
import type { DecodedBlock } from './decode.js';
import type { Scope } from './scope.js';
import type { HostSpec } from './host-spec.js';
import type { VariableDecl } from './variables.js';
import type { ModuleInstance } from './modules.js';
import type { StateEdits } from './moves.js';

export interface BackendSettings {
  type: 'local' | 'pg';
  path?: string;
  connStr?: string;
  schemaName?: string;
}

export interface Settings {
  project: string;
  configDir: string;
  parallelism: number;
  settleTime: string;
  history: number;
  /** Limit on each call to a host (Go duration; default "60s"). */
  hostTimeout: string;
  /** How many backups each database server keeps (default 10). */
  backupRetention: number;
  backend: BackendSettings;
}

export type { SecretDecl } from './secret-decl.js';
import type { SecretDecl } from './secret-decl.js';

export interface Config {
  dir: string;
  settings: Settings;
  blocks: DecodedBlock[];
  variables: Record<string, Value>;
  variableDecls: Map<string, VariableDecl>;
  hosts: HostSpec[];
  /** Group name → host names, in host declaration order; includes `all`. */
  groups: Record<string, string[]>;
  secrets: SecretDecl[];
  /** Secret values known to this run (never written to state). */
  secretValues: Record<string, string>;
  /** Secrets that expressions or templates used but that have no value yet. */
  missingSecrets(): string[];
  scope: Scope;
  /** The root module (first, prefix "") and every module instance it calls, depth first. */
  modules: ModuleInstance[];
  /** `moved` and `removed` blocks, with full addresses, in the order written. */
  stateEdits: StateEdits;
}
