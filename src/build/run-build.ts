/**
 * Building a set of images from the image graph: parents before children, up to `threads`
 * at once, the ready image with the longest chain of builds behind it first; an image whose build hash and parent are unchanged is not rebuilt; a failed (or
 * skipped) image skips its descendants and says why; built images are pushed to their
 * registry on request. Progress goes out as events, one line's worth each.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { buildPriority, type ImageGraph, type ImageNode } from './image-graph.js';
import { contextHash, packContext } from './build-context.js';
import { BUILD_HASH_LABEL, BUILD_PARENT_LABEL, combineBuildHash, imageLabels } from './build-hash.js';
import { buildImage, localImage, tagImage, type LocalImage } from './builder.js';
import { authConfig, checkLogin, pushImage } from './push.js';
import type { RegistrySpec } from './image-spec.js';

export type ImageStatus = 'built' | 'up-to-date' | 'failed' | 'skipped';

export interface ImageResult {
  name: string;
  ref: string;
  status: ImageStatus;
  /** Image ID (built or up to date). */
  id?: string;
  /** The build hash (undefined when it could not be computed). */
  hash?: string;
  /** Every reference the image has: ref, then the extra tags. */
  tags: string[];
  /** References pushed (with --push). */
  pushed: string[];
  elapsedMs: number;
  /** Why it failed (build or push). */
  error?: string;
  /** Last lines of the build log, on a build failure. */
  logTail?: string[];
  /** The build log (kept for every build). */
  logFile?: string;
  /** Why it was skipped. */
  reason?: string;
  /** The build succeeded but the push did not. */
  pushError?: string;
}

export type BuildEvent =
  | { type: 'building'; name: string; ref: string }
  | { type: 'step'; name: string; text: string }
  | { type: 'done'; result: ImageResult }
  | { type: 'push'; name: string; ref: string }
  | { type: 'pushed'; name: string; ref: string; text?: string }
  | { type: 'push-failed'; name: string; error: string }
  | { type: 'warning'; name?: string; text: string };

export interface RunBuildOptions {
  docker: Dockerode;
  /** Builds at once (default 4). */
  threads?: number;
  /**
   * Rebuild even when up to date, without the engine's layer cache: every image (true) or
   * the images named. Other images are still rebuilt only when their build hash or parent
   * changed.
   */
  noCache?: boolean | string[];
  /** Push each image (and its extra tags) to its registry. */
  push?: boolean;
  /** Rendered Dockerfiles go to WORK_DIR/NAME/Dockerfile, logs to WORK_DIR/logs/NAME.log. */
  workDir: string;
  onEvent?: (e: BuildEvent) => void;
}

export const DEFAULT_THREADS = 4;

/** Build hashes of images, each computed once (parents first, through the memo). */
export class HashMemo {
  private readonly memo = new Map<string, Promise<string>>();

  constructor(private readonly graph: ImageGraph) {}

  of(name: string): Promise<string> {
    let p = this.memo.get(name);
    if (!p) {
      p = this.compute(name);
      // A failure is reported by the caller that awaits it; do not let it go unhandled here.
      p.catch(() => {});
      this.memo.set(name, p);
    }
    return p;
  }

  private async compute(name: string): Promise<string> {
    const node = this.graph.nodes.get(name);
    if (!node) throw new Error(`no image "${name}" in the image graph`);
    const parentHashes = await Promise.all(node.parents.map((p) => this.of(p)));
    const src = { dir: node.spec.context, dockerfile: node.dockerfile };
    const cache = this.graph.cache;
    const ctx = cache
      ? await cache.contextHash(src.dir, src.dockerfile, () => contextHash(src))
      : await contextHash(src);
    return combineBuildHash({
      contextHash: ctx,
      args: node.spec.args,
      labels: imageLabels(node.spec),
      parentHashes,
    });
  }
}

export interface BuildState {
  /** The image is there with this build hash, built FROM the current parent image. */
  upToDate: boolean;
  /** ID of the image the reference names now. */
  id?: string;
  /** Why it is not up to date. */
  reason?: 'missing' | 'changed' | 'parent-changed';
  /** The image the final stage builds FROM, as it is on the engine now. */
  base?: LocalImage;
}

