/**
 * The state backend a configuration asks for.
 */
import path from 'node:path';
import type { Settings } from '../config/config.js';
import type { Backend } from '../states/backend.js';
import { LocalBackend } from '../states/local-backend.js';

export function backendFor(dir: string, settings: Settings): Backend {
  if (settings.backend.type === 'pg') {
    throw new Error('the "pg" backend is not available in this version of kolla yet; use backend "local"');
  }
  return new LocalBackend(path.resolve(dir, settings.backend.path ?? 'kolla.state.json'), {
    historyLimit: settings.history,
  });
}
