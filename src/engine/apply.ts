/**
 * apply(): carry out a plan. Images are checked (and pulled) before anything is stopped;
 * changes run in dependency order with bounded parallelism; every step is journaled
 * before it is done; replaced containers are created under a temporary name, the old one
 * stopped and kept as `<name>.kolla-prev` until the apply commits; each started container
 * must be healthy (or running for the settle time) before its dependents start. On any
 * failure the journal is undone and the previous state is written back with a history
 * entry saying what failed.
 */
import path from 'node:path';
import type { Config } from '../config/config.js';
import type { ConfigInstance, ContainerInstance, Instance } from '../expand/instances.js';
import type { Backend } from '../states/backend.js';
import type { JournalEntry, ResourceState, State } from '../states/state.js';
import { emptyState } from '../states/state.js';
import { newLineage } from '../states/statefile.js';
import type { SecretMasker } from '../states/secret-mask.js';
import type { Change, Plan } from '../plans/plan.js';
import { bootstrapInputsHash, sha256 } from '../plans/diff.js';
import { Dag } from '../graph/dag.js';
import type { HostConnections } from './hosts.js';
import type { EventSink } from './events.js';
import { rollbackJournal } from './rollback.js';
import { specHash } from '../providers/docker/spec-hash.js';
import {
  createContainer,
  ContainerFailedError,
  removeContainer,
  renameContainer,
  restartContainer,
  runOnce,
  startContainer,
  stopContainer,
  updateInPlace,
  waitHealthy,
} from '../providers/docker/container-ops.js';
import { createVolume, removeVolume } from '../providers/docker/volume-ops.js';
import { imageId, pullIfMissing } from '../providers/docker/image-ops.js';
import { ensureImageOnHost } from '../providers/docker/image-transfer.js';
import { LocalTransport } from '../transport/local.js';
import { ensureImages } from '../build/index.js';
import { isSshError } from '../transport/ssh-errors.js';
import { durationMs } from '../providers/docker/duration.js';
import { isNotFound } from '../providers/docker/errors.js';
import { kollaVersion } from '../version.js';

export interface ApplyContext {
  config: Config;
  /** Desired instances with real (unmasked) values. */
  instances: Instance[];
  plan: Plan;
  prior: State | undefined;
  backend: Backend;
  conns: HostConnections;
  masker: SecretMasker;
  parallelism: number;
  onEvent: EventSink;
  signal?: AbortSignal;
}

export interface ApplyResult {
  ok: boolean;
  state: State;
  /** On failure: the failed address and why. */
  failure?: { address: string; message: string };
  rollbackProblems?: string[];
}

/**
 * Fault injection for the crash tests: `KOLLA_TEST_CRASH_AT=after-create` (or after-rename,
 * health-wait, after-file) makes the process kill itself with SIGKILL at that point, exactly
 * as a power cut or `kill -9` would.
 */
function crashPoint(name: string): void {
  if (process.env['KOLLA_TEST_CRASH_AT'] === name) process.kill(process.pid, 'SIGKILL');
}

export const PREV_SUFFIX = '.kolla-prev';
export const NEW_SUFFIX = '.kolla-new';

