import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { graphqlRequest, restGet } from './http.ts';
import { WorldBuilder } from './world-builder.ts';

function smallWorld() {
  const world = new WorldBuilder();
  world.repo('api').mergePullRequest({ mergedAt: '2026-10-02T00:00:00Z' });
  return world.build();
}

let emulator: Emulator;

beforeEach(async () => {
  emulator = await startEmulator({ world: smallWorld() });
});

afterEach(async () => {
  await emulator.close();
});

describe('injected faults', () => {
  it('fails the next requests with a 502, then answers normally', async () => {
    emulator.failNext(2, '502');

    const first = await restGet(emulator, '/repos/acme/api');
    const second = await graphqlRequest(emulator, '{ viewer { login } }');
    const third = await restGet(emulator, '/repos/acme/api');

    expect(first.status).toBe(502);
    expect(second.status).toBe(502);
    expect(third.status).toBe(200);
    expect(emulator.stats().faults).toBe(2);
  });

  it('answers a secondary rate limit with 403, retry-after and GitHub wording', async () => {
    emulator.injectFaults({ retryAfterSeconds: 7 });
    emulator.failNext(1, 'secondary');

    const answer = await restGet<{ message: string }>(emulator, '/repos/acme/api');

    expect(answer.status).toBe(403);
    expect(answer.headers.get('retry-after')).toBe('7');
    expect(answer.body.message).toMatch(
      /^You have exceeded a secondary rate limit\. Please wait a few minutes/,
    );
    expect(Number(answer.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
  });

  it('answers a primary rate limit with 403, no requests remaining and a reset time', async () => {
    emulator.injectFaults({ resetAfterSeconds: 30 });
    emulator.failNext(1, 'primary');

    const answer = await graphqlRequest(emulator, '{ viewer { login } }');
    const reset = Number(answer.headers.get('x-ratelimit-reset'));

    expect(answer.status).toBe(403);
    expect(answer.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 28);
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 31);
  });

  it('delays a slow answer by the planned time', async () => {
    emulator.injectFaults({ slowMs: 300 });
    emulator.failNext(1, 'slow');

    const started = performance.now();
    const answer = await restGet(emulator, '/repos/acme/api');

    expect(answer.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('draws rate-based faults reproducibly from the seed', async () => {
    const statuses = async (target: Emulator): Promise<number[]> => {
      const seen: number[] = [];
      for (let i = 0; i < 40; i++) seen.push((await restGet(target, '/repos/acme/api')).status);
      return seen;
    };
    emulator.injectFaults({ seed: 42, rates: { '502': 0.3 } });
    const twin = await startEmulator({ world: smallWorld(), faults: { seed: 42, rates: { '502': 0.3 } } });
    try {
      const first = await statuses(emulator);
      const second = await statuses(twin);

      expect(first).toEqual(second);
      expect(first.filter((status) => status === 502).length).toBeGreaterThan(3);
      expect(first.filter((status) => status === 200).length).toBeGreaterThan(20);
    } finally {
      await twin.close();
    }
  });

  it('enforces the hourly GraphQL points and answers RATE_LIMITED when they run out', async () => {
    const limited = await startEmulator({ world: smallWorld(), rateLimits: { graphql: 2 } });
    try {
      await graphqlRequest(limited, '{ viewer { login } }');
      await graphqlRequest(limited, '{ viewer { login } }');
      const third = await graphqlRequest(limited, '{ viewer { login } }');

      expect(third.errors?.[0]?.type).toBe('RATE_LIMITED');
      expect(third.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(limited.stats().graphqlPoints).toBe(2);
    } finally {
      await limited.close();
    }
  });

  it('logs every request with its status and cost', async () => {
    await graphqlRequest(emulator, '{ viewer { login } }');
    await restGet(emulator, '/repos/acme/nope');

    expect(
      emulator.requestLog.map(({ method, path, status, cost }) => ({ method, path, status, cost })),
    ).toEqual([
      { method: 'POST', path: '/graphql', status: 200, cost: 1 },
      { method: 'GET', path: '/repos/acme/nope', status: 404, cost: 0 },
    ]);
    expect(emulator.stats()).toMatchObject({
      requests: 2,
      graphqlRequests: 1,
      restRequests: 1,
      graphqlPoints: 1,
    });
  });
});
