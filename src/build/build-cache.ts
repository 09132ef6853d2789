/**
 * What computing build hashes found last time, kept between runs in `.kolla/build-cache.json`
 * beside the configuration, so that a plan of unchanged images neither renders their
 * Dockerfile templates nor tars their build contexts again (about 0.3 s for the 19 images of
 * the OpenStack all-in-one on a busy 2-core machine; the cache costs a few milliseconds).
 *
 * Two kinds of entries:
 * - a rendered Dockerfile, under a hash of everything the rendering sees (kolla's build, the
 *   nunjucks version, the template's path, the search paths, the override files and every
 *   template variable: build args, labels, references of every image, kolla's version). It
 *   holds the files read: the template, the override files and every `{% include %}` /
 *   `{% extends %}` / `{% import %}` lookup with the file it resolved to (or none). It is used
 *   only if each file's stat fingerprint is unchanged and each lookup still resolves to the
 *   same file;
 * - a context hash, under a hash of kolla's build, the tar libraries' versions, the context
 *   folder and the rendered Dockerfile. It holds a fingerprint of the folder's tree (every
 *   entry's name, type, mode, size, times, inode and link target, walked as tar-fs walks it)
 *   and is used only if the tree's fingerprint is unchanged.
 *
 * A stat fingerprint holds the change time (ctime), which no edit can keep (touch -d sets the
 * modification time only). An entry is only written when none of its files changed in the
 * RACY_MS before the work started: a file changed twice within one tick of the filesystem's
 * clock would otherwise look unchanged (git's "racily clean" entries). Without a build id
 * (tests running from src/) there is no cache unless one is given, as with the parse cache.
 * The file is mode 0600 (rendered Dockerfiles hold build args); a missing, corrupt or
 * unwritable file only costs the time it would have saved.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { packageVersion } from '../lazy/modules.js';

declare const __KOLLA_BUILD_ID__: string | undefined;
const bundleBuildId = typeof __KOLLA_BUILD_ID__ === 'string' ? __KOLLA_BUILD_ID__ : undefined;

/** Files changed less than this long before the work started are not trusted to a cache. */
export const RACY_MS = 2000;
const FORMAT = 1;
/** Entries a run did not use are kept (for images another run asks about) up to this many. */
const MAX_UNUSED = 64;

/** One template lookup by nunjucks' FileSystemLoader: the name, where it looked, what it found. */
export interface TemplateLookup {
  name: string;
  searchPaths: string[];
  /** The file it resolved to; null when none. */
  path: string | null;
}

interface RenderEntry {
  dockerfile: string;
  /** Files read directly: path → stat fingerprint. */
  files: [string, string][];
  /** Lookups: the lookup and the fingerprint of the file found ('' for none). */
  lookups: [TemplateLookup, string][];
}

interface ContextEntry {
  tree: string;
  hash: string;
}

interface CacheFile {
  format: number;
  build: string;
  renders: Record<string, RenderEntry>;
  contexts: Record<string, ContextEntry>;
}

export interface BuildCacheOptions {
  /** kolla's build id (default: the bundle's; none turns the cache off). */
  buildId?: string;
  /** The clock the racy check compares file times with (tests). */
  now?: () => number;
}

export interface BuildCacheStats {
  renderHits: number;
  renderMisses: number;
  contextHits: number;
  contextMisses: number;
}

export class BuildCache {
  readonly stats: BuildCacheStats = { renderHits: 0, renderMisses: 0, contextHits: 0, contextMisses: 0 };
  private readonly file: string | undefined;
  private readonly buildId: string | undefined;
  private readonly now: () => number;
  private data: CacheFile | undefined;
  private readonly usedRenders = new Set<string>();
  private readonly usedContexts = new Set<string>();
  private dirty = false;
  private libs: string | undefined;

  /** `dir` (the configuration directory) undefined, or no build id, turns the cache off. */
  constructor(dir: string | undefined, opts: BuildCacheOptions = {}) {
    this.buildId = opts.buildId ?? bundleBuildId;
    this.file = dir && this.buildId ? path.join(dir, '.kolla', 'build-cache.json') : undefined;
    this.now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.file !== undefined;
  }

