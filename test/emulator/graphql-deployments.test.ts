import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import {
  DEPLOYMENT_STATUSES_QUERY,
  WORKFLOW_RUN_JOBS_QUERY,
} from '../../lambdas/adapters/github/queries/deployments.ts';
import { type GraphQlAnswer, graphqlRequest, restGet } from './http.ts';
import { addMinutes, WorldBuilder } from './world-builder.ts';

/**
 * Deployments, their statuses and the Actions runs behind them through GraphQL, as github.com
 * serves them: the REST `node_id`s resolve through `nodes(ids:)` to the same objects, enums in
 * capitals, statuses newest first, and GitHub's cost formula counting a connection under
 * `nodes(ids:)` once per id.
 */

const NOW = '2026-11-01T06:00:00Z';
const data = (answer: GraphQlAnswer): Record<string, unknown> => answer.data ?? {};
const REPO = '/repos/acme/payments-api';
let emulator: Emulator;

beforeAll(async () => {
  const world = new WorldBuilder({ now: NOW, start: '2026-09-20T00:00:00Z' });
  world.user('alice').user('deploy-bot', { type: 'Bot' });
  const repo = world.repo('payments-api');
  repo.mergePullRequest({ number: 1, author: 'alice', mergedAt: '2026-10-02T10:00:00Z' });
  for (let i = 0; i < 120; i++) {
    const createdAt = addMinutes('2026-10-03T00:00:00Z', i * 60);
    repo.deployment({
      id: 1000 + i,
      createdAt,
      environment: i % 2 === 0 ? 'staging' : 'production',
      statuses: [
        {
          state: 'in_progress',
          createdAt: addMinutes(createdAt, 1),
          creator: 'deploy-bot',
          logUrl: 'https://github.com/acme/payments-api/actions/runs/5000',
        },
        {
          state: i === 117 ? 'failure' : 'success',
          createdAt: addMinutes(createdAt, 3),
          creator: 'deploy-bot',
          logUrl: 'https://github.com/acme/payments-api/actions/runs/5000',
        },
      ],
    });
  }
  repo.workflowRun({
    id: 5000,
    createdAt: '2026-10-02T23:58:00Z',
    actor: 'alice',
    jobs: [
      {
        name: 'deploy-staging',
        status: 'completed',
        conclusion: 'success',
        startedAt: '2026-10-02T23:58:30Z',
        completedAt: '2026-10-02T23:59:30Z',
      },
      {
        name: 'deploy-production',
        status: 'completed',
        conclusion: 'failure',
        startedAt: '2026-10-03T00:00:00Z',
        completedAt: null,
      },
    ],
  });
  emulator = await startEmulator({ world: world.build() });
});

afterAll(async () => {
  await emulator.close();
});

describe('Repository.deployments', () => {
  it('pages deployments in the asked order, each with its statuses newest first, in GraphQL’s enums', async () => {
    const query = `query($after: String) {
      repository(owner: "acme", name: "payments-api") {
        deployments(first: 100, after: $after, orderBy: { field: CREATED_AT, direction: DESC }) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { databaseId environment state statuses(first: 5) { nodes { state creator { __typename login } logUrl } } }
        }
      }
    }`;
    const first = await graphqlRequest(emulator, query);
    const connection = (data(first).repository as { deployments: Record<string, unknown> }).deployments as {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string };
      nodes: {
        databaseId: number;
        state: string;
        statuses: { nodes: { state: string; creator: { __typename: string; login: string } }[] };
      }[];
    };
    expect(first.errors).toBeUndefined();
    expect(connection.totalCount).toBe(120);
    expect(connection.nodes[0]?.databaseId).toBe(1119);
    expect(connection.nodes.find((d) => d.databaseId === 1117)?.state).toBe('FAILURE');
    expect(connection.nodes[0]?.state).toBe('ACTIVE');
    expect(connection.nodes[0]?.statuses.nodes.map((s) => s.state)).toEqual(['SUCCESS', 'IN_PROGRESS']);
    expect(connection.nodes[0]?.statuses.nodes[0]?.creator).toEqual({
      __typename: 'Bot',
      login: 'deploy-bot',
    });

    const second = await graphqlRequest(emulator, query, { after: connection.pageInfo.endCursor });
    const rest = (data(second).repository as { deployments: { nodes: { databaseId: number }[] } })
      .deployments;
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(rest.nodes.map((d) => d.databaseId)).toEqual(Array.from({ length: 20 }, (_, i) => 1019 - i));
  });
});

