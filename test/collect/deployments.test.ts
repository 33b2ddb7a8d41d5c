import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorldInput } from '../../emulator/world.ts';
import { type GitHubClient, GitHubForbiddenError } from '../../lambdas/adapters/github/client.ts';
import { collectDeployments } from '../../lambdas/collect/deployments.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { InputError } from '../../lambdas/errors.ts';
import { parseEvidenceDocument } from '../../lambdas/evidence/documents.ts';
import { evidenceKey } from '../../lambdas/evidence/record.ts';
import {
  collectCleanAndFaulty,
  FULL_NAME,
  type Harness,
  openHarness,
  removeDir,
  shaOf,
  worldWith,
} from './deployments-harness.ts';

type WorldDeployment = NonNullable<WorldInput['repos'][number]['deployments']>[number];

const OCTOBER = monthWindow('2026-10');
const NOW = '2026-11-01T06:00:00Z';
const RELEASE = shaOf('release');
/** GitHub shows a Bot account's login with its `[bot]` suffix; the emulator may or may not. */
const BOT_LOGIN = expect.stringMatching(/^deploy-bot(\[bot\])?$/);
const ENVIRONMENTS = ['staging', 'canary', 'production'] as const;

function runUrl(id: number): string {
  return `https://github.com/acme/api/actions/runs/${id}`;
}

function at(base: string, minutes: number): string {
  return new Date(Date.parse(base) + minutes * 60_000).toISOString();
}

/** 130 routine deployments through October (more than one page of 100), each with two statuses. */
function routineDeployments(): WorldDeployment[] {
  return Array.from({ length: 130 }, (_, i) => {
    const environment = ENVIRONMENTS[i % 3] ?? 'staging';
    const createdAt = at('2026-10-01T08:00:00Z', i * 300);
    return {
      id: 1000 + i,
      sha: RELEASE,
      ref: 'main',
      environment,
      productionEnvironment: environment === 'production',
      creator: 'deploy-bot',
      performedViaApp: 'github-actions',
      createdAt,
      statuses: [
        { state: 'in_progress', createdAt: at(createdAt, 1), creator: 'deploy-bot', logUrl: null },
        { state: 'success', createdAt: at(createdAt, 4), creator: 'deploy-bot', logUrl: null },
      ],
    };
  });
}

const STILL_RUNNING: WorldDeployment = {
  id: 202,
  sha: RELEASE,
  ref: 'main',
  environment: 'production',
  productionEnvironment: true,
  creator: 'deploy-bot',
  createdAt: '2026-10-31T23:50:00Z',
  statuses: [
    { state: 'in_progress', createdAt: '2026-10-31T23:51:00Z', creator: 'deploy-bot', logUrl: null },
  ],
};

