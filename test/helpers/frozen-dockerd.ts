/**
 * A second, real dockerd that a test starts and then freezes with SIGSTOP: it accepts
 * connections on its socket (the kernel queues them) and never answers, as a hung daemon
 * does. It runs in its own network namespace (with --bridge=none dockerd deletes any
 * interface named docker0, which in the shared namespace is the shared engine's bridge),
 * with its own data root, exec root, socket, pid file and supervised containerd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalTransport } from '../../src/transport/local.js';

export interface FrozenDockerd {
  socket: string;
  pid: number;
  /** SIGCONT, SIGTERM (SIGKILL after 15 s), remove the temp dir. */
  stop(): Promise<void>;
}

export async function startFrozenDockerd(): Promise<FrozenDockerd> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kfz-'));
  const socket = path.join(tmp, 'd.sock');
  const logFile = path.join(tmp, 'dockerd.log');
  const log = openSync(logFile, 'w');
  const child: ChildProcess = spawn(
    'unshare',
    [
      '--net',
      '--',
      'dockerd',
      '--data-root',
      path.join(tmp, 'data'),
      '--exec-root',
      path.join(tmp, 'exec'),
      '--pidfile',
      path.join(tmp, 'd.pid'),
      '-H',
      `unix://${socket}`,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      '--storage-driver=vfs',
    ],
    { stdio: ['ignore', log, log] },
  );
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGCONT');
      process.kill(child.pid, 'SIGTERM');
      if ((await Promise.race([exited, sleep(15_000, 'late')])) === 'late')
        process.kill(child.pid, 'SIGKILL');
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const docker = await new LocalTransport({ dockerSocket: socket, timeoutMs: 2000 }).docker();
    for (let i = 0; ; i++) {
      try {
        await docker.ping();
        break;
      } catch (err) {
        if (i > 120 || child.exitCode !== null)
          throw new Error(`second dockerd did not start: ${readFileSync(logFile, 'utf8')}`, { cause: err });
        await sleep(250);
      }
    }
    // unshare execs dockerd, so the child is the daemon itself.
    const pid = Number(readFileSync(path.join(tmp, 'd.pid'), 'utf8'));
    if (pid !== child.pid) throw new Error(`dockerd pid ${pid} is not the child's ${child.pid}`);
    process.kill(pid, 'SIGSTOP');
    return { socket, pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
