import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs no servers (pure core, PDF, emulator, collectors on the in-process
 * GitHub emulator, CDK templates); `servers` runs against Ceph RGW and DynamoDB Local, which its
 * global setup starts once per run on free loopback ports and always stops.
 */
export default defineConfig({
  test: {
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