  private load(): CacheFile {
    if (this.data) return this.data;
    let d: CacheFile | undefined;
    try {
      const raw = JSON.parse(readFileSync(this.file!, 'utf8')) as CacheFile;
      if (raw.format === FORMAT && raw.build === this.buildId && raw.renders && raw.contexts) d = raw;
    } catch {
      d = undefined;
    }
    this.data = d ?? { format: FORMAT, build: this.buildId!, renders: {}, contexts: {} };
    return this.data;
  }

  /** Versions of the libraries whose output the entries hold. */
  private libraries(): string {
    this.libs ??= ['nunjucks', 'tar-fs', 'tar-stream'].map((n) => `${n}@${packageVersion(n)}`).join(',');
    return this.libs;
  }

  private key(parts: unknown[]): string {
    return createHash('sha256')
      .update(JSON.stringify([this.buildId, this.libraries(), ...parts]))
      .digest('hex')
      .slice(0, 40);
  }

  /**
   * The Dockerfile `render` makes for `inputs` (everything the rendering depends on besides
   * files), from the cache when the files it read are unchanged. `render` gets `track` to
   * report the files it reads directly and the loaders it renders with.
   */
  renderDockerfile(inputs: unknown, render: (track: RenderTracker) => string): string {
    if (!this.enabled) return render(new RenderTracker());
    const key = this.key(['render', inputs]);
    const hit = this.load().renders[key];
    if (hit && renderStillValid(hit)) {
      this.stats.renderHits++;
      this.usedRenders.add(key);
      return hit.dockerfile;
    }
    this.stats.renderMisses++;
    const started = this.now();
    const track = new RenderTracker();
    const dockerfile = render(track);
    const entry = track.entry(dockerfile, started - RACY_MS);
    if (entry) {
      this.load().renders[key] = entry;
      this.usedRenders.add(key);
      this.dirty = true;
    }
    return dockerfile;
  }

  /** The context hash `compute` makes for `dir` with `dockerfile`, from the cache when the tree is unchanged. */
  async contextHash(dir: string, dockerfile: string, compute: () => Promise<string>): Promise<string> {
    if (!this.enabled) return compute();
    const root = path.resolve(dir);
    const key = this.key(['context', root, createHash('sha256').update(dockerfile).digest('hex')]);
    const hit = this.load().contexts[key];
    if (hit) {
      const tree = treeFingerprint(root, undefined);
      if (tree !== undefined && tree === hit.tree) {
        this.stats.contextHits++;
        this.usedContexts.add(key);
        return hit.hash;
      }
    }
    this.stats.contextMisses++;
    const started = this.now();
    const hash = await compute();
    // Walked after hashing, and only trusted when nothing in it changed since shortly before
    // the hashing started: a change during the hashing shows in a change time.
    const tree = treeFingerprint(root, started - RACY_MS);
    if (tree !== undefined) {
      this.load().contexts[key] = { tree, hash };
      this.usedContexts.add(key);
      this.dirty = true;
    }
    return hash;
  }

