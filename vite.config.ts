import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Dawn's Node bindings are a native addon: run test files in child processes, not worker threads.
    pool: 'forks',
    // global.gc, so that memory tests measure what survives a collection.
    execArgv: ['--expose-gc'],
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
