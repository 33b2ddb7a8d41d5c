import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/server.ts';
import { graphqlRequest, restGet } from './http.ts';
import { WorldBuilder } from './world-builder.ts';

function smallWorld() {
  const world = new WorldBuilder();
  world.repo('api').mergePullRequest({ mergedAt: '2026-10-02T00:00:00Z' });
  return world.build();
}

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await call();
  return { ms: performance.now() - started, result };
}

describe('emulated network latency', () => {
  it('delays REST calls and GraphQL pages by their own latency', async () => {
    const emulator = await startEmulator({ world: smallWorld(), latencyMs: { rest: 1_000, graphql: 0 } });
    try {
      await graphqlRequest(emulator, '{ viewer { login } }'); // the first query builds the schema
      const rest = await timed(() => restGet(emulator, '/repos/acme/api'));
      const graphql = await timed(() => graphqlRequest(emulator, '{ viewer { login } }'));

      expect(rest.result.status).toBe(200);
      expect(rest.ms).toBeGreaterThanOrEqual(995);
      expect(graphql.result.data).toEqual({ viewer: { login: 'octocat-emulator' } });
      // Far below the other API's delay even on a loaded machine.
      expect(graphql.ms).toBeLessThan(1_000);
    } finally {
      await emulator.close();
    }
  });

  it('delays GraphQL alone when only its latency is given', async () => {
    const emulator = await startEmulator({ world: smallWorld(), latencyMs: { graphql: 1_000 } });
    try {
      await restGet(emulator, '/repos/acme/api');
      const graphql = await timed(() => graphqlRequest(emulator, '{ viewer { login } }'));
      const rest = await timed(() => restGet(emulator, '/repos/acme/api'));

      expect(graphql.ms).toBeGreaterThanOrEqual(995);
      expect(rest.ms).toBeLessThan(1_000);
    } finally {
      await emulator.close();
    }
  });
});

describe('a compressed rate-limit window', () => {
  it('refuses past the limit until the window resets, then charges afresh', async () => {
    const emulator = await startEmulator({
      world: smallWorld(),
      rateLimits: { core: 2 },
      rateWindowSeconds: 2,
    });
    try {
      const first = await restGet(emulator, '/repos/acme/api');
      await restGet(emulator, '/repos/acme/api/pulls');
      const refused = await restGet(emulator, '/repos/acme/api/commits');
      const reset = Number(refused.headers.get('x-ratelimit-reset'));

      expect(first.headers.get('x-ratelimit-limit')).toBe('2');
      expect(refused.status).toBe(403);
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
      // The reset lies one (compressed) window after the first charge, not an hour.
      expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3);

      await new Promise((resolve) => setTimeout(resolve, Math.max(0, reset * 1000 - Date.now()) + 50));
      const after = await restGet(emulator, '/repos/acme/api/commits');

      expect(after.status).toBe(200);
      expect(after.headers.get('x-ratelimit-used')).toBe('1');
    } finally {
      await emulator.close();
    }
  });

  it('keeps GitHub\u2019s hour by default', async () => {
    const emulator = await startEmulator({ world: smallWorld() });
    try {
      const answer = await restGet(emulator, '/repos/acme/api');
      const reset = Number(answer.headers.get('x-ratelimit-reset'));

      expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 3590);
      expect(answer.headers.get('x-ratelimit-limit')).toBe('5000');
    } finally {
      await emulator.close();
    }
  });
});
