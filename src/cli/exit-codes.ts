import type { KollaError } from '../diags/kolla-error.js';

/** Exit codes scripts can trust (Terraform's for plan -detailed-exitcode). */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;
/**
 * apply: done on every host it could reach, but some were down (unreachable, their engine
 * stopped) and were left out: run it again once they are back (ansible-playbook's 4).
 */
export const EXIT_UNREACHABLE = 4;

/** The exit code of a KollaError: its own when set, else 1 for every kind. */
export function exitCodeOf(e: KollaError): number {
  return e.exitCode > 0 ? e.exitCode : EXIT_ERROR;
}
