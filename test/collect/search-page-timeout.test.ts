import { describe, expect, it } from 'vitest';
import { GitHubTimeoutError } from '../../lambdas/adapters/github/client.ts';
import {
  MERGED_PULL_REQUESTS_QUERY,
  mergedPullRequestsSearch,
  SEARCH_PAGE_SIZE,
} from '../../lambdas/adapters/github/queries/pull-requests.ts';
import { collectPullRequests, MIN_SEARCH_PAGE_SIZE } from '../../lambdas/collect/pull-requests.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, evidenceFingerprint, openCollectBed } from './harness.ts';

/**
 * GitHub stops a request after 10 seconds, and a search page of busy PRs (each with the first
 * page of every list) is the query that meets it. A page GitHub times out on is asked again,
 * from the same cursor, with half as many PRs: nothing is missed and nothing differs.
 */

const OCTOBER = monthWindow('2026-10');
const PULL_REQUESTS = 130;

function busyMonth() {
  const builder = new WorldBuilder({ start: '2026-09-30T00:00:00Z' });
  const repo = builder.repo('busy');
  for (let i = 0; i < PULL_REQUESTS; i++) {
    const mergedAt = new Date(Date.parse('2026-10-01T01:00:00Z') + i * 3 * 3_600_000)
      .toISOString()
      .replace('.000Z', 'Z');
    repo.mergePullRequest({ mergedAt });
  }
  return builder.build();
}

/** The nodes a search page of `first` PRs may reach, as GitHub's analysis (the emulator's) counts them. */
async function nodesOfPage(url: string, token: string, first: number): Promise<number> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { authorization: `bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      query: MERGED_PULL_REQUESTS_QUERY.replace('rateLimit { cost', 'rateLimit { nodeCount cost'),
      variables: {
        searchQuery: mergedPullRequestsSearch('acme/busy', 'main', OCTOBER.from, OCTOBER.to),
        first,
        after: null,
      },
    }),
  });
  const body = (await response.json()) as { data: { rateLimit: { nodeCount: number } } };
  return body.data.rateLimit.nodeCount;
}

/** The page sizes the collector asked the search for, in order (the client still does the asking). */
async function searchPageSizes(
  bed: CollectBed,
): Promise<{ ctx: Awaited<ReturnType<CollectBed['context']>>; sizes: number[]; operations: string[] }> {
  const ctx = await bed.context();
  const sizes: number[] = [];
  const operations: string[] = [];
  const graphql = ctx.github.graphql.bind(ctx.github);
  const github = {
    ...ctx.github,
    get cost() {
      return ctx.github.cost;
    },
    graphql: <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
      operations.push(/^query (\w+)/.exec(query)?.[1] ?? 'anonymous');
      if (query.startsWith('query MergedPullRequests')) sizes.push(Number(variables?.first));
      return graphql<T>(query, variables);
    },
  };
  return { ctx: { ...ctx, github }, sizes, operations };
}

const fingerprintOf = (bed: CollectBed) => evidenceFingerprint(bed.index, ['acme/busy'], ['pull-request']);

describe('a search page GitHub stops for taking too long', () => {
  it('is asked again with half as many PRs, and the evidence is the same as without the timeout', async () => {
    const world = busyMonth();
    const plain = await openCollectBed(world);
    let expected: Record<string, string>;
    let timeoutNodes: number;
    try {
      const { ctx, operations } = await searchPageSizes(plain);
      await collectPullRequests(ctx, plain.repo('busy'), OCTOBER);
      // Ordinary PRs need nothing beyond their search page: the head commits' checks come with it.
      expect(operations).toEqual(['MergedPullRequests', 'MergedPullRequests']);
      expected = await fingerprintOf(plain);
      expect(Object.keys(expected)).toHaveLength(PULL_REQUESTS);
      const full = await nodesOfPage(plain.emulator.url, plain.emulator.token, SEARCH_PAGE_SIZE);
      const half = await nodesOfPage(plain.emulator.url, plain.emulator.token, SEARCH_PAGE_SIZE / 2);
      expect(half).toBeLessThan(full);
      timeoutNodes = Math.floor((full + half) / 2);
    } finally {
      await plain.close();
    }

    const bed = await openCollectBed(world, { graphqlTimeoutNodes: timeoutNodes });
    try {
      const { ctx, sizes } = await searchPageSizes(bed);
      const result = await collectPullRequests(ctx, bed.repo('busy'), OCTOBER);

      expect(result.pullRequests).toBe(PULL_REQUESTS);
      expect(await fingerprintOf(bed)).toEqual(expected);
      // The full page timed out once (502 through the client's retries); every page after it is half.
      const half = SEARCH_PAGE_SIZE / 2;
      expect(sizes).toEqual([SEARCH_PAGE_SIZE, ...Array(Math.ceil(PULL_REQUESTS / half)).fill(half)]);
      expect(bed.emulator.requestLog.some((entry) => entry.path === '/graphql' && entry.status === 502)).toBe(
        true,
      );
    } finally {
      await bed.close();
    }
  });

  it('fails with a timeout naming the search when even the smallest page times out', async () => {
    const bed = await openCollectBed(busyMonth(), { graphqlTimeoutNodes: 1 });
    try {
      const { ctx, sizes } = await searchPageSizes(bed);
      const failure = collectPullRequests(ctx, bed.repo('busy'), OCTOBER);

      await expect(failure).rejects.toBeInstanceOf(GitHubTimeoutError);
      await expect(failure).rejects.toThrow(/MergedPullRequests.*in time/);
      expect(sizes).toEqual([100, 50, 25, 12, MIN_SEARCH_PAGE_SIZE]);
      expect(await bed.entries('pull-request')).toEqual([]);
    } finally {
      await bed.close();
    }
  });
});
