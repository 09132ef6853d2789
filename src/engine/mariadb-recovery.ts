/**
 * `kolla mariadb-recovery`: kolla-ansible's `mariadb_recovery` for a Galera cluster whose
 * nodes all stopped (a power loss, a crash of one node and then of the others) and that
 * cannot form a Primary Component again by itself (docs/HA.md).
 *
 * For the mariadb container of the configuration (every host it is placed on, in `hosts`
 * order, over the configured transports), under the state lock:
 *
 * 1. Each node's container is inspected (a host without it is left out: `kolla apply` creates
 *    it later, and it joins). When one of them is Synced in a Primary Component
 *    the cluster runs: nothing is bootstrapped, the stopped nodes are started one at a time
 *    (each joins the running cluster and is waited for until Synced).
 * 2. Otherwise every node that runs (waiting for a peer, or in a restart loop) is stopped,
 *    and each node's last committed position `uuid:seqno` is read by `kolla_mariadb_recover`
 *    in a one-off container of its image with the node's volumes (`--volumes-from`).
 *    A node without grastate.dat (a new or emptied volume) has no position: it only joins.
 * 3. The node with the highest seqno (ties: the first in `hosts` order) is marked
 *    safe_to_bootstrap (`kolla_mariadb_recover --bootstrap`) and started: its start script
 *    starts a new cluster from its data. Once it is Synced/Primary the others are started one
 *    at a time, each waited for until Synced (they catch up by IST or SST).
 *
 * Nothing here prints: progress goes to `onProgress`, the outcome is returned.
 */
import type Dockerode from 'dockerode';
import type { VarArg } from '../config/variables.js';
import type { Diagnostic } from '../diags/diagnostic.js';
import { KollaError } from '../diags/kolla-error.js';
import { didYouMean } from '../diags/suggest.js';
import type { ContainerInstance } from '../expand/instances.js';
import { containersOf } from '../kinds/container.js';
import { PROJECT_LABEL } from '../providers/docker/labels.js';
import { demuxLogs, logTail } from '../providers/docker/logs.js';
import { execIn } from '../providers/docker/exec-ops.js';
import {
  findContainer,
  startContainer,
  stopContainer,
  waitHealthy,
} from '../providers/docker/container-ops.js';
import { durationMs } from '../providers/docker/duration.js';
import { backendFor } from './backend/backend-for.js';
import { HostConnections } from './hosts.js';
import { prepare } from './prepare.js';
import { withLock, type LockOptions } from './with-lock.js';

/** A node's last committed position, as kolla_mariadb_recover prints it. */
export interface GaleraPosition {
  uuid: string;
  seqno: number;
}

const POSITION = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(-?\d+)$/i;

/** The `uuid:seqno` line of kolla_mariadb_recover's output (its last such line). */
export function parsePosition(output: string): GaleraPosition | undefined {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => POSITION.test(l));
  const m = POSITION.exec(lines[lines.length - 1] ?? '');
  return m ? { uuid: m[1]!.toLowerCase(), seqno: Number(m[2]) } : undefined;
}

/**
 * The node to start the cluster from: the highest seqno, the first in the given order on a
 * tie. Refused when the nodes do not share one history (different cluster UUIDs: which data
 * wins is a person's decision) or no node knows its position (seqno -1).
 */
export function chooseBootstrapNode(nodes: readonly { host: string; position: GaleraPosition }[]): string {
  const known = nodes.filter((n) => n.position.seqno >= 0);
  if (known.length === 0)
    throw new KollaError('state', 'no node knows its last committed position (every seqno is -1)', {
      hint: 'Read each node\'s grastate.dat and the "WSREP: Recovered position" of mariadbd --wsrep-recover by hand (docs/HA.md).',
    });
  const uuids = new Set(known.map((n) => n.position.uuid));
  if (uuids.size > 1)
    throw new KollaError(
      'state',
      `the nodes belong to different cluster histories: ${known.map((n) => `${n.host} ${n.position.uuid}:${n.position.seqno}`).join(', ')}`,
      {
        hint: 'Decide which node holds the data to keep, run kolla_mariadb_recover --bootstrap on it and start it by hand (docs/HA.md).',
      },
    );
  let best = known[0]!;
  for (const n of known) if (n.position.seqno > best.position.seqno) best = n;
  return best.host;
}