function deploymentsWorld(options: { now: string; lateSuccess?: boolean }): WorldInput {
  const deployments: WorldDeployment[] = [
    {
      id: 1,
      sha: RELEASE,
      ref: 'main',
      environment: 'staging',
      creator: 'deploy-bot',
      createdAt: '2026-09-10T10:00:00Z',
      statuses: [{ state: 'success', createdAt: '2026-09-10T10:05:00Z', creator: 'deploy-bot' }],
    },
    {
      id: 2,
      sha: RELEASE,
      ref: 'main',
      environment: 'production',
      productionEnvironment: true,
      creator: 'deploy-bot',
      createdAt: '2026-09-30T22:00:00Z',
      statuses: [
        { state: 'in_progress', createdAt: '2026-09-30T22:01:00Z', creator: 'deploy-bot' },
        {
          state: 'failure',
          createdAt: '2026-09-30T22:10:00Z',
          creator: 'deploy-bot',
          description: 'health check failed',
        },
      ],
    },
    ...routineDeployments(),
    {
      id: 200,
      sha: RELEASE,
      ref: 'main',
      environment: 'production',
      productionEnvironment: true,
      creator: 'deploy-bot',
      performedViaApp: 'github-actions',
      createdAt: '2026-10-10T12:00:00Z',
      statuses: [
        { state: 'queued', createdAt: '2026-10-10T12:00:30Z', creator: 'deploy-bot', logUrl: runUrl(5001) },
        {
          state: 'in_progress',
          createdAt: '2026-10-10T12:01:00Z',
          creator: 'deploy-bot',
          logUrl: runUrl(5001),
        },
        { state: 'success', createdAt: '2026-10-10T12:09:00Z', creator: 'deploy-bot', logUrl: runUrl(5001) },
      ],
    },
    {
      id: 201,
      sha: RELEASE,
      ref: 'main',
      environment: 'production',
      productionEnvironment: true,
      creator: 'alice',
      createdAt: '2026-10-11T12:00:00Z',
      statuses: [
        { state: 'success', createdAt: '2026-10-11T12:05:00Z', creator: 'alice', logUrl: runUrl(9999) },
      ],
    },
    options.lateSuccess
      ? {
          ...STILL_RUNNING,
          statuses: [
            ...(STILL_RUNNING.statuses ?? []),
            { state: 'success', createdAt: '2026-11-01T00:20:00Z', creator: 'deploy-bot', logUrl: null },
          ],
        }
      : STILL_RUNNING,
  ];
  return worldWith({
    now: options.now,
    commits: [
      {
        sha: RELEASE,
        parents: [],
        message: 'Release',
        author: 'alice',
        committer: 'alice',
        authoredAt: '2026-09-01T00:00:00Z',
        committedAt: '2026-09-01T00:00:00Z',
      },
    ],
    repo: {
      deployments,
      workflowRuns: [
        {
          id: 5001,
          name: 'deploy',
          headSha: RELEASE,
          event: 'push',
          status: 'completed',
          conclusion: 'success',
          actor: 'alice',
          triggeringActor: 'bob',
          runAttempt: 2,
          createdAt: '2026-10-10T11:55:00Z',
          updatedAt: '2026-10-10T12:09:30Z',
          jobs: [
            {
              name: 'build',
              status: 'completed',
              conclusion: 'success',
              startedAt: '2026-10-10T11:55:10Z',
              completedAt: '2026-10-10T11:59:00Z',
            },
            {
              name: 'deploy-production',
              status: 'completed',
              conclusion: 'success',
              startedAt: '2026-10-10T12:00:00Z',
              completedAt: '2026-10-10T12:09:00Z',
            },
          ],
        },
      ],
    },
  });
}

/** What the world says should be collected for October: created from 17 September 00:00 on (14 days back). */
function expectedDeployments(world: WorldInput): WorldDeployment[] {
  const from = Date.parse('2026-09-17T00:00:00Z');
  return (world.repos[0]?.deployments ?? []).filter((d) => Date.parse(d.createdAt) >= from);
}

