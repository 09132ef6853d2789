/**
 * Workspaces (as Terraform's) keep separate states of one configuration in one backend:
 *   - the selected one is `KOLLA_WORKSPACE`, else the name in `.kolla/environment` of the
 *     configuration directory (`kolla workspace select`), else `default`;
 *   - local backend: `default` is the configured state file, another workspace W is
 *     `kolla.state.d/W/<file name>` (Terraform's layout), with its own history, lock and journal;
 *   - pg backend: rows keyed by workspace in the schema's tables, a lock per workspace.
 *
 * This is the selection and the local layout; workspace-store.ts lists, creates and removes them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackendSettings } from '../../config/config.js';
import { isErrno, PRIVATE_DIR, PRIVATE_FILE } from '../../states/fs-safe.js';
import { DEFAULT_STATE_FILE } from '../../states/local-backend.js';
import { workspaceNameProblem } from '../../states/pg-backend.js';
import { DEFAULT_WORKSPACE } from '../../states/pg-store.js';
import { BackendSetupError } from './errors.js';
import { kollaDir } from './kolla-dir.js';

export { DEFAULT_WORKSPACE, workspaceNameProblem };

/** The environment variable selecting the workspace (Terraform's TF_WORKSPACE). */
export const WORKSPACE_ENV = 'KOLLA_WORKSPACE';
/** Directory of the local backend's non-default workspaces (Terraform's terraform.tfstate.d). */
export const LOCAL_WORKSPACE_DIR = 'kolla.state.d';

export function environmentFile(dir: string): string {
  return path.join(kollaDir(dir), 'environment');
}

export interface SelectedWorkspace {
  name: string;
  source: 'env' | 'file' | 'default';
}

/** The selected workspace: KOLLA_WORKSPACE, else `.kolla/environment`, else default. */
export function selectedWorkspace(dir: string, env: NodeJS.ProcessEnv = process.env): SelectedWorkspace {
  const fromEnv = env[WORKSPACE_ENV]?.trim();
  if (fromEnv) return { name: checkedWorkspace(fromEnv, WORKSPACE_ENV), source: 'env' };
  let text: string;
  try {
    text = readFileSync(environmentFile(dir), 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return { name: DEFAULT_WORKSPACE, source: 'default' };
    throw e;
  }
  const name = text.trim();
  if (!name) return { name: DEFAULT_WORKSPACE, source: 'default' };
  return { name: checkedWorkspace(name, environmentFile(dir)), source: 'file' };
}

/** Records `name` as the selected workspace (`kolla workspace select`). */
export function writeSelectedWorkspace(dir: string, name: string): void {
  checkedWorkspace(name, 'workspace');
  mkdirSync(kollaDir(dir), { recursive: true, mode: PRIVATE_DIR });
  writeFileSync(environmentFile(dir), `${name}\n`, { mode: PRIVATE_FILE });
}

/** `name` if it can be a workspace name; else a BackendSetupError naming where it came from. */
export function checkedWorkspace(name: string, from: string): string {
  const problem = workspaceNameProblem(name);
  if (problem) throw new BackendSetupError(`${from}: ${problem}`);
  return name;
}

/** The local state file of a workspace. */
export function localStatePath(dir: string, backend: BackendSettings, workspace: string): string {
  const file = path.resolve(dir, backend.path ?? DEFAULT_STATE_FILE);
  if (workspace === DEFAULT_WORKSPACE) return file;
  return path.resolve(dir, LOCAL_WORKSPACE_DIR, workspace, path.basename(file));
}
