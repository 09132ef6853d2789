/**
 * The package's root folder (package.json, schemas/, dist/): found by walking up from this
 * module, so that it is the same from src/ (tests), dist/ (tsc's output) and the bundle in
 * dist/bundle/ (what bin/run.js loads).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let d = start; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return start;
  }
}

export const packageRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));
