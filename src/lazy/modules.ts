/**
 * Heavy dependencies loaded on first use. Start-up time is most of a no-op run's budget,
 * and most runs never render YAML, diff a file or validate a state file against ajv.
 *
 * Always require(), never import(): the CLI runs as one bundled script compiled through
 * V8's code cache (src/lazy/code-cache.ts), where Node 20 has no loader for a dynamic
 * import() without --experimental-vm-modules (eslint forbids import() in src/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { loadCached } from './code-cache.js';
import type * as YamlModule from 'yaml';
import type * as DiffModule from 'diff';
import type NunjucksModule from 'nunjucks';
import type TarFsModule from 'tar-fs';
import type Ssh2Module from 'ssh2';

const require = createRequire(import.meta.url);

/** dist/bundle/libs.cjs (scripts/bundle.mjs): the same packages, bundled. */
interface Libs {
  yaml(): typeof YamlModule;
  nunjucks(): typeof NunjucksModule;
  diff(): typeof DiffModule;
  tarFs(): typeof TarFsModule;
}
let libs: Libs | null | undefined;

/**
 * The bundle of yaml, nunjucks, diff and tar-fs when `npm run build` made one: one script
 * through the code cache instead of ~200 modules resolved, read and compiled one by one.
 * Without it (a source checkout before the build) each package comes from node_modules.
 */
function bundled(): Libs | null {
  if (libs === undefined) {
    const file = path.join(packageRoot, 'dist', 'bundle', 'libs.cjs');
    libs = existsSync(file) ? (loadCached(file) as Libs) : null;
  }
  return libs;
}

export function yaml(): typeof YamlModule {
  return bundled()?.yaml() ?? (require('yaml') as typeof YamlModule);
}

export function diffLib(): typeof DiffModule {
  return bundled()?.diff() ?? (require('diff') as typeof DiffModule);
}

export function nunjucksLib(): typeof NunjucksModule {
  return bundled()?.nunjucks() ?? (require('nunjucks') as typeof NunjucksModule);
}

export function tarFsLib(): typeof TarFsModule {
  return bundled()?.tarFs() ?? (require('tar-fs') as typeof TarFsModule);
}

export function ssh2Lib(): typeof Ssh2Module {
  return require('ssh2') as typeof Ssh2Module;
}

/**
 * The version of the installed package `name` (from the package.json above its entry
 * point), or '?' when it cannot be read: caches that hold a package's output name it.
 */
export function packageVersion(name: string): string {
  try {
    let dir = path.dirname(require.resolve(name));
    for (;;) {
      const file = path.join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version ?? '?';
      }
      const up = path.dirname(dir);
      if (up === dir) return '?';
      dir = up;
    }
  } catch {
    return '?';
  }
}
