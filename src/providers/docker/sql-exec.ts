/**
 * SQL run by the mysql client inside a running MariaDB container (docker exec), the SQL fed
 * on the client's standard input so that a password in it is never on a command line (ps,
 * docker inspect). The admin password, when one is needed, goes in the exec's environment
 * (MYSQL_PWD), not its arguments.
 */
import type Dockerode from 'dockerode';
import { demuxLogs } from './logs.js';
import { PROJECT_LABEL } from './labels.js';

export interface SqlOptions {
  /** The admin account's password (MYSQL_PWD); without it the client logs in as root by socket. */
  adminPassword?: string;
  adminUser?: string;
  timeoutMs: number;
  /** Values to blank out of an error (the client may echo SQL near a syntax error). */
  redact?: readonly string[];
  /**
   * The project the container must belong to (its kolla.project label): the admin password
   * never goes to, and no SQL runs in, a container of the same name that another project or a
   * person made.
   */
  project?: string;
}

export interface SqlResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Run `cmd` in the container with `input` on its standard input; wait for it. */
export async function execWithStdin(
  docker: Dockerode,
  container: string,
  cmd: readonly string[],
  input: string,
  opts: { environment?: Record<string, string>; user?: string; timeoutMs: number },
): Promise<SqlResult> {
  const c = docker.getContainer(container);
  const exec = await c.exec({
    Cmd: [...cmd],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    ...(opts.user ? { User: opts.user } : {}),
    ...(opts.environment ? { Env: Object.entries(opts.environment).map(([k, v]) => `${k}=${v}`) } : {}),
  });
  const stream = (await exec.start({ hijack: true, stdin: true })) as NodeJS.ReadWriteStream & {
    destroy?: () => void;
  };
  const out: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (b: Buffer) => out.push(b));
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', reject);
  });
  stream.write(input);
  stream.end();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), opts.timeoutMs);
  });
  try {
    if ((await Promise.race([done.then(() => 'done' as const), timeout])) === 'timeout') {
      stream.destroy?.();
      throw new Error(
        `${cmd[0]} in ${container} did not finish within ${Math.round(opts.timeoutMs / 1000)}s`,
      );
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
  const { stdout, stderr } = splitStreams(Buffer.concat(out));
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    const s = await exec.inspect();
    if (!s.Running) return { exitCode: s.ExitCode ?? -1, stdout, stderr };
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Docker's multiplexed stream (8-byte frame headers) into stdout and stderr. */
function splitStreams(buf: Buffer): { stdout: string; stderr: string } {
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i]!;
    const len = buf.readUInt32BE(i + 4);
    if (type > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) {
      // Not multiplexed (a TTY): all of it is output.
      return { stdout: demuxLogs(buf), stderr: '' };
    }
    (type === 2 ? e : o).push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return { stdout: Buffer.concat(o).toString('utf8'), stderr: Buffer.concat(e).toString('utf8') };
}

/**
 * Run SQL with `mysql -N -B` (tab-separated rows, no headers) in the container. Throws an
 * Error whose message is the client's error output (never the SQL, which may hold a password).
 */
export async function runSql(
  docker: Dockerode,
  container: string,
  sql: string,
  opts: SqlOptions,
): Promise<string> {
  const c = await docker.getContainer(container).inspect();
  if (!c.State.Running) throw new Error(`container ${container} is not running`);
  if (opts.project !== undefined) {
    const owner = c.Config.Labels?.[PROJECT_LABEL];
    if (owner !== opts.project)
      throw new Error(
        `container ${container} is not this project's (${owner === undefined ? 'not made by kolla' : `project "${owner}"`}): no SQL runs there`,
      );
  }
  const env: Record<string, string> = {};
  if (opts.adminPassword !== undefined) env.MYSQL_PWD = opts.adminPassword;
  const r = await execWithStdin(
    docker,
    container,
    ['mysql', '-N', '-B', '-u', opts.adminUser ?? 'root'],
    sql,
    { environment: env, timeoutMs: opts.timeoutMs },
  );
  if (r.exitCode !== 0) {
    let msg = r.stderr.trim() || '(no output)';
    for (const v of [...(opts.redact ?? []), opts.adminPassword ?? ''])
      if (v) msg = msg.split(v).join('(sensitive)');
    throw new Error(`mysql in ${container} exited with code ${r.exitCode}: ${msg}`);
  }
  return r.stdout;
}
