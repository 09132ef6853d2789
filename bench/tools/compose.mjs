// docker-compose (Debian's docker-compose, v1.29): the host's containers as services of one
// generated compose file per host, `docker-compose up -d`. On the testbed, Compose being
// single-host, it runs on each host over SSH (`ssh root@host docker-compose …`, the three at
// once, with the host's own Docker socket): what one does with Compose on several hosts.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { IMAGE, LABEL, cleanup, containers, repeat, runAll, sizing, sshArgs } from '../lib.mjs';

export const tool = 'compose';
const PROJECT = 'kollabenchcompose';
const HANG_MS = 300_000;

function composeFile(list, intervalS) {
  let s = 'version: "2.4"\nservices:\n';
  for (const c of list) {
    s +=
      `  c${c.i}:\n    image: ${IMAGE}\n    container_name: ${c.name}\n` +
      `    command: ["sleep", "2147483647"]\n    init: true\n    network_mode: host\n` +
      `    stop_grace_period: 1s\n    environment:\n      VALUE: "${c.value}"\n` +
      `    labels:\n      ${LABEL}: ${tool}\n` +
      `    healthcheck:\n      test: ["CMD", "true"]\n      interval: ${intervalS}s\n`;
  }
  return s;
}

export async function bench({ n, hosts, dir, runs, coldRuns, ops }) {
  const fileOf = (h) => path.join(dir, `compose-${h.name}.yml`);
  const write = (changed) => {
    const all = containers(tool, n, hosts, changed);
    for (const h of hosts)
      writeFileSync(
        fileOf(h),
        composeFile(
          all.filter((c) => c.host === h),
          sizing(n).intervalS,
        ),
      );
  };
  const up = () =>
    runAll(
      hosts.map((h) => {
        const args = ['-p', PROJECT, '-f', fileOf(h), '--ansi', 'never', 'up', '-d'];
        const limit = Math.max(sizing(n).parallelism, n + 1);
        // Compose 1.29 deadlocks when a file has more services than COMPOSE_PARALLEL_LIMIT
        // (default 64): here 34 of 100 containers were created with the default and 4 with a
        // limit of 10, then all of its ~100 threads waited on locks with no I/O, for good
        // (docker/compose#6705, #8161 report the same stall). It takes a limit above the
        // number of services, so compose runs up to N API calls at once here, where kolla
        // and the floor run sizing(N).parallelism. A run that has not ended after 5 minutes is
        // stopped and recorded as failed all the same. With 300 calls at once the engine
        // answers some after more than compose's 60 s read timeout (ERROR: Read timed out,
        // 2026-12-05): the timeout is raised to HANG_MS, so that compose is not failed for
        // the engine's slowness.
        const httpTimeout = String(Math.ceil(HANG_MS / 1000));
        const env = {
          DOCKER_HOST: `unix://${h.socket}`,
          COMPOSE_PARALLEL_LIMIT: String(limit),
          COMPOSE_HTTP_TIMEOUT: httpTimeout,
        };
        if (h.local) return ['docker-compose', args, { env, timeoutMs: HANG_MS }];
        // The same variables, set on the remote command line.
        const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
        const cmd = `${vars.join(' ')} docker-compose ${args.join(' ')}`;
        return ['ssh', sshArgs(h, cmd), { rss: false, timeoutMs: HANG_MS }];
      }),
    );
  // Compose v1 reports on stderr: "Creating X ... done", "Recreating X ... done", "X is up-to-date"
  // (names padded to the longest: "Creating bench_compose_c0  ... done").
  const count = (r, re) => (r.stderr.match(re) ?? []).length;

  try {
    ops.cold = await repeat(
      coldRuns,
      async () => {
        await cleanup(tool, hosts);
        write(false);
      },
      async () => {
        const r = await up();
        if (count(r, /^Creating \S+\s+\.\.\. done$/gm) !== n)
          throw new Error(`compose cold up: not ${n} created:\n${r.stderr}`);
        return r;
      },
    );
    ops.noop_apply = await repeat(runs, null, async () => {
      const r = await up();
      if (count(r, /is up-to-date/g) !== n)
        throw new Error(`compose no-op up: changed something:\n${r.stderr}`);
      return r;
    });
    ops.change = await repeat(
      runs,
      (k) => write(k % 2 === 0),
      async () => {
        const r = await up();
        if (count(r, /^Recreating \S+\s+\.\.\. done$/gm) !== 1)
          throw new Error(`compose one change: not 1 recreated:\n${r.stderr}`);
        return r;
      },
    );
    return ops;
  } finally {
    await cleanup(tool, hosts);
  }
}
