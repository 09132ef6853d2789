/**
 * The state backend a configuration asks for, in the selected workspace (workspace.ts).
 * Refuses while the backend configuration changed since `kolla init` (migration.ts).
 */
import type { BackendSettings, Settings } from '../../config/config.js';
import type { Backend } from '../../states/backend.js';
import { LocalBackend } from '../../states/local-backend.js';
import { PgBackend } from '../../states/pg-backend.js';
import type { PgStore } from '../../states/pg-store.js';
import { assertBackendInitialized } from './migration.js';
import { pgStoreFor } from './pg-conn.js';
import { checkedWorkspace, localStatePath, selectedWorkspace } from './workspace.js';

/**
 * The backend of the configuration in `dir`, in `workspace` (default: the selected one).
 * Refuses while the backend configuration changed since `kolla init` (see migration.ts).
 */
export function backendFor(dir: string, settings: Settings, workspace?: string): Backend {
  assertBackendInitialized(dir, settings.backend);
  return backendOf(
    dir,
    settings.backend,
    settings.history,
    workspace ?? selectedWorkspace(dir).name,
    undefined,
    settings.project,
  );
}

/** The backend for these backend settings, without the `kolla init` check (init uses it). */
export function backendOf(
  dir: string,
  backend: BackendSettings,
  historyLimit: number,
  workspace: string,
  store?: PgStore,
  project?: string,
): Backend {
  checkedWorkspace(workspace, 'workspace');
  if (backend.type === 'pg') {
    return new PgBackend({
      store: store ?? pgStoreFor(backend),
      workspace,
      historyLimit,
      ...(project === undefined ? {} : { project }),
    });
  }
  return new LocalBackend(localStatePath(dir, backend, workspace), {
    historyLimit,
    ...(project === undefined ? {} : { project }),
  });
}