describe('collectDeployments against the emulator', () => {
  const world = deploymentsWorld({ now: NOW });
  let harness: Harness & { dir: string };

  beforeAll(async () => {
    harness = await openHarness(world);
    await collectDeployments(harness.ctx, FULL_NAME, OCTOBER);
  });
  afterAll(async () => {
    await harness.close();
    await removeDir(harness.dir);
  });

  it('stores every deployment created in the window and the 14 days before it, and none older', async () => {
    const docs = await harness.documents('deployment');
    const expected = expectedDeployments(world).map((d) => String(d.id));

    expect([...docs.keys()].sort()).toEqual([...expected].sort());
    expect(docs.has('1')).toBe(false);
    expect(expected.length).toBeGreaterThan(100);
  });

  it('keeps every status of every deployment, oldest first, with creator, log URL and description', async () => {
    const docs = await harness.documents('deployment');
    for (const deployment of expectedDeployments(world)) {
      const doc = docs.get(String(deployment.id));
      const statuses = doc?.data.statuses ?? [];
      expect(statuses.map((s) => [s.state, Date.parse(s.createdAt)])).toEqual(
        (deployment.statuses ?? []).map((s) => [s.state, Date.parse(s.createdAt)]),
      );
    }
    const failed = docs.get('2')?.data;
    expect(failed?.statuses.at(-1)).toMatchObject({
      state: 'failure',
      creator: { login: BOT_LOGIN, type: 'Bot' },
      description: 'health check failed',
    });
    expect(failed?.productionEnvironment).toBe(true);
  });

  it('records environment, SHA, creator and the app that made the deployment', async () => {
    const doc = (await harness.documents('deployment')).get('200');

    expect(doc?.occurredAt).toBe('2026-10-10T12:00:00.000Z');
    expect(doc?.data).toMatchObject({
      id: 200,
      sha: RELEASE,
      ref: 'main',
      environment: 'production',
      productionEnvironment: true,
      creator: { login: BOT_LOGIN, type: 'Bot' },
      performedViaApp: 'github-actions',
    });
  });

  it('copies the workflow run behind a deployment — attempt, actors, conclusion and jobs — not just its link', async () => {
    const run = (await harness.documents('deployment')).get('200')?.data.workflowRun;

    expect(run).toMatchObject({
      id: 5001,
      name: 'deploy',
      runAttempt: 2,
      actor: 'alice',
      triggeringActor: 'bob',
      event: 'push',
      conclusion: 'success',
      headSha: RELEASE,
    });
    expect(run?.jobs.map((j) => [j.name, j.conclusion, j.completedAt])).toEqual([
      ['build', 'success', '2026-10-10T11:59:00.000Z'],
      ['deploy-production', 'success', '2026-10-10T12:09:00.000Z'],
    ]);
  });

  it('records a gap, and the deployment without its run, when the run is gone', async () => {
    const doc = (await harness.documents('deployment')).get('201');

    expect(doc?.data.workflowRun).toBeNull();
    expect(harness.gaps).toContainEqual(
      expect.objectContaining({
        withholds: 'workflow-runs',
        repo: FULL_NAME,
        reason: expect.stringContaining('9999'),
      }),
    );
  });

  it('indexes each deployment with its environment, production flag and latest state', async () => {
    const rows = await harness.index.queryRepo(FULL_NAME, { kind: 'deployment' });
    const row = rows.find((r) => r.itemId === '2');

    expect(rows).toHaveLength(expectedDeployments(world).length);
    expect(row?.attributes).toMatchObject({ environment: 'production', production: true, state: 'failure' });
    expect(row?.period).toBe('2026-09');
  });

  it('writes nothing when run again over the same facts', async () => {
    const requestsBefore = harness.emulator.stats().requests;
    const result = await collectDeployments(harness.ctx, FULL_NAME, OCTOBER);
    const requests = harness.emulator.stats().requests - requestsBefore;

    // The cursor says everything was listed at NOW: only the newest page is listed again, and of
    // it only deployment 202 (still in progress) is read; nothing changed, nothing is written.
    expect(result.deployments).toBe(1);
    expect(result.written).toBe(0);
    expect(requests).toBeLessThanOrEqual(2);
    expect(await harness.index.queryRepo(FULL_NAME, { kind: 'deployment' })).toHaveLength(
      expectedDeployments(world).length,
    );
  });

  it('reads statuses, runs and jobs in bulk, never one request per deployment', async () => {
    const fresh = await openHarness(world);
    try {
      const result = await collectDeployments(fresh.ctx, FULL_NAME, OCTOBER);
      const log = fresh.emulator.requestLog;
      const perDeployment = log.filter((entry) => /\/deployments\/\d+|\/actions\/runs\/\d+/.test(entry.path));
      const graphql = log.filter((entry) => entry.path === '/graphql');

      expect(result.deployments).toBe(expectedDeployments(world).length);
      // Two listing pages of deployments, one of runs, the lone run the listing does not hold
      // (deleted: 404), two status queries (100 ids each at most) and one jobs query.
      expect(perDeployment.map((entry) => entry.path)).toEqual(['/repos/acme/api/actions/runs/9999']);
      expect(graphql.length).toBeLessThanOrEqual(3);
      expect(fresh.ctx.github.cost.requests).toBeLessThan(result.deployments / 10);
    } finally {
      await fresh.close();
      await removeDir(fresh.dir);
    }
  });

  it('names the GraphQL queries and the REST listings it read in each document’s provenance', async () => {
    const doc = (await harness.documents('deployment')).get('200');

    expect(doc?.provenance.request).toMatch(
      /^GET \/repos\/\{owner\}\/\{repo\}\/deployments; GraphQL DeploymentStatuses sha256:[0-9a-f]{64}; GET \/repos\/\{owner\}\/\{repo\}\/actions\/runs; GraphQL WorkflowRunJobs sha256:[0-9a-f]{64}$/,
    );
    expect(doc?.provenance.parameters).toMatchObject({ deployment_id: 200, run_id: 5001 });
  });
});

