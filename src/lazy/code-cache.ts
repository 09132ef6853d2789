/**
 * Loading a bundled CommonJS script (dist/bundle/*.cjs, made by scripts/bundle.mjs) the way
 * require() would, but through V8's code cache: the script is compiled once, and its
 * compiled code — taken when that first run ends, so it holds the functions the run used
 * too — is kept beside it as `<file>.cache`. Later runs skip most of the compiling. Node 20
 * has no compile cache of its own (module.enableCompileCache came with Node 22). A missing,
 * stale or unwritable cache only costs the time it would have saved.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

interface ModuleInternals {
  _nodeModulePaths(dir: string): string[];
  _cache: Record<string, NodeJS.Module>;
  wrap(source: string): string;
}
type ModuleCtor = new (id: string) => NodeJS.Module;

type Wrapper = (
  exports: unknown,
  require: NodeJS.Require,
  module: NodeJS.Module,
  filename: string,
  dirname: string,
) => void;

/**
 * The script's text. readFileSync(file, 'utf8') decodes 1.4 MB in about 20 ms; a buffer that
 * is all ASCII is its own Latin-1 text, decoded in 3 ms (and a one-byte string for V8).
 */
function readSource(file: string): string {
  const buf = readFileSync(file);
  return isAscii(buf) ? buf.toString('latin1') : buf.toString('utf8');
}

export function loadCached(file: string): unknown {
  const M = Module as unknown as ModuleInternals;
  const cached = M._cache[file];
  if (cached) return cached.exports;
  const source = readSource(file);
  // V8 checks a cache against the source's length only: the cache names the build it is for
  // (by the file's size and time, which every build changes; hashing 1.2 MB would cost more).
  const { size, mtimeMs } = statSync(file);
  const tag = createHash('sha1').update(`${size}:${mtimeMs}`).digest('hex').slice(0, 16);
  const cacheFile = `${file}.cache`;
  let cachedData: Buffer | undefined;
  try {
    const buf = readFileSync(cacheFile);
    if (buf.subarray(0, 16).toString('latin1') === tag) cachedData = buf.subarray(16);
  } catch {
    // no cache yet
  }
  const script = new vm.Script(M.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const mod = new (Module as unknown as ModuleCtor)(file);
  mod.filename = file;
  mod.paths = M._nodeModulePaths(path.dirname(file));
  // A later require() of the same file (oclif's, to find the commands) gets this module.
  M._cache[file] = mod;
  const wrapper = script.runInThisContext() as Wrapper;
  wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, Buffer.concat([Buffer.from(tag, 'latin1'), script.createCachedData()]));
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only installation
      }
    });
  }
  return mod.exports;
}
