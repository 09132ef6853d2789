import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The files named on the command line: when every one is under test/unit (pure logic, no shared
// engine), files run side by side; otherwise one at a time.
const paths = process.argv.slice(2).filter((a) => a.startsWith('test/') || a.startsWith('./test/'));
const unitOnly = paths.length > 0 && paths.every((a) => a.replace(/^\.\//, '').startsWith('test/unit'));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Docker tests share one engine: files run one at a time, tests inside a file in order.
    fileParallelism: unitOnly,
    // Unit files share their worker's module cache (no isolation): importing src/ afresh for
    // each of ~60 files took 18 s of a 55 s run; every unit file passes either way.
    ...(unitOnly ? { maxWorkers: Math.max(1, availableParallelism()), isolate: false } : {}),
    pool: 'forks',
  },
});
