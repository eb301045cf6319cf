import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          // In-process apps log through Powertools; an access line per request would bury the report.
          env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
          // The crash soak starts, kills and restarts server processes: it runs with the e2e files,
          // one file at a time, so its timing is not that of a machine busy with every unit file.
          exclude: ['test/e2e/**', 'test/crash/**', '**/node_modules/**'],
          setupFiles: ['test/support/has-assertions.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The conformance suite again, as a token-auth client of a registry with identity on:
        // every workflow must still pass with credentials.
        test: {
          name: 'conformance-auth',
          include: ['test/conformance/**/*.test.ts'],
          env: { CONFORMANCE_AUTH: 'on', POWERTOOLS_LOG_LEVEL: 'ERROR' },
          setupFiles: ['test/support/has-assertions.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Real clients and daemons against a real server process: one file at a time, since
        // each moves hundreds of megabytes and the machines have two cores.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts', 'test/crash/**/*.test.ts'],
          // In-process registries log an access line per request; the report stays readable.
          env: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
          fileParallelism: false,
          setupFiles: ['test/support/has-assertions.ts'],
          // Most runs take seconds; a hang should show in two minutes. Tests that move hundreds
          // of megabytes through a daemon set their own, longer limit.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