export async function applyPlan(ctx: ApplyContext): Promise<ApplyResult> {
  const { plan, backend, conns, masker, onEvent, config } = ctx;
  const prior = ctx.prior ?? emptyState(newLineage(), config.settings.project, kollaVersion());
  const byAddr = new Map(ctx.instances.map((i) => [i.address, i]));
  const journal = backend.journal();
  await journal.begin(prior.lineage, prior.serial);
  const entries: JournalEntry[] = [];
  const log = async (e: JournalEntry): Promise<void> => {
    entries.push(e);
    await journal.append(e);
  };
  const observed = new Map<string, { id: string; image_id: string }>();
  const active = plan.changes.filter((c) => c.action !== 'noop' && c.action !== 'delete');
  const deletes = plan.changes.filter((c) => c.action === 'delete');
  const settleMs = durationMs(config.settings.settleTime);

  let failure: ApplyResult['failure'];
  try {
    // 0. Images kolla builds, parents first; pushed when a remote host will pull them.
    const toBuild = [
      ...new Set(
        active.filter((c) => c.kind === 'image').map((c) => (byAddr.get(c.address) as { name: string }).name),
      ),
    ];
    if (toBuild.length) {
      const remote = config.hosts.some((h) => h.connection !== 'local');
      const built = await ensureImages(config, toBuild, {
        push: remote && config.blocks.some((b) => b.type === 'registry'),
        onEvent: (e) => {
          if (e.type === 'building')
            onEvent({ type: 'change-start', address: `image.${e.name}`, action: 'create' });
          else if (e.type === 'done')
            onEvent({
              type: 'message',
              level: 'info',
              text: `image.${e.result.name}: ${e.result.status} (${e.result.ref})`,
            });
          else if (e.type === 'warning') onEvent({ type: 'message', level: 'warning', text: e.text });
        },
      });
      const failed = built.images.filter((i) => i.status === 'failed' || i.status === 'skipped');
      if (!built.ok || failed.length) {
        const f = failed[0];
        throw new StepError(
          `image.${f?.name ?? toBuild[0]}`,
          f
            ? `build failed: ${f.error ?? f.reason ?? 'see the build log'}${f.logFile ? ` (log: ${f.logFile})` : ''}${f.logTail?.length ? `\n${f.logTail.join('\n')}` : ''}`
            : built.diagnostics.map((d) => d.summary).join('; '),
        );
      }
    }

    // 1. Images first: nothing is stopped before every image is there.
    const images = new Map<string, Set<string>>();
    for (const c of active) {
      const inst = byAddr.get(c.address);
      if (
        inst &&
        (inst.kind === 'container' || inst.kind === 'bootstrap') &&
        c.action !== 'restart' &&
        c.action !== 'update'
      ) {
        const set = images.get(inst.host) ?? new Set();
        set.add(inst.spec.image);
        images.set(inst.host, set);
      }
    }
    let controller: Awaited<ReturnType<LocalTransport['docker']>> | undefined;
    for (const [host, refs] of images) {
      const docker = await conns.get(host).docker();
      const remote = config.hosts.find((h) => h.name === host)?.connection !== 'local';
      for (const ref of refs) {
        try {
          // A remote host without the image gets it from this machine's engine over the same
          // SSH connection (save → load) when this machine has it; otherwise it pulls.
          if (remote && (await imageId(docker, ref)) === undefined) {
            controller ??= await new LocalTransport().docker();
            if ((await imageId(controller, ref)) !== undefined) {
              onEvent({ type: 'message', level: 'info', text: `Sending image ${ref} to host "${host}"...` });
              await ensureImageOnHost(docker, ref, controller);
              continue;
            }
          }
          await pullIfMissing(docker, ref, () => {});
        } catch (e) {
          const msg = isSshError(e) ? e.message : `host "${host}": ${(e as Error).message}`;
          throw new StepError(`image ${ref}`, msg);
        }
      }
    }

    // 2. The changes, in dependency order.
    const g = new Dag();
    const activeSet = new Set(active.map((c) => c.address));
    for (const c of active) {
      g.add(c.address);
      for (const d of c.dependsOn) if (activeSet.has(d)) g.connect(c.address, d);
    }
    addSerialBatches(
      g,
      active,
      byAddr,
      config.hosts.map((h) => h.name),
    );
    const changeOf = new Map(active.map((c) => [c.address, c]));
    const { errors } = await g.walk(
      ctx.parallelism,
      async (addr) => {
        const c = changeOf.get(addr)!;
        const inst = byAddr.get(addr)!;
        const t0 = Date.now();
        onEvent({ type: 'change-start', address: addr, action: c.action });
        try {
          await applyChange(c, inst, { ...ctx, log, observed, settleMs, t0 });
        } catch (e) {
          const msg = e instanceof StepError ? e.message : describe(e);
          onEvent({ type: 'change-failed', address: addr, error: msg });
          throw new StepError(addr, msg);
        }
        onEvent({ type: 'change-done', address: addr, action: c.action, elapsedMs: Date.now() - t0 });
      },
      () => ctx.signal?.aborted === true,
    );
    if (errors.size) {
      const [addr, e] = [...errors][0]!;
      throw e instanceof StepError ? e : new StepError(addr, describe(e));
    }
    if (ctx.signal?.aborted) throw new StepError('apply', 'interrupted');

    // 3. Deletions, deferred: containers are stopped and kept until the commit.
    for (const c of deletes) {
      if (c.kind !== 'container') continue;
      const name = c.containerName ?? c.before?.spec?.name;
      if (!name) continue;
      const host = c.host;
      onEvent({ type: 'change-start', address: c.address, action: 'delete' });
      const docker = await conns.get(host).docker();
      try {
        const info = await docker.getContainer(c.currentId ?? name).inspect();
        await log({
          op: 'keep-container',
          host,
          name,
          prevName: name + PREV_SUFFIX,
          address: c.address,
          wasRunning: info.State.Running,
        });
        if (info.State.Running) await stopContainer(docker, info.Id, c.before?.options?.stopTimeoutS);
        await renameContainer(docker, info.Id, name + PREV_SUFFIX);
      } catch (e) {
        if (!isNotFound(e)) throw new StepError(c.address, describe(e));
      }
      onEvent({ type: 'change-done', address: c.address, action: 'delete', elapsedMs: 0 });
    }
  } catch (e) {
    failure =
      e instanceof StepError
        ? { address: e.address, message: e.message }
        : { address: 'apply', message: describe(e) };
  }

  if (failure) {
    onEvent({ type: 'rollback-start', reason: `${failure.address}: ${failure.message}` });
    const rb = await rollbackJournal(entries, conns, masker, onEvent);
    const state: State = { ...prior, resources: prior.resources, serial: prior.serial + 1 };
    await backend.write(
      state,
      `apply failed: ${failure.address}: ${firstLine(failure.message)}; ${rb.ok ? 'rolled back' : 'rollback incomplete: ' + rb.problems.join('; ')}`,
      { outcome: 'failed' },
    );
    await log({ op: 'commit' });
    await journal.close();
    return { ok: false, state, failure, rollbackProblems: rb.problems };
  }

  // 4. Commit: remove what was kept for a rollback and what was deleted.
  for (const e of entries) {
    if (e.op !== 'keep-container') continue;
    try {
      const docker = await conns.get(e.host).docker();
      await removeContainer(docker, e.prevName);
    } catch (err) {
      if (!isNotFound(err))
        onEvent({
          type: 'message',
          level: 'warning',
          text: `could not remove ${e.prevName} on ${e.host}: ${describe(err)}`,
        });
    }
  }
  for (const c of deletes) {
    try {
      if (c.kind === 'config' && c.before?.path) await conns.get(c.host).removeFile(c.before.path);
      if (c.kind === 'volume' && c.before?.volume)
        await removeVolume(await conns.get(c.host).docker(), c.before.volume.name);
    } catch (err) {
      onEvent({ type: 'message', level: 'warning', text: `could not remove ${c.address}: ${describe(err)}` });
    }
  }
  const state = nextState(prior, plan, ctx.instances, observed, masker);
  await backend.write(state, plan.destroy ? 'destroy' : 'apply', { outcome: 'applied' });
  await log({ op: 'commit' });
  await journal.close();
  return { ok: true, state };
}

