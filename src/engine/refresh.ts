/**
 * Refresh: read what is really on every host the plan concerns, in parallel — per host one
 * label-filtered container list (with parallel inspects), the project's volumes, the image
 * IDs of the desired images, and the hash of every managed file; and, beside them, what the
 * databases' servers hold (one SQL run per server and admin account) and what other kinds read by a command in
 * one of this project's running containers (the same command in the same container runs once).
 */
import { imageIds, listVolumes, refreshContainers } from '../providers/docker/refresh.js';
import { runSql } from '../providers/docker/sql-exec.js';
import { execChecked } from '../providers/docker/rabbitmqctl.js';
import {
  emptyHostWorld,
  type DatabaseRead,
  type ExecRead,
  type HostWorld,
  type RefreshRequest,
  type World,
} from '../providers/world.js';
import type Dockerode from 'dockerode';
import type { HostConnections } from './hosts.js';
import { isSshError } from '../transport/ssh-errors.js';
import { KollaError } from '../diags/kolla-error.js';
import { withHint } from '../transport/call-limits.js';
import { isNotFound } from '../providers/docker/errors.js';
import { phase } from '../timing.js';

export type { HostWorld, RefreshRequest, World };

export async function refreshWorld(
  conns: HostConnections,
  project: string,
  requests: RefreshRequest[],
): Promise<World> {
  const world: World = new Map();
  await Promise.all(
    requests.map(async (r) => {
      const hw: HostWorld = emptyHostWorld();
      world.set(r.host, hw);
      try {
        const t = conns.get(r.host);
        const docker = await t.docker();
        // The kinds' reads inside running containers (SQL, commands) beside the list: each
        // checks its container itself (running, this project's), as it must anyway.
        // All settled before a failure is reported: no read runs on after its host's refresh.
        const reads = Promise.all([
          readDatabases(docker, project, hw, r.databases ?? []).then(() =>
            phase(`${r.host}: SQL reads done`),
          ),
          readExecs(docker, project, hw, r.execs ?? []).then(() => phase(`${r.host}: exec reads done`)),
        ]);
        const listed = Promise.all([
          refreshContainers(docker, project),
          listVolumes(docker, project),
          imageIds(docker, [...new Set(r.images)]),
          Promise.all([...new Set(r.files)].map(async (f) => [f, await t.fileHash(f)] as const)),
        ]).then((v) => (phase(`${r.host}: containers, volumes, images and files read`), v));
        const [l, x] = await Promise.allSettled([listed, reads]);
        if (l.status === 'rejected') throw l.reason;
        if (x.status === 'rejected') throw x.reason;
        const [containers, volumes, images, hashes] = l.value;
        for (const c of containers.containers) hw.containers.set(c.name, c);
        hw.others = containers.others;
        for (const v of volumes) hw.volumes.set(v.name, v);
        hw.images = images;
        for (const [f, h] of hashes) hw.files.set(f, h);
      } catch (e) {
        hw.error = describeHostError(r.host, e);
        if (isHostDown(e)) hw.down = true;
      }
    }),
  );
  return world;
}

/**
 * The databases' refresh queries, one `mysql` run per server and admin account (not one per
 * database: each run is an exec and a client start, ~0.1 s of CPU, and an all-in-one has a
 * dozen): the queries are joined, each after a marker row, and the output split at the
 * markers. When the joined run fails, each query runs alone, so that an error is told to the
 * database it concerns.
 */
