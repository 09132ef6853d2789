/**
 * The build API for the rest of kolla: load the image graph of a configuration, make sure
 * images exist and are current (`ensureImages`, what apply calls for the images its
 * containers use), and the build hash of an image (`buildHashOf`, `imageBuildStates`) to tell
 * whether one needs building without building it.
 */
import path from 'node:path';
import type Dockerode from 'dockerode';
import type { Config } from '../config/config.js';
import { Diagnostics } from '../diags/diagnostic.js';
import { didYouMean } from '../diags/suggest.js';
import { LocalTransport } from '../transport/local.js';
import { ancestorsOf, buildImageGraph, type ImageGraph } from './image-graph.js';
import { imageRefMap, imageSpecs } from './image-spec.js';
import { localImage, type LocalImage } from './builder.js';
import { buildState, HashMemo, runBuild, type BuildEvent, type ImageResult } from './run-build.js';
import { KollaError } from '../diags/kolla-error.js';
import { BuildCache } from './build-cache.js';

export interface ImageGraphOptions {
  /** `--template-override` files. */
  templateOverrides?: string[];
  /**
   * Keep rendered Dockerfiles and context hashes in `.kolla/build-cache.json` between runs
   * (default true; see build-cache.ts), or in this cache.
   */
  cache?: boolean | BuildCache;
}

/** Evaluate the image blocks, render their Dockerfiles and link parents to children. */
export function loadImageGraph(
  config: Config,
  opts: ImageGraphOptions = {},
): { graph: ImageGraph; diagnostics: Diagnostics } {
  const diagnostics = new Diagnostics();
  const specs = imageSpecs(config, diagnostics);
  const graph = buildImageGraph(
    specs,
    {
      refs: imageRefMap(config),
      configDir: config.dir,
      ...(opts.templateOverrides ? { overrides: opts.templateOverrides } : {}),
      ...(opts.cache !== false
        ? { cache: opts.cache instanceof BuildCache ? opts.cache : new BuildCache(config.dir) }
        : {}),
    },
    diagnostics,
  );
  return { graph, diagnostics };
}

/** Where build files go unless told: `.kolla/build/` in the configuration directory. */
export function defaultWorkDir(config: Config): string {
  return path.join(config.dir, '.kolla', 'build');
}

export interface EnsureImagesOptions extends ImageGraphOptions {
  /** The engine to build on (default: the local one, as `new LocalTransport().docker()`). */
  docker?: Dockerode;
  /** Builds at once (default 4). */
  threads?: number;
  /**
   * Rebuild the images of `names` even when up to date, without the layer cache (their
   * ancestors are still rebuilt only when changed).
   */
  noCache?: boolean;
  /** Push each image to its registry after building it. */
  push?: boolean;
  /** Default `.kolla/build/` in the configuration directory. */
  workDir?: string;
  onEvent?: (e: BuildEvent) => void;
}

export interface EnsureImagesResult {
  /** No diagnostics error, and every image built or up to date (and pushed, with push). */
  ok: boolean;
  /** Per image, parents first; ancestors of the requested images included. */
  images: ImageResult[];
  diagnostics: Diagnostics;
}

/**
 * Build the images `names` (image block names) and their ancestors when they are missing
 * or out of date; unchanged images are left alone. Does not throw for build failures: they
 * are in the result (status failed / skipped, with the error, log tail and log file).
 */