describe('nodes(ids:) with the ids REST hands out', () => {
  it('resolves every deployment of a REST page, and prices the nested statuses once per id', async () => {
    const page = await restGet<{ id: number; node_id: string }[]>(
      emulator,
      `${REPO}/deployments?per_page=100`,
    );
    const ids = page.body.map((d) => d.node_id);
    const answer = await graphqlRequest(emulator, DEPLOYMENT_STATUSES_QUERY, { ids });
    const nodes = (data(answer).nodes ?? []) as { databaseId: number; statuses: { totalCount: number } }[];

    expect(answer.errors).toBeUndefined();
    expect(nodes.map((n) => n.databaseId)).toEqual(page.body.map((d) => d.id));
    expect(nodes.every((n) => n.statuses.totalCount === 2)).toBe(true);
    // 100 `statuses` connections (one per id) / 100 = 1 point; a flat count would say the same
    // for 1 id, so compare with GitHub's formula for 100 ids under one connection of 100.
    expect((data(answer).rateLimit as { cost: number }).cost).toBe(1);
    const heavier = await graphqlRequest(
      emulator,
      'query($ids: [ID!]!) { rateLimit { cost } nodes(ids: $ids) { ... on Deployment { statuses(first: 100) { nodes { creator { login } } } } } }',
      { ids },
    );
    expect((data(heavier).rateLimit as { cost: number }).cost).toBe(1);
    const nested = await graphqlRequest(
      emulator,
      'query($ids: [ID!]!) { rateLimit { cost } nodes(ids: $ids) { ... on Deployment { statuses(first: 100) { nodes { deployment { statuses(first: 10) { totalCount } } } } } } }',
      { ids },
    );
    // 100 + 100 × 100 nested connections = 10,100 requests → 101 points.
    expect((data(nested).rateLimit as { cost: number }).cost).toBe(101);
  });

  it('serves a run’s jobs through its check suite, and the run through its own id', async () => {
    const run = await restGet<{ node_id: string; check_suite_node_id: string; actor: { login: string } }>(
      emulator,
      `${REPO}/actions/runs/5000`,
    );
    const jobs = await graphqlRequest(emulator, WORKFLOW_RUN_JOBS_QUERY, {
      ids: [run.body.check_suite_node_id],
    });
    const suite = (data(jobs).nodes as { checkRuns: { nodes: Record<string, unknown>[] } }[])[0];
    expect(jobs.errors).toBeUndefined();
    expect(suite?.checkRuns.nodes).toEqual([
      {
        name: 'deploy-staging',
        status: 'COMPLETED',
        conclusion: 'SUCCESS',
        startedAt: '2026-10-02T23:58:30Z',
        completedAt: '2026-10-02T23:59:30Z',
      },
      {
        name: 'deploy-production',
        status: 'COMPLETED',
        conclusion: 'FAILURE',
        startedAt: '2026-10-03T00:00:00Z',
        completedAt: null,
      },
    ]);

    const byRun = await graphqlRequest(
      emulator,
      'query($id: ID!) { node(id: $id) { ... on WorkflowRun { databaseId event workflow { name } checkSuite { id conclusion } } } }',
      { id: run.body.node_id },
    );
    expect(data(byRun).node).toEqual({
      databaseId: 5000,
      event: 'push',
      workflow: { name: 'deploy' },
      checkSuite: { id: run.body.check_suite_node_id, conclusion: 'SUCCESS' },
    });
  });

  it('answers NOT_FOUND for an id it never handed out', async () => {
    const answer = await graphqlRequest(emulator, DEPLOYMENT_STATUSES_QUERY, { ids: ['DE_bm9uZSM5OTk5'] });
    expect(answer.errors?.[0]?.type).toBe('NOT_FOUND');
  });
});

describe('GET /repos/{owner}/{repo}/actions/runs', () => {
  it('lists runs newest first within `created`, with the node id of each run’s check suite', async () => {
    const inside = await restGet<{
      total_count: number;
      workflow_runs: { id: number; check_suite_node_id: string }[];
    }>(emulator, `${REPO}/actions/runs?created=2026-10-02T00:00:00Z..2026-10-03T00:00:00Z`);
    const outside = await restGet<{ total_count: number }>(
      emulator,
      `${REPO}/actions/runs?created=2026-10-04T00:00:00Z..2026-10-05T00:00:00Z`,
    );
    expect(inside.body.total_count).toBe(1);
    expect(inside.body.workflow_runs[0]?.id).toBe(5000);
    expect(inside.body.workflow_runs[0]?.check_suite_node_id).toMatch(/^CS_/);
    expect(outside.body.total_count).toBe(0);
  });
});