  /** Write the file if this run added entries (dropping unused ones beyond MAX_UNUSED). Never throws. */
  save(): void {
    if (!this.enabled || !this.dirty || !this.data) return;
    const d = this.data;
    const out: CacheFile = {
      format: FORMAT,
      build: d.build,
      renders: prune(d.renders, this.usedRenders),
      contexts: prune(d.contexts, this.usedContexts),
    };
    try {
      mkdirSync(path.dirname(this.file!), { recursive: true, mode: 0o700 });
      const tmp = `${this.file!}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(out), { mode: 0o600 });
      renameSync(tmp, this.file!);
      this.dirty = false;
    } catch {
      // A read-only configuration directory only costs the cache.
    }
  }
}

/** What a rendering read, reported by renderDockerfile. */
export class RenderTracker {
  private readonly files = new Set<string>();
  private readonly lookups: TemplateLookup[] = [];

  /** A file read directly (the template, an override file). */
  file(p: string): void {
    this.files.add(path.resolve(p));
  }

  /**
   * Record every lookup of the nunjucks FileSystemLoaders in `loaders` (an environment's
   * `loaders`): their getSource is wrapped on these instances.
   */
  loaders(loaders: unknown[]): void {
    for (const l of loaders) {
      const loader = l as { searchPaths?: unknown; getSource?: (name: string) => { path?: string } | null };
      const get = loader.getSource;
      if (!Array.isArray(loader.searchPaths) || typeof get !== 'function') {
        // A loader kolla does not know: what it reads cannot be checked, so nothing is cached.
        this.lookups.push({ name: '', searchPaths: [], path: '\0unknown loader' });
        continue;
      }
      const searchPaths = (loader.searchPaths as unknown[]).map(String);
      loader.getSource = (name: string) => {
        const src = get.call(loader, name);
        this.lookups.push({ name, searchPaths, path: src?.path ?? null });
        return src;
      };
    }
  }

  /** The cache entry, or undefined when a file changed after `trustBefore` (or is gone). */
  entry(dockerfile: string, trustBefore: number): RenderEntry | undefined {
    const files: [string, string][] = [];
    for (const f of this.files) {
      const fp = statFingerprint(f, trustBefore);
      if (fp === undefined) return undefined;
      files.push([f, fp]);
    }
    const lookups: [TemplateLookup, string][] = [];
    for (const l of this.lookups) {
      if (l.path === '\0unknown loader') return undefined;
      if (resolveLookup(l.name, l.searchPaths) !== l.path) return undefined;
      let fp = '';
      if (l.path !== null) {
        const got = statFingerprint(l.path, trustBefore);
        if (got === undefined) return undefined;
        fp = got;
      }
      lookups.push([l, fp]);
    }
    return { dockerfile, files, lookups };
  }
}

function renderStillValid(e: RenderEntry): boolean {
  for (const [f, fp] of e.files) if (statFingerprint(f, undefined) !== fp) return false;
  for (const [l, fp] of e.lookups) {
    const now = resolveLookup(l.name, l.searchPaths);
    if (now !== l.path) return false;
    if (now !== null && statFingerprint(now, undefined) !== fp) return false;
  }
  return true;
}

/** Where nunjucks' FileSystemLoader.getSource finds `name` (its own rule), or null. */
function resolveLookup(name: string, searchPaths: string[]): string | null {
  for (const sp of searchPaths) {
    const base = path.resolve(sp);
    const p = path.resolve(sp, name);
    if (p.indexOf(base) === 0 && existsSync(p)) return p;
  }
  return null;
}

function fingerprintOf(st: Stats): string {
  return `${st.mode}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}:${st.dev}`;
}

function racy(st: Stats, trustBefore: number | undefined): boolean {
  return trustBefore !== undefined && (st.mtimeMs > trustBefore || st.ctimeMs > trustBefore);
}

/** A file's fingerprint; undefined when it is missing or (with `trustBefore`) changed after it. */
function statFingerprint(file: string, trustBefore: number | undefined): string | undefined {
  let st: Stats;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  return racy(st, trustBefore) ? undefined : fingerprintOf(st);
}

/**
 * A hash of the tree tar-fs packs from `root` (lstat, names sorted, the root's Dockerfile
 * left out): names, types, modes, sizes, times, inodes and link targets. Undefined when the
 * tree cannot be read, holds what tar-fs does not pack as a file, folder or link, or (with
 * `trustBefore`) changed after it.
 */
export function treeFingerprint(root: string, trustBefore: number | undefined): string | undefined {
  const h = createHash('sha256');
  const rootDockerfile = path.join(root, 'Dockerfile');
  const queue = ['.'];
  try {
    while (queue.length) {
      const rel = queue.shift()!;
      const abs = path.join(root, rel);
      const st = lstatSync(abs);
      if (racy(st, trustBefore)) return undefined;
      h.update(`${rel}\0${fingerprintOf(st)}\0`);
      if (st.isDirectory()) {
        const names = readdirSync(abs).sort();
        h.update(`${names.length}\0`);
        for (const n of names) {
          const child = path.join(abs, n);
          if (child !== rootDockerfile) queue.push(path.join(rel, n));
        }
      } else if (st.isSymbolicLink()) {
        h.update(`${readlinkSync(abs)}\0`);
      } else if (!st.isFile() && !st.isSocket()) {
        return undefined;
      }
    }
  } catch {
    return undefined;
  }
  return h.digest('hex');
}

function prune<T>(entries: Record<string, T>, used: Set<string>): Record<string, T> {
  const out: Record<string, T> = {};
  let extra = 0;
  for (const [k, v] of Object.entries(entries)) {
    if (used.has(k)) out[k] = v;
    else if (extra < MAX_UNUSED) {
      out[k] = v;
      extra++;
    }
  }
  return out;
}
