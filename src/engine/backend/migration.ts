/**
 * Whether the state must move first. `kolla init` records the backend it set up in
 * `.kolla/backend.json` (record.ts). When the configured backend no longer matches that
 * record (or a pg backend is configured while a local state is still beside the
 * configuration), commands refuse to run until `kolla init -migrate-state` (or
 * `-reconfigure`), so that nobody plans against an empty new backend while the real state is
 * elsewhere.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BackendSettings } from '../../config/config.js';
import { DEFAULT_STATE_FILE } from '../../states/local-backend.js';
import { BackendSetupError } from './errors.js';
import { type BackendRecord, describeRecord, readBackendRecord, recordOf, sameBackend } from './record.js';
import { LOCAL_WORKSPACE_DIR } from './workspace.js';

/** True when a local state (default path, or any local workspace) is in `dir`. */
export function localStateExists(dir: string, backend: BackendSettings = { type: 'local' }): boolean {
  const file = path.resolve(dir, backend.path ?? DEFAULT_STATE_FILE);
  const exists = (p: string): boolean => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (exists(file)) return true;
  try {
    return readdirSync(path.resolve(dir, LOCAL_WORKSPACE_DIR)).some((w) =>
      exists(path.resolve(dir, LOCAL_WORKSPACE_DIR, w, path.basename(file))),
    );
  } catch {
    return false;
  }
}

/**
 * The backend a `kolla init -migrate-state` would move the state from, or undefined when
 * the configured backend is the one in use: the recorded one if it differs, or (never
 * initialised) the default local state file when a pg backend is configured and that file
 * exists.
 */
export function previousBackend(dir: string, backend: BackendSettings): BackendRecord | undefined {
  const rec = readBackendRecord(dir);
  if (rec) {
    let now: BackendRecord;
    try {
      now = recordOf(backend);
    } catch {
      // pg without a connection string: reported when the backend is used
      return undefined;
    }
    return sameBackend(dir, rec, now) ? undefined : rec;
  }
  if (backend.type === 'pg' && localStateExists(dir))
    return { version: 1, type: 'local', path: DEFAULT_STATE_FILE };
  return undefined;
}

export function assertBackendInitialized(dir: string, backend: BackendSettings): void {
  const prev = previousBackend(dir, backend);
  if (!prev) return;
  const now = backend.type === 'local' ? `local (${backend.path ?? DEFAULT_STATE_FILE})` : 'pg';
  throw new BackendSetupError(
    `Backend configuration changed: the state is in ${describeRecord(prev)}, but the ` +
      `configuration now says ${now}.\n` +
      `Run "kolla init -migrate-state" to copy the state (with its history and workspaces) to ` +
      `the new backend, or "kolla init -reconfigure" to use the new backend as it is.`,
  );
}
