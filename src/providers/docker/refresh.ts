/**
 * Refresh: what is actually on a host. One label-filtered list per host (never one call
 * per address), then the inspects in parallel, reduced to the fields plan and apply read.
 */
import type Dockerode from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import { formatRestartPolicy } from './in-place.js';
import { isNotFound } from './errors.js';
import { ADDRESS_LABEL, CONFIG_HASH_LABEL, PROJECT_LABEL, SPEC_HASH_LABEL, projectFilter } from './labels.js';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthState = 'healthy' | 'unhealthy' | 'starting';

export interface ObservedContainer {
  id: string;
  /** Without Docker's leading "/". */
  name: string;
  /** kolla.address label; undefined on a project container without one (foreign or damaged). */
  address?: string;
  specHash?: string;
  configHash?: string;
  /** The image reference the container was created from (Config.Image). */
  imageRef: string;
  /** The image ID it runs ("sha256:…"); compare with imageIds() to spot a re-tagged image. */
  imageId: string;
  state: ContainerState;
  /** Only for containers with a healthcheck. */
  health?: HealthState;
  exitCode: number;
  /** In the spec's syntax: "no", "always", "unless-stopped", "on-failure", "on-failure:N". */
  restartPolicy: string;
  memory: number;
  cpuShares: number;
  labels: Record<string, string>;
  /** ISO time of the last start; undefined if never started. */
  startedAt?: string;
  restartCount: number;
}

export interface ObservedVolume {
  name: string;
  driver: string;
  labels: Record<string, string>;
  mountpoint: string;
  address?: string;
}

/** Inspects in flight at once: enough to hide latency, few enough not to swamp an SSH tunnel. */
const INSPECT_CONCURRENCY = 16;

export async function refreshHost(docker: Dockerode, project: string): Promise<ObservedContainer[]> {
  return (await refreshContainers(docker, project)).containers;
}

/**
 * This project's containers, inspected, and the names of every other container on the
 * host with the project that labelled it (undefined: not kolla's) — from one list call, so
 * a plan can refuse a name another project holds before anything is created.
 */
export async function refreshContainers(
  docker: Dockerode,
  project: string,
): Promise<{ containers: ObservedContainer[]; others: Map<string, string | undefined> }> {
  const all = await docker.listContainers({ all: true });
  const others = new Map<string, string | undefined>();
  const list = all.filter((c) => {
    const p = c.Labels?.[PROJECT_LABEL];
    if (p === project) return true;
    for (const n of c.Names ?? []) others.set(n.replace(/^\//, ''), p);
    return false;
  });
  const containers = await inspectAll(docker, list);
  return { containers, others };
}

async function inspectAll(docker: Dockerode, list: { Id: string }[]): Promise<ObservedContainer[]> {
  const inspected = await mapLimit(list, INSPECT_CONCURRENCY, async (c) => {
    try {
      return await docker.getContainer(c.Id).inspect();
    } catch (err) {
      // Removed between the list and the inspect: it is simply not there.
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
  const out: ObservedContainer[] = [];
  for (const info of inspected) if (info !== undefined) out.push(toObserved(info));
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function toObserved(info: ContainerInspectInfo): ObservedContainer {
  const labels = info.Config.Labels ?? {};
  const health = info.State.Health?.Status;
  const startedAt = info.State.StartedAt;
  const o: ObservedContainer = {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    imageRef: info.Config.Image,
    imageId: info.Image,
    state: info.State.Status as ContainerState,
    exitCode: info.State.ExitCode,
    restartPolicy: formatRestartPolicy(info.HostConfig.RestartPolicy),
    memory: info.HostConfig.Memory ?? 0,
    cpuShares: info.HostConfig.CpuShares ?? 0,
    labels,
    restartCount: info.RestartCount,
  };
  const address = labels[ADDRESS_LABEL];
  const specHash = labels[SPEC_HASH_LABEL];
  const configHash = labels[CONFIG_HASH_LABEL];
  if (address !== undefined) o.address = address;
  if (specHash !== undefined) o.specHash = specHash;
  if (configHash !== undefined) o.configHash = configHash;
  if (health === 'healthy' || health === 'unhealthy' || health === 'starting') o.health = health;
  // Docker reports Go's zero time for a container that never started.
  if (startedAt && !startedAt.startsWith('0001-')) o.startedAt = startedAt;
  return o;
}

export async function listVolumes(docker: Dockerode, project: string): Promise<ObservedVolume[]> {
  const res = await docker.listVolumes({ filters: { label: [projectFilter(project)] } });
  // The engine answers `"Volumes": null` when there are none.
  const vols = res.Volumes ?? [];
  return vols
    .map((v) => {
      const labels = v.Labels ?? {};
      const o: ObservedVolume = { name: v.Name, driver: v.Driver, labels, mountpoint: v.Mountpoint };
      const address = labels[ADDRESS_LABEL];
      if (address !== undefined) o.address = address;
      return o;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The local image ID for each reference; undefined when the image is not on the host. */
export async function imageIds(
  docker: Dockerode,
  refs: readonly string[],
): Promise<Map<string, string | undefined>> {
  const unique = [...new Set(refs)];
  const ids = await mapLimit(unique, INSPECT_CONCURRENCY, async (ref) => {
    try {
      return (await docker.getImage(ref).inspect()).Id;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
  return new Map(unique.map((ref, i) => [ref, ids[i]]));
}

/** Promise.all with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
