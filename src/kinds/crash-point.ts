/**
 * Fault injection for the crash tests: `KOLLA_TEST_CRASH_AT=after-create` (or after-rename,
 * health-wait, after-file, before-commit) makes the process kill itself with SIGKILL at that
 * point, exactly as a power cut or `kill -9` would.
 */
export function crashPoint(name: string): void {
  if (process.env['KOLLA_TEST_CRASH_AT'] === name) process.kill(process.pid, 'SIGKILL');
}

/** Kill the process `delayMs` after now when the crash point is `name` (during a wait). */
export function crashSoon(name: string, delayMs: number): void {
  if (process.env['KOLLA_TEST_CRASH_AT'] === name) setTimeout(() => crashPoint(name), delayMs);
}