export interface NodeReport {
  host: string;
  /**
   * What the node was found doing: synced (Synced/Primary), running (not Primary), stopped,
   * or missing (no container: `kolla apply` creates it, and it joins the running cluster).
   */
  found: 'synced' | 'running' | 'stopped' | 'missing';
  /** Its last committed position (read only when the cluster had to be bootstrapped). */
  uuid?: string;
  seqno?: number;
  /** Its data directory has no grastate.dat (a new or emptied volume): it can only join. */
  noState?: boolean;
  bootstrapped: boolean;
  /** Started by this command (it was stopped, or stopped by it). */
  started: boolean;
}

export interface MariadbRecoveryOutcome {
  service: string;
  container: string;
  /** `bootstrapped`: a new Primary Component from the most advanced node; `joined`: the
   *  cluster ran, the stopped nodes joined it; `healthy`: nothing to do. */
  result: 'bootstrapped' | 'joined' | 'healthy';
  bootstrapHost?: string;
  nodes: NodeReport[];
  diagnostics: Diagnostic[];
}

export interface MariadbRecoveryOptions extends LockOptions {
  dir: string;
  vars: VarArg[];
  /** The service of the mariadb container (when the name alone is ambiguous). */
  service?: string;
  /** The container's name in the configuration; default `mariadb`. */
  container?: string;
  /** How long a node may take to be Synced; default the container's health_timeout. */
  syncTimeoutMs?: number;
  trustNewHostKeys?: boolean;
  signal?: AbortSignal;
  /** One line per step. */
  onProgress: (text: string) => void;
}

/** The mariadb containers of the configuration, one per host, in `hosts` order. */
export function findGaleraContainers(
  containers: readonly ContainerInstance[],
  name: string,
  service: string | undefined,
): ContainerInstance[] {
  const byName = containers.filter((c) => c.spec.name === name);
  if (byName.length === 0) {
    const names = new Set(containers.map((c) => c.spec.name));
    throw new KollaError(
      'configuration',
      `no container named "${name}" in the configuration${didYouMean(name, names)}`,
      { hint: 'Name the Galera container with --container (and its service with --service).' },
    );
  }
  const services = [...new Set(byName.map((c) => c.service))];
  let chosen = services[0]!;
  if (service !== undefined) {
    if (!services.includes(service)) {
      const all = new Set(containers.map((c) => c.service));
      throw new KollaError(
        'configuration',
        `no service "${service}" with a container "${name}"${didYouMean(service, all)}`,
        { hint: `Services with a container "${name}": ${services.join(', ')}.` },
      );
    }
    chosen = service;
  } else if (services.length > 1) {
    throw new KollaError(
      'configuration',
      `the container "${name}" is in more than one service: ${services.join(', ')}`,
      { hint: 'Choose one with --service.' },
    );
  }
  return byName.filter((c) => c.service === chosen);
}

interface Node {
  inst: ContainerInstance;
  docker: Dockerode;
  id: string;
  image: string;
  report: NodeReport;
}

const RECOVER_TIMEOUT_MS = 300_000;
/** kolla_mariadb_recover's exit code for a data directory without grastate.dat. */
const NO_STATE_EXIT = 3;

