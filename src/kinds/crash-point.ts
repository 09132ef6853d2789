/**
 * Fault injection for the crash tests: `KOLLA_TEST_CRASH_AT=after-create` (or after-rename,
 * health-wait, after-file, before-commit) makes the process kill itself with SIGKILL at that
 * point, exactly as a power cut or `kill -9` would.
 */
export function crashPoint(name: string): void {
  if (process.env['KOLLA_TEST_CRASH_AT'] === name) process.kill(process.pid, 'SIGKILL');
}
