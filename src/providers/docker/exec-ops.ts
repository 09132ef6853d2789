/**
 * Running a command in a running container (docker exec) and reading its exit code and
 * output: what post-start tasks do.
 */
import type Dockerode from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import { demuxLogs } from './logs.js';

export interface ExecOptions {
  environment?: Record<string, string>;
  user?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr, interleaved, at most the last 64 KiB. */
  output: string;
}

const MAX_OUTPUT = 64 * 1024;

/**
 * Run `cmd` in the container (by name or ID) and wait for it; throws when the container
 * does not run or the command outlives `timeoutMs` (it is then left to finish on its own:
 * Docker cannot kill an exec).
 */
export async function execIn(
  docker: Dockerode,
  container: string,
  cmd: readonly string[],
  opts: ExecOptions,
): Promise<ExecResult> {
  const c = docker.getContainer(container);
  const info = await c.inspect();
  if (!info.State.Running) throw new Error(`container ${container} is not running`);
  const exec = await c.exec({
    Cmd: [...cmd],
    AttachStdout: true,
    AttachStderr: true,
    ...(opts.user ? { User: opts.user } : {}),
    ...(opts.environment ? { Env: Object.entries(opts.environment).map(([k, v]) => `${k}=${v}`) } : {}),
  });
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream & {
    destroy?: () => void;
  };
  const chunks: Buffer[] = [];
  let size = 0;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (b: Buffer) => {
      chunks.push(b);
      size += b.length;
      while (size > MAX_OUTPUT * 2 && chunks.length > 1) size -= chunks.shift()!.length;
    });
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', reject);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), opts.timeoutMs);
  });
  const aborted = new Promise<'aborted'>((resolve) => {
    opts.signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  try {
    const r = await Promise.race([done.then(() => 'done' as const), timeout, aborted]);
    if (r !== 'done') {
      stream.destroy?.();
      if (r === 'aborted') throw opts.signal?.reason ?? new Error('aborted');
      throw new Error(`${cmd.join(' ')} did not finish within ${Math.round(opts.timeoutMs / 1000)}s`);
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
  // The stream ends a moment before Docker records the exit code.
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    const s = await exec.inspect();
    if (!s.Running) {
      const text = demuxLogs(Buffer.concat(chunks));
      return { exitCode: s.ExitCode ?? -1, output: text.slice(-MAX_OUTPUT).replace(/\s+$/, '') };
    }
    await sleep(wait);
  }
}