/**
 * Rolling updates: a service with `serial` changes its hosts in batches (a number of hosts,
 * or a percentage), each batch waiting for the previous one to be healthy. The walk starts
 * nothing after a failure, so a failure in batch 2 of 3 leaves batch 3 untouched and the
 * rollback undoes batches 1 and 2.
 */
export function addSerialBatches(
  g: Dag,
  active: Change[],
  byAddr: Map<string, Instance>,
  hostOrder: string[],
): void {
  const byService = new Map<string, { serial: number | string; changes: ContainerInstance[] }>();
  for (const c of active) {
    const i = byAddr.get(c.address);
    if (i?.kind !== 'container' || i.serial === undefined) continue;
    const e = byService.get(i.service) ?? { serial: i.serial, changes: [] };
    e.changes.push(i);
    byService.set(i.service, e);
  }
  for (const [service, { serial, changes }] of byService) {
    const serviceHosts = new Set(
      [...byAddr.values()].filter((i) => i.kind === 'container' && i.service === service).map((i) => i.host),
    );
    const hosts = [...new Set(changes.map((c) => c.host))].sort(
      (a, b) => hostOrder.indexOf(a) - hostOrder.indexOf(b),
    );
    const size =
      typeof serial === 'number'
        ? serial
        : Math.max(1, Math.floor((serviceHosts.size * Number(serial.replace('%', ''))) / 100));
    const batches: string[][] = [];
    for (let k = 0; k < hosts.length; k += size) batches.push(hosts.slice(k, k + size));
    for (let b = 1; b < batches.length; b++) {
      const prev = changes.filter((c) => batches[b - 1]!.includes(c.host));
      for (const c of changes.filter((x) => batches[b]!.includes(x.host)))
        for (const p of prev) g.connect(c.address, p.address);
    }
  }
}

class StepError extends Error {
  constructor(
    readonly address: string,
    message: string,
  ) {
    super(message);
  }
}