async function readDatabases(
  docker: Dockerode,
  project: string,
  hw: HostWorld,
  reads: readonly DatabaseRead[],
): Promise<void> {
  const dbs = (hw.databases ??= new Map());
  const groups = new Map<string, DatabaseRead[]>();
  for (const d of reads) {
    const key = JSON.stringify([d.container, d.adminUser, d.adminPassword ?? null]);
    const g = groups.get(key);
    if (g) g.push(d);
    else groups.set(key, [d]);
  }
  // runSql refuses a container that is not running or not this project's: the admin
  // password goes nowhere else.
  const run = (d: DatabaseRead, sql: string, timeoutMs: number): Promise<string> =>
    notRunningIfMissing(
      d.container,
      runSql(docker, d.container, sql, {
        project,
        adminUser: d.adminUser,
        timeoutMs,
        ...(d.adminPassword !== undefined ? { adminPassword: d.adminPassword } : {}),
      }),
    );
  const one = async (d: DatabaseRead): Promise<void> => {
    try {
      dbs.set(d.address, { output: await run(d, d.sql, d.timeoutMs) });
    } catch (e) {
      dbs.set(d.address, { error: (e as Error).message });
    }
  };
  await Promise.all(
    [...groups.values()].map(async (g) => {
      const first = g[0] as DatabaseRead;
      if (g.length === 1) return one(first);
      // A marker before each query and one after the last: output cut short is not taken
      // for a database that has nothing.
      const sql = [
        ...g.map((d, i) => `SELECT '${READ_MARKER}', ${i};\n${d.sql}`),
        `SELECT '${READ_MARKER}', ${g.length};`,
      ].join('\n');
      let output: string;
      try {
        output = await run(first, sql, Math.max(...g.map((d) => d.timeoutMs)));
      } catch {
        await Promise.all(g.map(one));
        return;
      }
      const parts = splitAtMarkers(output, g.length);
      if (!parts) {
        await Promise.all(g.map(one));
        return;
      }
      g.forEach((d, i) => dbs.set(d.address, { output: parts[i] ?? '' }));
    }),
  );
}

/** The kinds' read-only commands; the same command in the same container runs once. */
async function readExecs(
  docker: Dockerode,
  project: string,
  hw: HostWorld,
  reads: readonly ExecRead[],
): Promise<void> {
  const execs = (hw.execs ??= new Map());
  const runs = new Map<string, Promise<{ output: string } | { error: string }>>();
  await Promise.all(
    reads.map(async (x) => {
      const key = JSON.stringify([x.container, x.cmd]);
      let run = runs.get(key);
      if (!run) {
        // execChecked refuses a container that is not running or not this project's.
        run = notRunningIfMissing(
          x.container,
          execChecked(docker, x.container, x.cmd, '', { project, timeoutMs: x.timeoutMs }),
        ).then(
          (output) => ({ output }),
          (e: Error) => ({ error: e.message }),
        );
        runs.set(key, run);
      }
      execs.set(x.address, await run);
    }),
  );
}

/** A container that is not there is, to a kind's read, one that is not running. */
async function notRunningIfMissing<T>(container: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) throw new Error(`container ${container} is not running`);
    throw e;
  }
}

const READ_MARKER = 'kolla-read';

/**
 * Split joined query output (`mysql -N -B`) at the marker rows into `n` parts; undefined
 * unless the markers 0..n (n: the one after the last query) all came, in order.
 */
export function splitAtMarkers(output: string, n: number): string[] | undefined {
  const parts: string[][] = [];
  let cur: string[] | undefined;
  let next = 0;
  for (const line of output.split('\n')) {
    const f = line.replace(/\r$/, '').split('\t');
    if (f.length === 2 && f[0] === READ_MARKER && /^\d+$/.test(f[1] ?? '')) {
      if (Number(f[1]) !== next++) return undefined;
      if (next > n) cur = undefined;
      else parts.push((cur = []));
      continue;
    }
    cur?.push(line);
  }
  return next === n + 1 ? parts.map((p) => p.join('\n')) : undefined;
}

/** SSH failures and socket errors that mean the host (or its engine) is down, not refusing. */
const DOWN_SSH = new Set([
  'unreachable',
  'timeout',
  'disconnected',
  'docker-socket-missing',
  'docker-socket-refused',
]);
const DOWN_CODES = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTDOWN',
]);

/** Is this refresh error the host being down (left out of the plan) rather than a refusal? */
export function isHostDown(e: unknown): boolean {
  if (isSshError(e)) return DOWN_SSH.has(e.failure);
  if (e instanceof KollaError) return false;
  const code = (e as NodeJS.ErrnoException).code;
  return code !== undefined && DOWN_CODES.has(code);
}

function describeHostError(host: string, e: unknown): string {
  if (isSshError(e)) return e.message;
  if (e instanceof KollaError) return withHint(e);
  const err = e as NodeJS.ErrnoException & { address?: string };
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
    return `host "${host}": cannot reach the Docker engine (${err.address ?? err.message}); is dockerd running? (scripts/docker-up.sh starts one)`;
  }
  if (err.code === 'EACCES')
    return `host "${host}": permission denied on the Docker socket (${err.address ?? ''})`;
  return `host "${host}": ${err.message}`;
}