export async function mariadbRecoveryOperation(o: MariadbRecoveryOptions): Promise<MariadbRecoveryOutcome> {
  const p = await prepare({ dir: o.dir, vars: o.vars });
  const container = o.container ?? 'mariadb';
  if (!p.config || !p.expansion || p.diagnostics.hasErrors())
    return {
      service: o.service ?? '',
      container,
      result: 'healthy',
      nodes: [],
      diagnostics: [...p.diagnostics],
    };
  const config = p.config;
  const insts = findGaleraContainers(containersOf(p.expansion.instances), container, o.service);
  const service = insts[0]!.service;
  const project = config.settings.project;
  const backend = backendFor(o.dir, config.settings);
  const say = o.onProgress;
  return withLock(backend, o, 'mariadb-recovery', async () => {
    const conns = new HostConnections(new Map(config.hosts.map((h) => [h.name, h])), {
      timeoutMs: durationMs(config.settings.hostTimeout),
      ...(o.signal ? { signal: o.signal } : {}),
      trustNewHostKeys: o.trustNewHostKeys === true,
      onNotice: (text) => o.onEvent({ type: 'message', level: 'warning', text }),
    });
    try {
      const nodes: Node[] = [];
      const missing: NodeReport[] = [];
      for (const inst of insts) {
        const docker = await conns.get(inst.host).docker();
        const info = await findContainer(docker, inst.spec.name);
        if (!info || info.project !== project) {
          say(
            `${inst.host}: no container ${inst.spec.name} of this project (left out: kolla apply creates it, and it joins the cluster)`,
          );
          missing.push({ host: inst.host, found: 'missing', bootstrapped: false, started: false });
          continue;
        }
        const running = info.running;
        const synced = running && (await isSynced(docker, info.id));
        const found = synced ? 'synced' : running ? 'running' : 'stopped';
        say(
          `${inst.host}: ${found === 'synced' ? 'Synced in a Primary Component' : found === 'running' ? 'running, not Synced in a Primary Component' : 'stopped'}`,
        );
        nodes.push({
          inst,
          docker,
          id: info.id,
          image: info.imageId,
          report: { host: inst.host, found, bootstrapped: false, started: false },
        });
      }
      const out = (
        result: MariadbRecoveryOutcome['result'],
        bootstrapHost?: string,
      ): MariadbRecoveryOutcome => ({
        service,
        container,
        result,
        ...(bootstrapHost !== undefined ? { bootstrapHost } : {}),
        nodes: insts.map(
          (i) => nodes.find((n) => n.inst === i)?.report ?? missing.find((m) => m.host === i.host)!,
        ),
        diagnostics: [...p.diagnostics],
      });
      const timeoutOf = (n: Node): number => o.syncTimeoutMs ?? durationMs(n.inst.spec.health_timeout);

      if (nodes.length === 0)
        throw new KollaError('host', `no host has its ${container} container: nothing to recover`, {
          hint: 'kolla apply creates them.',
        });
      if (nodes.every((n) => n.report.found === 'synced')) {
        say('every node is Synced: nothing to do');
        return out('healthy');
      }
      const primary = nodes.find((n) => n.report.found === 'synced');
      if (primary) {
        // The cluster runs: no bootstrap, the others join it one at a time.
        say(`the cluster runs on ${primary.inst.host}: starting the other nodes one at a time`);
        for (const n of nodes) {
          if (n.report.found === 'synced') continue;
          if (n.report.found === 'stopped') await start(n, say);
          await waitSynced(n, timeoutOf(n), o.signal, say);
        }
        return out('joined');
      }

      // No Primary Component anywhere: stop what runs, read every node's position.
      for (const n of nodes) {
        if (n.report.found !== 'running') continue;
        say(`${n.inst.host}: stopping the node (it waits for a Primary Component that does not come)`);
        await stopContainer(n.docker, n.id, n.inst.options.stopTimeoutS);
      }
      for (const n of nodes) {
        const pos = await recoverPosition(n, project, [], o.signal);
        if (!pos) {
          n.report.noState = true;
          say(`${n.inst.host}: no Galera state (no grastate.dat): it joins by state transfer`);
          continue;
        }
        n.report.uuid = pos.uuid;
        n.report.seqno = pos.seqno;
        say(`${n.inst.host}: last committed position ${pos.uuid}:${pos.seqno}`);
      }
      const withState = nodes.filter((n) => n.report.seqno !== undefined);
      if (withState.length === 0)
        throw new KollaError(
          'state',
          'no node has a Galera state (grastate.dat): there is no data to start the cluster from',
          {
            hint: 'On a new cluster, kolla apply starts it.',
          },
        );
      const host = chooseBootstrapNode(
        withState.map((n) => ({
          host: n.inst.host,
          position: { uuid: n.report.uuid!, seqno: n.report.seqno! },
        })),
      );
      const first = nodes.find((n) => n.inst.host === host)!;
      say(
        `${host}: the most advanced node (seqno ${first.report.seqno}): marking it safe_to_bootstrap and starting the cluster from it`,
      );
      await recoverPosition(first, project, ['--bootstrap'], o.signal);
      first.report.bootstrapped = true;
      await start(first, say);
      await waitSynced(first, timeoutOf(first), o.signal, say);
      for (const n of nodes) {
        if (n === first) continue;
        await start(n, say);
        await waitSynced(n, timeoutOf(n), o.signal, say);
      }
      return out('bootstrapped', host);
    } finally {
      await conns.closeAll();
    }
  });
}

