/**
 * Refresh: read what is really on every host the plan concerns, in parallel — per host one
 * label-filtered container list (with parallel inspects), the project's volumes, the image
 * IDs of the desired images, and the hash of every managed file; then what the databases'
 * servers hold (SQL in their running containers) and what other kinds read by a command in
 * one (rabbitmqctl export_definitions; the same command in the same container runs once).
 */
import { imageIds, listVolumes, refreshContainers } from '../providers/docker/refresh.js';
import { runSql } from '../providers/docker/sql-exec.js';
import { execChecked } from '../providers/docker/rabbitmqctl.js';
import { emptyHostWorld, type HostWorld, type RefreshRequest, type World } from '../providers/world.js';
import type { HostConnections } from './hosts.js';
import { isSshError } from '../transport/ssh-errors.js';
import { KollaError } from '../diags/kolla-error.js';
import { withHint } from '../transport/call-limits.js';

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
        const [containers, volumes, images, hashes] = await Promise.all([
          refreshContainers(docker, project),
          listVolumes(docker, project),
          imageIds(docker, [...new Set(r.images)]),
          Promise.all([...new Set(r.files)].map(async (f) => [f, await t.fileHash(f)] as const)),
        ]);
        for (const c of containers.containers) hw.containers.set(c.name, c);
        hw.others = containers.others;
        for (const v of volumes) hw.volumes.set(v.name, v);
        hw.images = images;
        for (const [f, h] of hashes) hw.files.set(f, h);
        const dbs = (hw.databases ??= new Map());
        await Promise.all(
          (r.databases ?? []).map(async (d) => {
            const c = hw.containers.get(d.container);
            // Only this project's own container: the admin password goes nowhere else.
            if (c?.state !== 'running') {
              dbs.set(d.address, { error: `container ${d.container} is not running` });
              return;
            }
            try {
              const output = await runSql(docker, d.container, d.sql, {
                project,
                adminUser: d.adminUser,
                timeoutMs: d.timeoutMs,
                ...(d.adminPassword !== undefined ? { adminPassword: d.adminPassword } : {}),
              });
              dbs.set(d.address, { output });
            } catch (e) {
              dbs.set(d.address, { error: (e as Error).message });
            }
          }),
        );
        const execs = (hw.execs ??= new Map());
        const runs = new Map<string, Promise<{ output: string } | { error: string }>>();
        await Promise.all(
          (r.execs ?? []).map(async (x) => {
            const key = JSON.stringify([x.container, x.cmd]);
            let run = runs.get(key);
            if (!run) {
              run =
                hw.containers.get(x.container)?.state !== 'running'
                  ? Promise.resolve({ error: `container ${x.container} is not running` })
                  : execChecked(docker, x.container, x.cmd, '', { project, timeoutMs: x.timeoutMs }).then(
                      (output) => ({ output }),
                      (e: Error) => ({ error: e.message }),
                    );
              runs.set(key, run);
            }
            execs.set(x.address, await run);
          }),
        );
      } catch (e) {
        hw.error = describeHostError(r.host, e);
        if (isHostDown(e)) hw.down = true;
      }
    }),
  );
  return world;
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
