import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Docker tests share one engine: files run one at a time, tests inside a file in order.
    fileParallelism: false,
    pool: 'forks',
  },
});
