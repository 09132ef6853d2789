/**
 * Reaching the state backend of a configuration without expanding it (state commands).
 */
import type { VarArg } from '../config/variables.js';
import { loadConfig } from '../config/load.js';
import { backendFor } from './backend-for.js';
import type { Backend } from '../states/backend.js';
import type { Diagnostics } from '../diags/diagnostic.js';

export class ConfigError extends Error {
  constructor(readonly diagnostics: Diagnostics) {
    super('the configuration has errors');
    this.name = 'ConfigError';
  }
}

export async function openBackend(dir: string, vars: VarArg[]): Promise<Backend> {
  const r = await loadConfig({ dir, vars });
  if (!r.config || r.diagnostics.hasErrors()) throw new ConfigError(r.diagnostics);
  return backendFor(dir, r.config.settings);
}
