/** The `kolla` block of a configuration, for the commands that need no more of it. */
import type { Settings } from '../../config/config.js';
import { loadConfig } from '../../config/load.js';
import type { VarArg } from '../../config/variables.js';
import { BackendSetupError } from './errors.js';

/**
 * The settings of the configuration in `dir` (its `kolla` block) for commands that need the
 * backend but not the services: init, workspace. Throws the configuration's diagnostics.
 */
export async function loadSettings(dir: string, vars: VarArg[] = []): Promise<Settings> {
  const r = await loadConfig({ dir, vars });
  if (!r.config || r.diagnostics.hasErrors()) {
    throw Object.assign(new BackendSetupError('the configuration has errors'), {
      diagnostics: [...r.diagnostics],
    });
  }
  return r.config.settings;
}