/** Synced in a Primary Component: the image's healthcheck (kolla_mariadb_healthcheck). */
async function isSynced(docker: Dockerode, id: string): Promise<boolean> {
  try {
    const r = await execIn(docker, id, ['kolla_mariadb_healthcheck'], { timeoutMs: 30_000 });
    return r.exitCode === 0;
  } catch {
    return false;
  }
}

async function start(n: Node, say: (t: string) => void): Promise<void> {
  say(`${n.inst.host}: starting the node`);
  await startContainer(n.docker, n.id);
  n.report.started = true;
}

async function waitSynced(
  n: Node,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  say: (t: string) => void,
): Promise<void> {
  const t0 = Date.now();
  try {
    await waitHealthy(n.docker, n.id, { timeoutMs, settleMs: 0, ...(signal ? { signal } : {}) });
  } catch (err) {
    throw new KollaError(
      'host',
      `${n.inst.host}: the node did not become Synced: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  say(`${n.inst.host}: Synced in a Primary Component (${Math.round((Date.now() - t0) / 1000)} s)`);
}

/**
 * kolla_mariadb_recover in a one-off container of the node's image with its volumes (the
 * data and its config files): its stdout's `uuid:seqno`, or undefined when the data
 * directory has no grastate.dat.
 */
async function recoverPosition(
  n: Node,
  project: string,
  args: string[],
  signal: AbortSignal | undefined,
): Promise<GaleraPosition | undefined> {
  const c = await n.docker.createContainer({
    Image: n.image,
    Entrypoint: ['kolla_mariadb_recover'],
    Cmd: args,
    User: 'root',
    Labels: { [PROJECT_LABEL]: project },
    HostConfig: { VolumesFrom: [n.id], NetworkMode: 'none' },
  });
  try {
    await c.start();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), RECOVER_TIMEOUT_MS);
    const onAbort = (): void => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let code: number;
    try {
      code = ((await c.wait({ abortSignal: ac.signal })) as { StatusCode: number }).StatusCode;
    } catch (err) {
      await c.kill().catch(() => {});
      throw new KollaError('host', `${n.inst.host}: kolla_mariadb_recover did not finish`, { cause: err });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    const buf = await c.logs({ stdout: true, stderr: false, follow: false });
    const stdout = demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    if (code === NO_STATE_EXIT && args.length === 0) return undefined;
    if (code !== 0)
      throw new KollaError(
        'host',
        `${n.inst.host}: kolla_mariadb_recover ${args.join(' ')} exited with code ${code}:\n${await logTail(n.docker, c.id, 30)}`,
      );
    const pos = parsePosition(stdout);
    if (!pos)
      throw new KollaError('host', `${n.inst.host}: kolla_mariadb_recover printed no uuid:seqno:\n${stdout}`);
    return pos;
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}
