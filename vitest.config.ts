import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One process per test file: native handles, namespaces and fds stay per file.
    pool: 'forks',
    // --expose-gc: lifecycle tests check that a dropped socket is closed by the garbage collector.
    execArgv: ['--expose-gc'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default', './test/helpers/totals-reporter.ts'],
  },
});
