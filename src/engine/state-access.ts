/**
 * Reaching the state backend of a configuration without expanding it (state commands).
 */
import type { VarArg } from '../config/variables.js';
import { loadConfig } from '../config/load.js';
import { backendFor } from './backend/backend-for.js';
import type { Backend } from '../states/backend.js';
import type { Diagnostics } from '../diags/diagnostic.js';
import { KollaError } from '../diags/kolla-error.js';

export class ConfigError extends KollaError {
  override readonly name: string = 'ConfigError';
  constructor(readonly diagnostics: Diagnostics) {
    super('configuration', 'the configuration has errors');
  }
}

export async function openBackend(dir: string, vars: VarArg[]): Promise<Backend> {
  const r = await loadConfig({ dir, vars });
  if (!r.config || r.diagnostics.hasErrors()) throw new ConfigError(r.diagnostics);
  return backendFor(dir, r.config.settings);
}
