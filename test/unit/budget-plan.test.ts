import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RateBudget } from '../../lambdas/adapters/github/client.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { describeBudgetPlan, estimateCollectionCost, planBudget } from '../../lambdas/app/budget-plan.ts';
import type { EvidenceIndex, IndexEntry } from '../../lambdas/evidence/ports.ts';

/**
 * The budget planner's estimate, from `collection-run` rows of the embedded index: per repository
 * and kind the latest successful run that read it, shared over that run's repositories.
 */
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function indexWith(rows: readonly IndexEntry[]): Promise<EvidenceIndex> {
  const dir = await mkdtemp(join(tmpdir(), 'cm01-plan-'));
  dirs.push(dir);
  const { index } = await openStore(`local:${dir}`);
  await index.put(rows);
  return index;
}

let serial = 0;
function run(
  finishedAt: string,
  status: 'succeeded' | 'partial',
  repos: string[],
  costs: Record<string, [number, number]>,
  org = 'acme',
): IndexEntry {
  serial += 1;
  const attributes: Record<string, string | number> = {
    status,
    repos: repos.join(','),
    finishedAt,
  };
  for (const [kind, [rest, points]] of Object.entries(costs)) {
    attributes[`rest:${kind}`] = rest;
    attributes[`points:${kind}`] = points;
  }
  return {
    kind: 'collection-run',
    period: finishedAt.slice(0, 7),
    repo: org,
    itemId: `run-${serial}`,
    occurredAt: finishedAt,
    key: `evidence/${org}/_org/collection-run/${finishedAt.slice(0, 7).replace('-', '/')}/run-${serial}.json`,
    versionId: `v${serial}`,
    sha256: 'a'.repeat(64),
    contentHash: 'b'.repeat(64),
    retainUntil: '2030-01-01T00:00:00Z',
    attributes,
  };
}

const NOW = new Date('2026-11-10T00:00:00Z');

function budget(
  resource: string,
  limit: number,
  remaining: number,
  resetAt = '2026-11-10T01:00:00Z',
): RateBudget {
  return { resource, limit, remaining, used: limit - remaining, resetAt };
}

describe('estimateCollectionCost', () => {
  it('takes each repository kind from the latest successful run that read it, shared over its repositories', async () => {
    const index = await indexWith([
      // An older whole-organisation run: 300 REST for deployments over two repositories.
      run('2026-10-20T02:00:00Z', 'succeeded', ['acme/api', 'acme/web'], {
        deployments: [300, 0],
        'pull-requests': [0, 80],
      }),
      // The latest run of acme/api alone: deployments 120.
      run('2026-11-09T02:00:00Z', 'succeeded', ['acme/api'], { deployments: [120, 0] }),
      // Cut short by the budget: not a measure of what the kind costs.
      run('2026-11-09T03:00:00Z', 'partial', ['acme/api', 'acme/web'], { deployments: [1, 0] }),
      // Another organisation's run is never counted.
      run('2026-11-09T04:00:00Z', 'succeeded', ['other/api'], { deployments: [9999, 0] }, 'other'),
      // Two months back: outside this month and the one before.
      run('2026-09-01T00:00:00Z', 'succeeded', ['acme/old'], { deployments: [500, 0] }),
    ]);
    const estimate = await estimateCollectionCost(index, {
      org: 'acme',
      repos: ['acme/api', 'acme/web', 'acme/new'],
      kinds: ['deployments', 'pull-requests'],
      now: NOW,
    });
    // deployments: api 120 (latest) + web 300/2; pull-requests: api 40 + web 40 points.
    expect(estimate).toEqual({
      restRequests: 270,
      graphqlPoints: 80,
      unknown: ['acme/new deployments', 'acme/new pull-requests'],
      runsRead: 2,
    });
  });

  it('counts organisation-wide kinds once, and every recorded repository for `all`', async () => {
    const index = await indexWith([
      run('2026-11-01T02:00:00Z', 'succeeded', ['acme/api'], { teams: [4, 0], commits: [1, 8] }),
      run('2026-11-02T02:00:00Z', 'succeeded', ['acme/web'], { teams: [4, 0], commits: [2, 10] }),
    ]);
    const estimate = await estimateCollectionCost(index, {
      org: 'acme',
      repos: 'all',
      kinds: ['commits', 'teams'],
      now: NOW,
    });
    expect(estimate).toMatchObject({ restRequests: 1 + 2 + 4, graphqlPoints: 18, unknown: [] });
  });
});

describe('planBudget', () => {
  const estimate = { restRequests: 900, graphqlPoints: 100, unknown: [], runsRead: 1 };

  it('fits when every bucket has what the estimate needs', () => {
    const plan = planBudget(estimate, {
      core: budget('core', 5000, 900),
      graphql: budget('graphql', 5000, 100),
    });
    expect(plan.short).toEqual([]);
    expect(plan.resumeAt).toBeUndefined();
  });

  it('is short by the bucket that lacks, resuming at its reset, and says whether one window would do', () => {
    const core = budget('core', 5000, 899, '2026-11-10T00:40:00Z');
    const plan = planBudget(estimate, { core, graphql: budget('graphql', 5000, 4000) });
    expect(plan.short).toEqual([{ budget: core, needed: 900 }]);
    expect(plan.resumeAt).toBe('2026-11-10T00:40:00Z');
    expect(plan.fitsInOneWindow).toBe(true);
    expect(describeBudgetPlan(plan)).toBe(
      'budget: this collection needs about 900 REST requests and 100 GraphQL points (from the recorded runs), more than remains (core budget of 5,000 requests an hour has 899 left, resets at 2026-11-10T00:40:00Z): the collection waits for the reset when the budget runs out, then goes on',
    );
    // An App installation's higher limit, read from GitHub, covers what a user's would not.
    const asApp = planBudget(
      { ...estimate, restRequests: 9000 },
      { core: budget('core', 15_000, 15_000), graphql: budget('graphql', 10_000, 10_000) },
    );
    expect(asApp.short).toEqual([]);
    const asUser = planBudget(
      { ...estimate, restRequests: 9000 },
      { core: budget('core', 5000, 5000), graphql: budget('graphql', 5000, 5000) },
    );
    expect(asUser.fitsInOneWindow).toBe(false);
  });
});