/**
 * Whether the image `node` describes, with build hash `hash`, is on the engine already.
 * `lookup` finds an image by reference (default: inspect it on `docker`).
 */
export async function buildState(
  docker: Dockerode,
  node: ImageNode,
  hash: string,
  lookup: (ref: string) => Promise<LocalImage | undefined> = (ref) => localImage(docker, ref),
): Promise<BuildState> {
  const [base, have] = await Promise.all([
    node.baseRef !== undefined ? lookup(node.baseRef) : undefined,
    lookup(node.spec.ref),
  ]);
  const out: BuildState = { upToDate: false };
  if (base) out.base = base;
  if (!have) return { ...out, reason: 'missing' };
  out.id = have.id;
  if (have.labels[BUILD_HASH_LABEL] !== hash) return { ...out, reason: 'changed' };
  const parentLabel = have.labels[BUILD_PARENT_LABEL];
  if (base !== undefined && parentLabel !== undefined && parentLabel !== base.id)
    return { ...out, reason: 'parent-changed' };
  return { ...out, upToDate: true };
}

/** Write each image's rendered Dockerfile to WORK_DIR/NAME/Dockerfile; returns the paths. */
export function writeDockerfiles(graph: ImageGraph, names: string[], workDir: string): string[] {
  const out: string[] = [];
  for (const n of names) {
    const node = graph.nodes.get(n);
    if (!node) continue;
    const dir = path.join(workDir, n);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'Dockerfile');
    writeFileSync(file, node.dockerfile);
    out.push(file);
  }
  return out;
}