function describe(e: unknown): string {
  if (e instanceof ContainerFailedError) return e.message;
  const err = e as { json?: { message?: string }; message?: string };
  return err.json?.message ?? err.message ?? String(e);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

interface StepContext extends ApplyContext {
  log: (e: JournalEntry) => Promise<void>;
  observed: Map<string, { id: string; image_id: string }>;
  settleMs: number;
  t0: number;
}

async function applyChange(c: Change, inst: Instance, ctx: StepContext): Promise<void> {
  const t = ctx.conns.get(inst.host);
  switch (inst.kind) {
    case 'config':
      return writeConfig(inst, ctx);
    case 'volume': {
      await ctx.log({ op: 'create-volume', host: inst.host, name: inst.spec.name, address: inst.address });
      await createVolume(await t.docker(), inst.spec, {
        project: ctx.config.settings.project,
        address: inst.address,
      });
      return;
    }
    case 'image':
      return;
    case 'bootstrap': {
      await ctx.log({ op: 'run-bootstrap', host: inst.host, address: inst.address });
      const docker = await t.docker();
      // The image it ran with goes into the state: a tag moved to another image (a rebuild)
      // makes the next plan run it again.
      const image = await imageId(docker, inst.spec.image);
      const r = await runOnce(docker, inst.spec, meta(ctx, inst.address, inst.spec), {
        timeoutMs: inst.timeoutMs,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      if (r.exitCode !== 0) {
        throw new StepError(
          inst.address,
          `bootstrap exited with code ${r.exitCode}; last log lines:\n${r.logTail}`,
        );
      }
      if (image !== undefined) ctx.observed.set(inst.address, { id: '', image_id: image });
      return;
    }
    case 'container':
      return applyContainer(c, inst, ctx);
  }
}

function meta(
  ctx: StepContext,
  address: string,
  spec: ContainerInstance['spec'],
): { project: string; address: string; specHash: string } {
  return { project: ctx.config.settings.project, address, specHash: specHash(spec) };
}

async function writeConfig(inst: ConfigInstance, ctx: StepContext): Promise<void> {
  const t = ctx.conns.get(inst.host);
  const prev = await t.readFile(inst.path);
  if (prev === undefined)
    await ctx.log({ op: 'create-file', host: inst.host, path: inst.path, address: inst.address });
  else
    await ctx.log({
      op: 'write-file',
      host: inst.host,
      path: inst.path,
      address: inst.address,
      previous: ctx.masker.mask(prev.toString('utf8')),
      mode: inst.mode,
    });
  await t.mkdirp(path.posix.dirname(inst.path), 0o755);
  await t.writeFileAtomic(inst.path, inst.content, parseInt(inst.mode, 8));
  crashPoint('after-file');
}

async function waitUp(
  ctx: StepContext,
  docker: Awaited<ReturnType<ReturnType<HostConnections['get']>['docker']>>,
  id: string,
  inst: ContainerInstance,
): Promise<void> {
  let lastReport = 0;
  const opts: Parameters<typeof waitHealthy>[2] = {
    timeoutMs: durationMs(inst.spec.health_timeout),
    settleMs: ctx.settleMs,
    onTick: (elapsed) => {
      if (elapsed - lastReport >= 10_000) {
        lastReport = elapsed;
        ctx.onEvent({
          type: 'change-progress',
          address: inst.address,
          text: `Still waiting for ${inst.spec.healthcheck ? 'healthy' : 'running'}... [${Math.round(elapsed / 1000)}s elapsed]`,
          elapsedMs: elapsed,
        });
      }
    },
  };
  if (ctx.signal) opts.signal = ctx.signal;
  await waitHealthy(docker, id, opts);
}

async function applyContainer(c: Change, inst: ContainerInstance, ctx: StepContext): Promise<void> {
  const docker = await ctx.conns.get(inst.host).docker();
  const name = inst.spec.name;
  const m = meta(ctx, inst.address, inst.spec);
  const record = async (id: string): Promise<void> => {
    const info = await docker.getContainer(id).inspect();
    ctx.observed.set(inst.address, { id: info.Id, image_id: info.Image });
  };
  switch (c.action) {
    case 'create': {
      await ctx.log({ op: 'create-container', host: inst.host, name, address: inst.address });
      const id = await createContainer(docker, inst.spec, m);
      await startContainer(docker, id);
      await waitUp(ctx, docker, id, inst);
      await record(id);
      return;
    }
    case 'replace': {
      const temp = name + NEW_SUFFIX;
      await ctx.log({ op: 'create-container', host: inst.host, name: temp, address: inst.address });
      const id = await createContainer(docker, { ...inst.spec, name: temp }, m);
      crashPoint('after-create');
      const old = docker.getContainer(c.currentId ?? name);
      let wasRunning = false;
      let oldId: string | undefined;
      try {
        const info = await old.inspect();
        wasRunning = info.State.Running;
        oldId = info.Id;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (oldId) {
        await ctx.log({
          op: 'keep-container',
          host: inst.host,
          name,
          prevName: name + PREV_SUFFIX,
          address: inst.address,
          wasRunning,
        });
        if (wasRunning) await stopContainer(docker, oldId, inst.options.stopTimeoutS);
        await renameContainer(docker, oldId, name + PREV_SUFFIX);
      }
      crashPoint('after-rename');
      await renameContainer(docker, id, name);
      await startContainer(docker, id);
      if (process.env['KOLLA_TEST_CRASH_AT'] === 'health-wait')
        setTimeout(() => crashPoint('health-wait'), 300);
      await waitUp(ctx, docker, id, inst);
      await record(id);
      return;
    }
    case 'update': {
      const id = c.currentId ?? name;
      const before = c.before?.spec;
      const info = await docker.getContainer(id).inspect();
      const rp = info.HostConfig.RestartPolicy;
      await ctx.log({
        op: 'update-container',
        host: inst.host,
        name,
        address: inst.address,
        previous: {
          restart_policy: before?.restart_policy ?? (rp?.Name ? rp.Name : 'no'),
          memory: info.HostConfig.Memory ?? 0,
          cpu_shares: info.HostConfig.CpuShares ?? 0,
        },
      });
      await updateInPlace(docker, info.Id, inst.spec);
      if (c.reasons.some((r) => r.startsWith('config '))) {
        await ctx.log({ op: 'restart-container', host: inst.host, name, address: inst.address });
        await restartContainer(docker, info.Id, inst.options.stopTimeoutS);
        await waitUp(ctx, docker, info.Id, inst);
      }
      await record(info.Id);
      return;
    }
    case 'restart': {
      const id = c.currentId ?? name;
      await ctx.log({ op: 'restart-container', host: inst.host, name, address: inst.address });
      const info = await docker.getContainer(id).inspect();
      if (info.State.Running) await restartContainer(docker, info.Id, inst.options.stopTimeoutS);
      else await startContainer(docker, info.Id);
      await waitUp(ctx, docker, info.Id, inst);
      await record(info.Id);
      return;
    }
    default:
      return;
  }
}

/** The state after a successful apply: applied resources from the desired instances. */
function nextState(
  prior: State,
  plan: Plan,
  instances: Instance[],
  observed: Map<string, { id: string; image_id: string }>,
  masker: SecretMasker,
): State {
  const byAddr = new Map(prior.resources.map((r) => [r.address, r]));
  const touched = new Set(plan.changes.map((c) => c.address));
  const out = new Map<string, ResourceState>();
  // Resources outside this plan (with -target) stay as they were.
  for (const r of prior.resources) if (!touched.has(r.address)) out.set(r.address, r);
  const inst = new Map(instances.map((i) => [i.address, i]));
  for (const c of plan.changes) {
    if (c.action === 'delete') continue;
    const i = inst.get(c.address);
    if (!i) continue;
    const prev = byAddr.get(c.address);
    const r: ResourceState = { address: i.address, kind: i.kind, host: i.host, dependencies: i.dependsOn };
    switch (i.kind) {
      case 'container': {
        r.spec = masker.maskDeep(i.spec);
        r.spec_hash = specHash(i.spec);
        r.options = i.options;
        r.service = i.service;
        const o =
          observed.get(i.address) ??
          (prev?.observed ? { id: prev.observed.id, image_id: prev.observed.image_id } : undefined);
        const id = o?.id ?? c.currentId;
        if (id) r.observed = { id, image_id: o?.image_id ?? c.currentImageId ?? '', state: 'running' };
        break;
      }
      case 'bootstrap':
        r.spec = masker.maskDeep(i.spec);
        r.spec_hash = specHash(i.spec);
        r.service = i.service;
        r.inputs_hash = bootstrapInputsHash(i, instances);
        if (c.action === 'run') {
          const img = observed.get(i.address)?.image_id;
          if (img) r.image_id = img;
        } else if (prev?.image_id) r.image_id = prev.image_id;
        break;
      case 'volume':
        r.volume = i.spec;
        break;
      case 'config':
        r.path = i.path;
        r.content = i.sensitive ? '' : masker.mask(i.content);
        r.content_hash = sha256(i.content);
        r.mode = i.mode;
        r.sensitive = i.sensitive;
        r.service = i.service;
        r.container = i.container;
        break;
      case 'image':
        r.ref = i.ref;
        break;
    }
    out.set(r.address, r);
  }
  return {
    version: prior.version,
    serial: prior.serial + 1,
    lineage: prior.lineage,
    kolla_version: kollaVersion(),
    project: prior.project,
    resources: [...out.values()].sort((a, b) => a.address.localeCompare(b.address)),
    outputs: Object.fromEntries(Object.entries(plan.outputs)),
  };
}
