/**
 * Heavy dependencies loaded on first use. Start-up time is most of a no-op run's budget,
 * and most runs never render YAML, diff a file or validate a state file against ajv.
 *
 * Always require(), never import(): the CLI runs as one bundled script compiled through
 * V8's code cache (src/lazy/code-cache.ts), where Node 20 has no loader for a dynamic
 * import() without --experimental-vm-modules (eslint forbids import() in src/).
 */
import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type * as DiffModule from 'diff';
import type NunjucksModule from 'nunjucks';
import type TarFsModule from 'tar-fs';
import type Ssh2Module from 'ssh2';

const require = createRequire(import.meta.url);

export function yaml(): typeof YamlModule {
  return require('yaml') as typeof YamlModule;
}

export function diffLib(): typeof DiffModule {
  return require('diff') as typeof DiffModule;
}

export function nunjucksLib(): typeof NunjucksModule {
  return require('nunjucks') as typeof NunjucksModule;
}

export function tarFsLib(): typeof TarFsModule {
  return require('tar-fs') as typeof TarFsModule;
}

export function ssh2Lib(): typeof Ssh2Module {
  return require('ssh2') as typeof Ssh2Module;
}