describe('collectDeployments over time', () => {
  it('stores a new version when a deployment finishes after a run, and keeps the earlier one readable', async () => {
    const first = await openHarness(deploymentsWorld({ now: NOW }));
    await collectDeployments(first.ctx, FULL_NAME, OCTOBER);
    await first.close();
    const later = await openHarness(deploymentsWorld({ now: '2026-11-02T06:00:00Z', lateSuccess: true }), {
      dir: first.dir,
    });
    try {
      const result = await collectDeployments(later.ctx, FULL_NAME, OCTOBER);
      const key = evidenceKey('deployment', FULL_NAME, '2026-10-31T23:50:00.000Z', '202');
      const versions = await later.store.listVersions(key);
      const read = async (versionId: string) =>
        parseEvidenceDocument(
          'deployment',
          JSON.parse(new TextDecoder().decode((await later.store.get(key, versionId)).body)),
        ).data.statuses.map((s) => s.state);

      expect(result.written).toBe(1);
      expect(versions).toHaveLength(2);
      expect(await read(versions[0]?.versionId ?? '')).toEqual(['in_progress', 'success']);
      expect(await read(versions[1]?.versionId ?? '')).toEqual(['in_progress']);
    } finally {
      await later.close();
      await removeDir(first.dir);
    }
  });

  it('does not read settled deployments again: final status a day old, already stored', async () => {
    const first = await openHarness(deploymentsWorld({ now: NOW }));
    const initial = await collectDeployments(first.ctx, FULL_NAME, OCTOBER);
    await first.close();
    const again = await openHarness(deploymentsWorld({ now: NOW }), { dir: first.dir });
    try {
      const requestsBefore = again.emulator.stats().requests;
      const result = await collectDeployments(again.ctx, FULL_NAME, OCTOBER);
      const requests = again.emulator.stats().requests - requestsBefore;
      // Deployment 202 is still in progress at NOW, so it is read again; every other one is
      // settled and older than the newest page, so not even listed again.
      expect(initial.deployments).toBeGreaterThan(100);
      expect(result.deployments).toBe(1);
      expect(result.written).toBe(0);
      expect(requests).toBeLessThanOrEqual(2);
    } finally {
      await again.close();
      await removeDir(first.dir);
    }
  });

  it('a later run lists only what is new, yet misses no deployment created since — even after a past period was collected in between', async () => {
    const first = await openHarness(deploymentsWorld({ now: NOW }));
    await collectDeployments(first.ctx, FULL_NAME, OCTOBER);
    await first.close();
    // The next day: a deployment created at noon, while the cursor says "listed at NOW".
    const LATER = '2026-11-02T06:00:00Z';
    const laterWorld = deploymentsWorld({ now: LATER, lateSuccess: true });
    laterWorld.repos[0]?.deployments?.push({
      id: 300,
      sha: RELEASE,
      ref: 'main',
      environment: 'production',
      productionEnvironment: true,
      creator: 'dave',
      createdAt: '2026-11-01T12:00:00Z',
      statuses: [{ state: 'success', createdAt: '2026-11-01T12:05:00Z', creator: 'dave' }],
    });
    const later = await openHarness(laterWorld, { dir: first.dir });
    try {
      // A past period collected in between must not make the cursor claim more than was listed.
      await collectDeployments(later.ctx, FULL_NAME, monthWindow('2026-09'));
      const requestsBefore = later.emulator.stats().requests;
      const result = await collectDeployments(later.ctx, FULL_NAME, OCTOBER);
      const requests = later.emulator.stats().requests - requestsBefore;
      const docs = await later.documents('deployment');

      expect(docs.get('300')?.data.creator?.login).toBe('dave');
      expect(docs.get('202')?.data.statuses.map((status) => status.state)).toEqual([
        'in_progress',
        'success',
      ]);
      expect(result.written).toBe(2);
      expect(requests).toBeLessThanOrEqual(3);
    } finally {
      await later.close();
      await removeDir(first.dir);
    }
  });

  it('stores the same evidence through 502s and secondary rate limits as without them', async () => {
    const world = deploymentsWorld({ now: NOW });
    const runs = await collectCleanAndFaulty(
      world,
      { seed: 7, rates: { '502': 0.1, secondary: 0.05 } },
      'deployment',
      (ctx) => collectDeployments(ctx, FULL_NAME, OCTOBER),
    );
    expect(runs.faultyRequests).toBeGreaterThan(runs.cleanRequests);
    expect(runs.clean.length).toBeGreaterThan(0);
    expect(runs.faulty).toEqual(runs.clean);
  });
});

