/**
 * rabbitmqctl (and erl_call) run inside a running RabbitMQ container (docker exec), for the
 * rabbitmq_user kind. Whatever carries a secret (definitions with a password hash) goes on the
 * command's standard input, never on its command line (ps, docker inspect): rabbitmqctl's
 * `import_definitions` reads them from there. Each rabbitmqctl run starts an Erlang VM (1 s
 * idle, several on a busy host), so the kind asks for as few as it can: one read (erl_call
 * first, below), one `import_definitions` to write.
 */
import type Dockerode from 'dockerode';
import { execWithStdin } from './sql-exec.js';
import { PROJECT_LABEL } from './labels.js';

/** The expression erl_call evaluates on the node: what export_definitions holds of users. */
const READ_EXPRESSION =
  'io:put_chars(rabbit_json:encode(maps:with([users, vhosts, permissions], rabbit_definitions:all_definitions()))).';

/**
 * The read of the refresh and of apply: users (with their password hashes), vhosts and
 * permissions, as JSON. First through `erl_call` (Erlang's C client, in erlang-base): it
 * connects to the running node over the distribution protocol and evaluates one expression
 * there, without starting an Erlang VM of its own: ~0.1 s where `rabbitmqctl
 * export_definitions` takes 1 s or more. The node's name: RABBITMQ_NODENAME (and
 * RABBITMQ_USE_LONGNAME) from the environment, else from rabbitmq-env.conf (prefixed or not,
 * as RabbitMQ reads it), else rabbit@ the host name; the cookie from the container user's
 * home. All of that runs in a subshell, so that an env file that fails to load only fails
 * this attempt. When it fails, or prints anything but a JSON object (erl_call exits 0 with no
 * output when the expression raises), the same read by `rabbitmqctl export_definitions`.
 */
export const EXPORT_DEFINITIONS = [
  'sh',
  '-c',
  `out=$(
  n=\${RABBITMQ_NODENAME:-} l=\${RABBITMQ_USE_LONGNAME:-}
  f=\${RABBITMQ_CONF_ENV_FILE:-/etc/rabbitmq/rabbitmq-env.conf}
  case $f in /*) ;; *) f=./$f ;; esac
  if [ -f "$f" ] && [ -r "$f" ]; then . "$f" >/dev/null 2>&1; fi
  n=\${n:-\${RABBITMQ_NODENAME:-\${NODENAME:-}}}
  l=\${l:-\${RABBITMQ_USE_LONGNAME:-\${USE_LONGNAME:-}}}
  if [ "$l" = true ]; then names=-name h=$(hostname -f); else names=-sname h=$(hostname -s); fi
  echo '${READ_EXPRESSION}' | erl_call "$names" "\${n:-rabbit@$h}" -e -fetch_stdout -no_result_term -timeout 15 2>/dev/null
) && [ "\${out#\\{}" != "$out" ] && printf '%s' "$out" || exec rabbitmqctl -q export_definitions - --format json`,
];
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
    throw new Error(`${commandName(cmd)} in ${container} exited with code ${r.exitCode}: ${msg}`);
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

/** How an error names a command: its first words, or the last command of a shell script. */
function commandName(cmd: readonly string[]): string {
  if (cmd[0] === 'sh' && cmd[1] === '-c' && cmd[2] !== undefined) {
    const m = /exec (\S+(?: \S+){0,2})[^\n]*$/.exec(cmd[2]);
    return m?.[1] ?? 'sh -c';
  }
  return cmd.slice(0, 3).join(' ');
}
