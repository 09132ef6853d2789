/** The error of the backend and workspace setup (backend-for.ts and its neighbours). */
import { KollaError, type KollaErrorOptions } from '../../diags/kolla-error.js';

/** A user error about backends or workspaces; printed without a stack trace by the CLI. */
export class BackendSetupError extends KollaError {
  override readonly name: string = 'BackendSetupError';
  constructor(message: string, options: KollaErrorOptions = {}) {
    super('configuration', message, options);
  }
}
