/** kolla's version, as written into states and plans. */
import { readFileSync } from 'node:fs';
import { packageRoot } from './package-root.js';
import path from 'node:path';

let cached: string | undefined;

export function kollaVersion(): string {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  cached = pkg.version;
  return cached;
}
