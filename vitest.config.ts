import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs no servers (pure core, PDF, emulator, collectors on the in-process
 * GitHub emulator, CDK templates); `servers` runs against Ceph RGW and DynamoDB Local, which its
 * global setup starts once per run on free loopback ports and always stops.
 */
export default defineConfig({
  test: {
    // One test file per core. Vitest's default keeps a core free for itself, which on a 2-core
    // machine means one file at a time; but the main process only relays results, and much of
    // the suite waits (on `cm01` child processes, S3, DynamoDB, an emulated rate-limit hour),
    // so a second file fills that time. Every file has its own temporary folders, emulator
    // port, and S3 bucket and DynamoDB table names, so files do not share state.
    maxWorkers: availableParallelism(),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/contract/**', 'test/e2e/**', '**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'servers',
          include: ['test/contract/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/servers/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