describe('collectDeployments without permission', () => {
  it('records a deployments gap, not a failure, when GitHub refuses the listing', async () => {
    const harness = await openHarness(deploymentsWorld({ now: NOW }));
    try {
      // The emulator has no permission model; this client refuses the one route as GitHub does
      // for a credential without deployments read access, and passes everything else through.
      const github = harness.ctx.github;
      const refusing: GitHubClient = {
        baseUrl: github.baseUrl,
        identity: () => github.identity(),
        graphql: (query, variables) => github.graphql(query, variables),
        paginate: (route, params, options) => github.paginate(route, params, options),
        budget: (resource) => github.budget(resource),
        readBudget: () => github.readBudget(),
        get cost() {
          return github.cost;
        },
        rest: async (route, params) => {
          if (route === 'GET /repos/{owner}/{repo}/deployments') {
            throw new GitHubForbiddenError(
              `${route}: forbidden (403 Resource not accessible by integration)`,
            );
          }
          return github.rest(route, params);
        },
      };

      const result = await collectDeployments({ ...harness.ctx, github: refusing }, FULL_NAME, OCTOBER);

      expect(result.deployments).toBe(0);
      expect(harness.gaps).toEqual([
        expect.objectContaining({
          withholds: 'deployments',
          repo: FULL_NAME,
          reason: expect.stringContaining('403'),
        }),
      ]);
    } finally {
      await harness.close();
      await removeDir(harness.dir);
    }
  });
});

describe('collectDeployments refuses bad input before writing', () => {
  let harness: Harness & { dir: string };
  beforeAll(async () => {
    harness = await openHarness(deploymentsWorld({ now: NOW }));
  });
  afterAll(async () => {
    await harness.close();
    await removeDir(harness.dir);
  });

  it.each([
    ['another organisation', 'other/api', OCTOBER, 'repo'],
    ['no owner', 'api', OCTOBER, 'repo'],
    [
      'an end before the start',
      FULL_NAME,
      { from: '2026-10-31T00:00:00Z', to: '2026-10-01T00:00:00Z' },
      'window.to',
    ],
    ['a window in the future', FULL_NAME, monthWindow('2026-12'), 'window.from'],
    [
      'a time that is not a time',
      FULL_NAME,
      { from: 'yesterday', to: '2026-10-01T00:00:00Z' },
      'window.from',
    ],
  ])('refuses %s, naming the field', async (_case, repo, window, field) => {
    const requestsBefore = harness.emulator.stats().requests;

    const error = await collectDeployments(harness.ctx, repo, window).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(field);
    expect(harness.emulator.stats().requests).toBe(requestsBefore);
    expect(await harness.store.listKeys('evidence/')).toEqual([]);
  });
});
