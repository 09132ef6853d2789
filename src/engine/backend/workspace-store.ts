/** The workspaces of a backend: list, create, remove, and the backend of each. */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { BackendSettings, Settings } from '../../config/config.js';
import type { Backend } from '../../states/backend.js';
import { isErrno, PRIVATE_DIR } from '../../states/fs-safe.js';
import { DEFAULT_STATE_FILE } from '../../states/local-backend.js';
import { PgBackend, workspaceNameProblem } from '../../states/pg-backend.js';
import { DEFAULT_WORKSPACE } from '../../states/pg-store.js';
import { backendOf } from './backend-for.js';
import { assertBackendInitialized } from './migration.js';
import { pgStoreFor } from './pg-conn.js';
import { checkedWorkspace, LOCAL_WORKSPACE_DIR } from './workspace.js';

export interface WorkspaceStore {
  /** Where the workspaces are, for messages. */
  describe(): string;
  /** Default first, then the others by name. */
  list(): Promise<string[]>;
  exists(name: string): Promise<boolean>;
  /** Creates an empty workspace; false when it existed. */
  create(name: string): Promise<boolean>;
  /** Removes a workspace with its state, history, lock and journal. Hold its lock first. */
  remove(name: string, backend: Backend): Promise<void>;
  backend(name: string): Backend;
  /** Ends connections (pg); a CLI run need not call it. */
  close(): Promise<void>;
}

export function workspaceStore(dir: string, settings: Settings): WorkspaceStore {
  assertBackendInitialized(dir, settings.backend);
  return workspaceStoreOf(dir, settings.backend, settings.history);
}

/** The workspaces of these backend settings, without the `kolla init` check. */
export function workspaceStoreOf(
  dir: string,
  backend: BackendSettings,
  historyLimit: number,
): WorkspaceStore {
  if (backend.type === 'pg') {
    const store = pgStoreFor(backend);
    return {
      describe: () => store.where(),
      list: () => store.listWorkspaces(),
      exists: (name) => store.workspaceExists(name),
      create: (name) => store.createWorkspace(checkedWorkspace(name, 'workspace')),
      remove: async (name, b) => {
        if (!(b instanceof PgBackend) || b.workspace !== name) throw new Error('remove: not this workspace');
        await b.deleteWorkspaceData();
      },
      backend: (name) => backendOf(dir, backend, historyLimit, name, store),
      close: () => store.close(),
    };
  }
  const root = path.resolve(dir, LOCAL_WORKSPACE_DIR);
  const list = (): string[] => {
    let names: string[] = [];
    try {
      names = readdirSync(root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && workspaceNameProblem(d.name) === undefined)
        .map((d) => d.name);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
    return [DEFAULT_WORKSPACE, ...names.filter((n) => n !== DEFAULT_WORKSPACE).sort()];
  };
  return {
    describe: () => `local files beside ${path.resolve(dir, backend.path ?? DEFAULT_STATE_FILE)}`,
    list: () => Promise.resolve(list()),
    exists: (name) => Promise.resolve(list().includes(name)),
    create: (name) => {
      checkedWorkspace(name, 'workspace');
      if (list().includes(name)) return Promise.resolve(false);
      mkdirSync(path.join(root, name), { recursive: true, mode: PRIVATE_DIR });
      return Promise.resolve(true);
    },
    remove: (name) => {
      if (name === DEFAULT_WORKSPACE) throw new Error('remove: the default workspace cannot be removed');
      // The whole directory: state, history, journal, and the lock file we hold.
      rmSync(path.join(root, checkedWorkspace(name, 'workspace')), { recursive: true, force: true });
      return Promise.resolve();
    },
    backend: (name) => backendOf(dir, backend, historyLimit, name),
    close: () => Promise.resolve(),
  };
}
