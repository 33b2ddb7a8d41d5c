import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubClient, GitHubForbiddenError } from '../../lambdas/adapters/github/client.ts';
import { collect } from '../../lambdas/collect/collect.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * Every run of every check of a PR whose rollup shows a run after the merge: the rollup keeps
 * only the latest run of each check, so the passing run before the merge and the failing re-run
 * after it are both read — through GraphQL, one request for up to 20 head commits across search pages, counted over
 * HTTP; through REST (one list of the commit's runs, every suite's) where one GraphQL page cannot
 * hold them or GitHub refuses the GraphQL request.
 */

const OCTOBER = monthWindow('2026-10');

describe('a PR whose check was re-run after the merge', () => {
  const builder = new WorldBuilder({ start: '2026-10-05T00:00:00Z', now: '2026-11-01T06:00:00Z' });
  const repo = builder.repo('api');
  const pr = repo.mergePullRequest({ author: 'alice', mergedAt: '2026-10-10T10:00:00Z' });
  repo.check(pr.headSha, { name: 'unit', startedAt: '2026-10-10T09:00:00Z', conclusion: 'SUCCESS' });
  repo.check(pr.headSha, { name: 'sca', app: 'snyk', startedAt: '2026-10-10T09:01:00Z' });
  // Re-run after the merge, failing: the rollup shows only this one.
  repo.check(pr.headSha, { name: 'unit', startedAt: '2026-10-10T12:00:00Z', conclusion: 'FAILURE' });
  const settled = repo.mergePullRequest({ author: 'bob', mergedAt: '2026-10-12T10:00:00Z' });
  repo.check(settled.headSha, { name: 'unit', startedAt: '2026-10-12T09:00:00Z' });
  const world = builder.build();
  let bed: CollectBed;
  const operations: string[] = [];
  beforeAll(async () => {
    bed = await openCollectBed(world);
    await collect(
      {
        store: bed.store,
        index: bed.index,
        github: observing(bed.github, operations),
        org: 'acme',
        clock: () => bed.now,
      },
      { window: OCTOBER, kinds: ['pull-requests'] },
    );
  });
  afterAll(async () => {
    await bed.close();
  });

  it('keeps every run of every suite, the pass before the merge and the re-run after it', async () => {
    const doc = (await bed.documents('pull-request')).get(`acme/api#${pr.number}`);
    const runs = doc?.data.checks.map((check) => [check.name, check.app, check.conclusion, check.startedAt]);
    expect(runs).toEqual([
      ['unit', 'github-actions', 'SUCCESS', '2026-10-10T09:00:00Z'],
      ['sca', 'snyk', 'SUCCESS', '2026-10-10T09:01:00Z'],
      ['unit', 'github-actions', 'FAILURE', '2026-10-10T12:00:00Z'],
    ]);
    // Each run names its own suite: two apps, two suites.
    const suites = new Set(doc?.data.checks.map((check) => check.suiteId));
    expect(suites.size).toBe(2);
    expect(doc?.data.completeness.filter((entry) => entry.field === 'checks')).toEqual([]);
  });

  it('reads them in one GraphQL request (a batch of up to 20 head commits, across search pages), and nothing for a PR whose checks all settled before its merge', () => {
    expect(operations.filter((name) => name === 'EveryCheckRun')).toHaveLength(1);
    const paths = bed.emulator.requestLog.map((entry) => entry.path);
    expect(paths.filter((path) => path.includes('/check-runs') || path.includes('/check-suites'))).toEqual(
      [],
    );
  });
});

describe('every check run where one GraphQL page cannot hold them, or GraphQL is refused', () => {
  const builder = new WorldBuilder({ start: '2026-10-05T00:00:00Z', now: '2026-11-01T06:00:00Z' });
  const repo = builder.repo('api');
  const many = repo.mergePullRequest({ author: 'alice', mergedAt: '2026-10-10T10:00:00Z' });
  // 120 attempts of one check, the last after the merge: more than GraphQL's page of 100 runs.
  for (let i = 0; i < 120; i++) {
    const at = new Date(Date.parse('2026-10-10T08:00:00Z') + i * 60_000).toISOString().replace('.000Z', 'Z');
    repo.check(many.headSha, { name: 'unit', startedAt: at });
  }
  repo.check(many.headSha, { name: 'unit', startedAt: '2026-10-10T12:00:00Z', conclusion: 'FAILURE' });
  const few = repo.mergePullRequest({ author: 'bob', mergedAt: '2026-10-12T10:00:00Z' });
  repo.check(few.headSha, { name: 'unit', startedAt: '2026-10-12T09:00:00Z' });
  repo.check(few.headSha, { name: 'unit', startedAt: '2026-10-12T12:00:00Z', conclusion: 'FAILURE' });
  const world = builder.build();

  async function collected(refuseGraphql: boolean) {
    const bed = await openCollectBed(world);
    try {
      const operations: string[] = [];
      await collect(
        {
          store: bed.store,
          index: bed.index,
          github: observing(bed.github, operations, refuseGraphql ? 'EveryCheckRun' : undefined),
          org: 'acme',
          clock: () => bed.now,
        },
        { window: OCTOBER, kinds: ['pull-requests'] },
      );
      const docs = await bed.documents('pull-request');
      const paths = bed.emulator.requestLog.map((entry) => entry.path);
      return {
        many: docs.get(`acme/api#${many.number}`)?.data,
        few: docs.get(`acme/api#${few.number}`)?.data,
        restLists: paths.filter((path) => path.endsWith('/check-runs')).length,
      };
    } finally {
      await bed.close();
    }
  }

  it('reads a commit with more runs than one page through REST, whole', async () => {
    const result = await collected(false);
    expect(result.many?.checks).toHaveLength(121);
    expect(result.many?.completeness.filter((entry) => entry.field === 'checks')).toEqual([]);
    expect(result.few?.checks).toHaveLength(2);
    // Only the commit GraphQL could not hold is listed through REST (two pages of 100).
    expect(result.restLists).toBe(2);
  });

  it('reads every commit through REST when GitHub refuses the GraphQL request, with the same evidence', async () => {
    const viaGraphql = await collected(false);
    const refused = await collected(true);
    expect(refused.many).toEqual(viaGraphql.many);
    expect(refused.few).toEqual(viaGraphql.few);
    expect(refused.restLists).toBe(3);
  });
});

/** Records each GraphQL operation's name; refuses the one named, as GitHub refuses a token without the permission. */
function observing(github: GitHubClient, operations: string[], refuse?: string): GitHubClient {
  return new Proxy(github, {
    get(target, property, receiver) {
      if (property === 'graphql') {
        return (query: string, variables?: Record<string, unknown>) => {
          const name = /^query (\w+)/.exec(query)?.[1] ?? '';
          operations.push(name);
          if (name === refuse)
            return Promise.reject(
              new GitHubForbiddenError(
                `GraphQL ${name}: forbidden (403 Resource not accessible by integration)`,
              ),
            );
          return target.graphql(query, variables);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}
