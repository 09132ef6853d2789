/**
 * Heavy dependencies loaded on first use. Start-up time is most of a no-op run's budget,
 * and most runs never render YAML, diff a file or validate a state file against ajv.
 */
import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type * as DiffModule from 'diff';
import type NunjucksModule from 'nunjucks';
import type TarFsModule from 'tar-fs';

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
