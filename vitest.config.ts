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
    ...(unitOnly ? { maxWorkers: Math.max(1, availableParallelism()) } : {}),
    pool: 'forks',
  },
});
