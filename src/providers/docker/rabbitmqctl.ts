/**
 * rabbitmqctl run inside a running RabbitMQ container (docker exec), for the rabbitmq_user
 * kind. Whatever carries a secret (definitions with a password hash) goes on the command's
 * standard input, never on its command line (ps, docker inspect): rabbitmqctl's
 * `import_definitions` reads them from there. Each run starts an Erlang VM (seconds), so the
 * kind asks for as few as it can: one `export_definitions` to read, one `import_definitions`
 * to write.
 */
import type Dockerode from 'dockerode';
import { execWithStdin } from './sql-exec.js';
import { PROJECT_LABEL } from './labels.js';

/** The read of the refresh: users (with their password hashes), vhosts and permissions, as JSON. */
export const EXPORT_DEFINITIONS = ['rabbitmqctl', '-q', 'export_definitions', '-', '--format', 'json'];
/** Definitions (JSON) from standard input. */
export const IMPORT_DEFINITIONS = ['rabbitmqctl', '-q', 'import_definitions'];

export interface ExecOptions {
  /** The project the container must belong to (its kolla.project label). */
  project?: string;
  timeoutMs: number;
  /** Values to blank out of an error. */
  redact?: readonly string[];
}

/**
 * Run a command in a running container with `input` on its standard input and return its
 * output; throws an Error with its error output when it exits non-zero (never the input).
 */
export async function execChecked(
  docker: Dockerode,
  container: string,
  cmd: readonly string[],
  input: string,
  opts: ExecOptions,
): Promise<string> {
  const c = await docker.getContainer(container).inspect();
  if (!c.State.Running) throw new Error(`container ${container} is not running`);
  if (opts.project !== undefined) {
    const owner = c.Config.Labels?.[PROJECT_LABEL];
    if (owner !== opts.project)
      throw new Error(
        `container ${container} is not this project's (${owner === undefined ? 'not made by kolla' : `project "${owner}"`}): nothing runs there`,
      );
  }
  const r = await execWithStdin(docker, container, cmd, input, { timeoutMs: opts.timeoutMs });
  if (r.exitCode !== 0) {
    let msg = (r.stderr.trim() || r.stdout.trim() || '(no output)').replace(/\s*\n\s*/g, ' ');
    for (const v of opts.redact ?? []) if (v) msg = msg.split(v).join('(sensitive)');
    throw new Error(`${cmd.slice(0, 3).join(' ')} in ${container} exited with code ${r.exitCode}: ${msg}`);
  }
  return r.stdout;
}

/** `rabbitmqctl -q ARGS` (no secret in ARGS: user and vhost names only). */
export function rabbitmqctl(
  docker: Dockerode,
  container: string,
  args: readonly string[],
  opts: ExecOptions,
): Promise<string> {
  return execChecked(docker, container, ['rabbitmqctl', '-q', ...args], '', opts);
}