export async function ensureImages(
  config: Config,
  names: string[],
  opts: EnsureImagesOptions = {},
): Promise<EnsureImagesResult> {
  const { graph, diagnostics } = loadImageGraph(config, opts);
  const wanted = resolveNames(graph, names, diagnostics);
  if (diagnostics.hasErrors()) return { ok: false, images: [], diagnostics };
  const docker = opts.docker ?? (await new LocalTransport().docker());
  const images = await runBuild(graph, wanted, {
    docker,
    workDir: opts.workDir ?? defaultWorkDir(config),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.noCache ? { noCache: names.map((n) => n.replace(/^image\./, '')) } : {}),
    ...(opts.push !== undefined ? { push: opts.push } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  const ok = images.every(
    (r) => (r.status === 'built' || r.status === 'up-to-date') && r.pushError === undefined,
  );
  return { ok, images, diagnostics };
}

/** `names` with their ancestors, in build order; unknown names are errors. */
function resolveNames(graph: ImageGraph, names: string[], diags: Diagnostics): string[] {
  const want = new Set<string>();
  for (const raw of names) {
    const n = raw.replace(/^image\./, '');
    if (!graph.nodes.has(n)) {
      // Left out of the graph with a diagnostic already (bad template, cycle...) or unknown.
      if (!diags.some((d) => d.address === `image.${n}`))
        diags.error(`Unknown image "${n}"${didYouMean(n, graph.nodes.keys())}`);
      continue;
    }
    want.add(n);
    for (const a of ancestorsOf(graph, n)) want.add(a);
  }
  return graph.order.filter((n) => want.has(n));
}

/** Diagnostics as one error, for API callers that want a throw. */
export class ImageConfigError extends KollaError {
  override readonly name: string = 'ImageConfigError';
  constructor(readonly diagnostics: Diagnostics) {
    super(
      'configuration',
      diagnostics.find((d) => d.severity === 'error')?.summary ?? 'invalid image configuration',
    );
  }
}

/**
 * The build hash of image `name` — what `kolla.build-hash` on the image must be for it to
 * count as built. Throws ImageConfigError (with `.diagnostics`) when the image cannot be
 * rendered. Touches no engine.
 */
export async function buildHashOf(
  config: Config,
  name: string,
  opts: ImageGraphOptions = {},
): Promise<string> {
  const { graph, diagnostics } = loadImageGraph(config, opts);
  resolveNames(graph, [name], diagnostics);
  if (diagnostics.hasErrors()) throw new ImageConfigError(diagnostics);
  const hash = await new HashMemo(graph).of(name.replace(/^image\./, ''));
  graph.cache?.save();
  return hash;
}

export interface ImageBuildState {
  name: string;
  ref: string;
  hash: string;
  /** Built with this hash FROM the current parent: nothing to do. */
  upToDate: boolean;
  /** The image ID the reference names now, if any. */
  id?: string;
  reason?: 'missing' | 'changed' | 'parent-changed';
}

/**
 * For each image of `names` (and their ancestors, parents first): its build hash and whether
 * the engine already has it. An image whose ancestor is not up to date is not up to date
 * either. One graph and one hash pass for all, so a plan can ask about every image at once.
 */
export async function imageBuildStates(
  config: Config,
  names: string[],
  opts: ImageGraphOptions & { docker?: Dockerode } = {},
): Promise<ImageBuildState[]> {
  const { graph, diagnostics } = loadImageGraph(config, opts);
  const wanted = resolveNames(graph, names, diagnostics);
  if (diagnostics.hasErrors()) throw new ImageConfigError(diagnostics);
  const docker = opts.docker ?? (await new LocalTransport().docker());
  const memo = new HashMemo(graph);
  // Every image's hash and engine state at once (each reference inspected once): the
  // engine answers in parallel, and a plan waits for one round instead of one per image.
  const lookups = new Map<string, Promise<LocalImage | undefined>>();
  const lookup = (ref: string): Promise<LocalImage | undefined> => {
    let p = lookups.get(ref);
    if (!p) lookups.set(ref, (p = localImage(docker, ref)));
    return p;
  };
  const settled = await Promise.allSettled(
    wanted.map(async (name) => {
      const hash = await memo.of(name);
      return { hash, s: await buildState(docker, graph.nodes.get(name)!, hash, lookup) };
    }),
  );
  graph.cache?.save();
  const out: ImageBuildState[] = [];
  const stale = new Set<string>();
  wanted.forEach((name, i) => {
    const r = settled[i]!;
    // The first failure in build order, as when the images were asked one by one.
    if (r.status === 'rejected') throw r.reason;
    const { hash, s } = r.value;
    const node = graph.nodes.get(name)!;
    const st: ImageBuildState = { name, ref: node.spec.ref, hash, upToDate: s.upToDate };
    if (s.id !== undefined) st.id = s.id;
    if (s.reason !== undefined) st.reason = s.reason;
    if (st.upToDate && node.parents.some((p) => stale.has(p))) {
      st.upToDate = false;
      st.reason = 'parent-changed';
    }
    if (!st.upToDate) stale.add(name);
    out.push(st);
  });
  return out;
}