export async function runBuild(
  graph: ImageGraph,
  names: string[],
  opts: RunBuildOptions,
): Promise<ImageResult[]> {
  const docker = opts.docker;
  const threads = Math.max(1, opts.threads ?? DEFAULT_THREADS);
  const emit = (e: BuildEvent): void => opts.onEvent?.(e);
  const hashes = new HashMemo(graph);
  const results = new Map<string, ImageResult>();
  const logins = new Map<string, Promise<void>>();
  writeDockerfiles(graph, names, opts.workDir);

  // Credentials of every registry in the graph, for FROM lines that pull from one.
  const registryconfig: Record<string, { username: string; password: string; serveraddress: string }> = {};
  const secrets: string[] = [];
  for (const n of graph.nodes.values()) {
    const reg = n.spec.registry;
    const auth = reg ? authConfig(reg) : undefined;
    if (reg && auth) {
      registryconfig[reg.address] = auth;
      if (reg.password) secrets.push(reg.password);
    }
  }

  const login = (reg: RegistrySpec): Promise<void> => {
    const key = `${reg.address}\0${reg.username ?? ''}`;
    let p = logins.get(key);
    if (!p) {
      p = checkLogin(docker, reg);
      p.catch(() => {});
      logins.set(key, p);
    }
    return p;
  };

  const buildOne = async (name: string): Promise<ImageResult> => {
    const node = graph.nodes.get(name)!;
    const spec = node.spec;
    const started = Date.now();
    const noCache = opts.noCache === true || (Array.isArray(opts.noCache) && opts.noCache.includes(name));
    const result: ImageResult = {
      name,
      ref: spec.ref,
      status: 'failed',
      tags: [spec.ref, ...spec.extraRefs],
      pushed: [],
      elapsedMs: 0,
    };
    let reported = false;
    const finish = (): ImageResult => {
      if (!reported) {
        result.elapsedMs = Date.now() - started;
        emit({ type: 'done', result: { ...result } });
        reported = true;
      }
      return result;
    };
    let hash: string;
    try {
      hash = await hashes.of(name);
      result.hash = hash;
    } catch (e) {
      result.error = (e as Error).message;
      return finish();
    }
    const logFile = path.join(opts.workDir, 'logs', `${name}.log`);
    try {
      const state = await buildState(docker, node, hash);
      const base = state.base;
      if (state.upToDate && !noCache) {
        result.status = 'up-to-date';
        result.id = state.id!;
      } else {
        emit({ type: 'building', name, ref: spec.ref });
        const labels: Record<string, string> = { ...imageLabels(spec), [BUILD_HASH_LABEL]: hash };
        if (base) labels[BUILD_PARENT_LABEL] = base.id;
        const out = await buildImage(docker, {
          context: packContext({ dir: spec.context, dockerfile: node.dockerfile }),
          ref: spec.ref,
          labels,
          buildargs: spec.args,
          nocache: noCache,
          logFile,
          registryconfig,
          redact: secrets,
          onStep: (text) => emit({ type: 'step', name, text }),
        });
        result.logFile = logFile;
        if (!out.ok) {
          result.error = out.error;
          result.logTail = out.tail;
          return finish();
        }
        result.status = 'built';
        result.id = out.id;
      }
      for (const extra of spec.extraRefs) {
        const cur = await localImage(docker, extra);
        if (cur?.id !== result.id) await tagImage(docker, result.id!, extra);
      }
    } catch (e) {
      result.status = 'failed';
      result.error = (e as Error).message;
      return finish();
    }

    finish();
    if (opts.push) {
      const reg = spec.registry;
      if (!reg) {
        emit({ type: 'warning', name, text: `image.${name} has no registry; not pushed` });
      } else {
        try {
          await login(reg);
          const prefix = `${reg.address}/`;
          for (const ref of result.tags.filter((t) => t.startsWith(prefix))) {
            emit({ type: 'push', name, ref });
            await pushImage(docker, ref, reg, (text) => emit({ type: 'pushed', name, ref, text }));
            result.pushed.push(ref);
          }
          if (result.pushed.length === 0)
            emit({
              type: 'warning',
              name,
              text: `no tag of image.${name} is under ${reg.address}; not pushed`,
            });
        } catch (e) {
          result.pushError = (e as Error).message;
          emit({ type: 'push-failed', name, error: result.pushError });
        }
      }
    }
    return result;
  };

  const order = names.filter((n) => graph.nodes.has(n));
  // Ready images start longest chain first (a stable sort keeps parents before children).
  const priority = buildPriority(graph, order);
  const pending = [...order].sort((a, b) => (priority.get(b) ?? 0) - (priority.get(a) ?? 0));
  const running = new Map<string, Promise<void>>();
  const settle = (r: ImageResult, report = false): void => {
    results.set(r.name, r);
    if (report) emit({ type: 'done', result: r });
  };
  while (pending.length > 0 || running.size > 0) {
    for (let i = 0; i < pending.length && running.size < threads;) {
      const name = pending[i]!;
      const parents = graph.nodes.get(name)!.parents.filter((p) => order.includes(p));
      const blocked = parents
        .map((p) => results.get(p))
        .find((r) => r?.status === 'failed' || r?.status === 'skipped');
      if (blocked) {
        pending.splice(i, 1);
        const spec = graph.nodes.get(name)!.spec;
        settle(
          {
            name,
            ref: spec.ref,
            status: 'skipped',
            tags: [spec.ref, ...spec.extraRefs],
            pushed: [],
            elapsedMs: 0,
            reason:
              blocked.status === 'failed'
                ? `parent image.${blocked.name} failed`
                : `parent image.${blocked.name} was skipped (${blocked.reason ?? ''})`,
          },
          true,
        );
        // Something settled: rescan from the start for newly ready or blocked images.
        i = 0;
        continue;
      }
      if (parents.every((p) => results.has(p))) {
        pending.splice(i, 1);
        const p = buildOne(name).then(
          (r) => settle(r),
          (e: unknown) =>
            settle(
              {
                name,
                ref: graph.nodes.get(name)!.spec.ref,
                status: 'failed',
                tags: [],
                pushed: [],
                elapsedMs: 0,
                error: (e as Error).message,
              },
              true,
            ),
        );
        running.set(
          name,
          p.finally(() => running.delete(name)),
        );
        continue;
      }
      i++;
    }
    if (running.size === 0) {
      // Nothing runs and nothing is ready: only possible with a parent outside `order`
      // that never settles — cannot happen with parents filtered to `order`.
      break;
    }
    await Promise.race(running.values());
  }
  graph.cache?.save();
  return order.map((n) => results.get(n)!).filter((r) => r !== undefined);
}
