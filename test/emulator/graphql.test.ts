import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { graphqlRequest } from './http.ts';
import { type BuiltPullRequest, WorldBuilder } from './world-builder.ts';

const NOW = '2026-11-01T06:00:00Z';
const MERGED_IN_OCTOBER =
  'repo:acme/payments-api is:pr is:merged base:main merged:2026-10-01T00:00:00Z..2026-10-31T23:59:59Z';

let emulator: Emulator;
let bigPr: BuiltPullRequest;
let lateCommit: string;

beforeAll(async () => {
  const world = new WorldBuilder({ now: NOW, start: '2026-09-20T00:00:00Z' });
  world.user('alice').user('bob').user('deploy-bot', { type: 'Bot' });
  const repo = world.repo('payments-api');
  repo.mergePullRequest({ number: 1, author: 'alice', mergedAt: '2026-09-30T23:59:59Z' });
  repo.mergePullRequest({ number: 2, author: 'alice', mergedAt: '2026-10-01T00:00:00Z' });
  bigPr = repo.mergePullRequest({
    number: 3,
    author: 'deploy-bot',
    commits: 300,
    mergedAt: '2026-10-15T12:00:00Z',
    reviews: [{ author: 'bob', state: 'APPROVED' }],
    labels: [
      { name: 'emergency-change', addedBy: 'alice', addedAt: '2026-10-15T11:00:00Z', removedAt: null },
    ],
  });
  for (let i = 0; i < 3; i++) repo.check(bigPr.headSha, { name: `check-${i}` });
  repo.mergePullRequest({ number: 4, author: 'bob', mergedAt: '2026-10-31T23:59:59Z' });
  repo.mergePullRequest({
    number: 5,
    author: 'bob',
    createdAt: '2026-10-31T10:00:00Z',
    mergedAt: '2026-11-02T10:00:00Z',
  });
  lateCommit = repo.input.branches.main as string;
  repo.mergePullRequest({ number: 6, author: 'bob', mergedAt: null, createdAt: '2026-10-20T00:00:00Z' });
  emulator = await startEmulator({ world: world.build() });
});

afterAll(async () => {
  await emulator.close();
});

const PR_NUMBERS = `query($q: String!, $after: String) {
  search(type: ISSUE, query: $q, first: 2, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes { ... on PullRequest { number } }
  }
}`;

describe('GraphQL validation', () => {
  it('refuses a field GitHub does not have, in GitHub words, with its path', async () => {
    const answer = await graphqlRequest(
      emulator,
      '{ repository(owner: "acme", name: "payments-api") { pullRequest(number: 2) { approvalCount } } }',
    );

    expect(answer.status).toBe(200);
    expect(answer.data).toBeUndefined();
    expect(answer.errors).toEqual([
      expect.objectContaining({
        message: "Field 'approvalCount' doesn't exist on type 'PullRequest'",
        path: ['query', 'repository', 'pullRequest', 'approvalCount'],
        extensions: expect.objectContaining({ code: 'undefinedField', typeName: 'PullRequest' }),
      }),
    ]);
  });

  it('refuses a connection without first or last, and one asking for more than 100', async () => {
    const missing = await graphqlRequest(
      emulator,
      '{ repository(owner: "acme", name: "payments-api") { pullRequest(number: 2) { commits { totalCount } } } }',
    );
    const excessive = await graphqlRequest(
      emulator,
      '{ repository(owner: "acme", name: "payments-api") { pullRequest(number: 2) { commits(first: 101) { totalCount } } } }',
    );

    expect(missing.errors?.[0]).toMatchObject({
      type: 'MISSING_PAGINATION_BOUNDARIES',
      message: 'You must provide a `first` or `last` value to properly paginate the `commits` connection.',
    });
    expect(excessive.errors?.[0]).toMatchObject({
      type: 'EXCESSIVE_PAGINATION',
      message: 'Requesting 101 records on the `commits` connection exceeds the `first` limit of 100 records.',
    });
  });

  it('refuses a query that could return more than 500,000 nodes', async () => {
    const answer = await graphqlRequest(
      emulator,
      `{ search(type: ISSUE, query: "is:pr", first: 100) { nodes { ... on PullRequest {
          commits(first: 100) { nodes { commit { statusCheckRollup { contexts(first: 100) { totalCount } } } } } } } } }`,
    );

    expect(answer.errors?.[0]?.type).toBe('MAX_NODE_LIMIT_EXCEEDED');
  });

  it('answers a valid but unmodelled field with an error naming it', async () => {
    const answer = await graphqlRequest(
      emulator,
      `{ repository(owner: "acme", name: "payments-api") { defaultBranchRef { target { ... on Commit { oid tarballUrl } } } } }`,
    );

    expect(answer.errors?.[0]).toMatchObject({ message: 'Commit.tarballUrl is not emulated' });
  });

  it('answers an unknown repository with a NOT_FOUND error', async () => {
    const answer = await graphqlRequest(emulator, '{ repository(owner: "acme", name: "nope") { name } }');

    expect(answer.errors?.[0]).toMatchObject({
      type: 'NOT_FOUND',
      path: ['repository'],
      message: "Could not resolve to a Repository with the name 'acme/nope'.",
    });
  });
});

describe('GraphQL search', () => {
  it('finds the PRs merged in a window, bounds included, and pages through them', async () => {
    const first = await graphqlRequest(emulator, PR_NUMBERS, { q: MERGED_IN_OCTOBER });
    const search = first.data!.search as {
      issueCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string };
      nodes: { number: number }[];
    };
    const second = await graphqlRequest(emulator, PR_NUMBERS, {
      q: MERGED_IN_OCTOBER,
      after: search.pageInfo.endCursor,
    });
    const rest = second.data!.search as typeof search;

    expect(search.issueCount).toBe(3);
    expect(search.pageInfo.hasNextPage).toBe(true);
    expect([...search.nodes, ...rest.nodes].map((pr) => pr.number).sort()).toEqual([2, 3, 4]);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('does not show a merge that happens after the world clock', async () => {
    const merged = await graphqlRequest(emulator, PR_NUMBERS, {
      q: 'repo:acme/payments-api is:pr is:merged merged:>=2026-10-31',
    });
    const pr5 = await graphqlRequest(
      emulator,
      '{ repository(owner: "acme", name: "payments-api") { pullRequest(number: 5) { state mergedAt mergeCommit { oid } } } }',
    );

    expect((merged.data!.search as { nodes: { number: number }[] }).nodes.map((pr) => pr.number)).toEqual([
      4,
    ]);
    expect((pr5.data!.repository as { pullRequest: unknown }).pullRequest).toEqual({
      state: 'OPEN',
      mergedAt: null,
      mergeCommit: null,
    });
  });

  it('stops paging at 1,000 results while issueCount tells the full number', async () => {
    const world = new WorldBuilder();
    const repo = world.repo('busy');
    for (let i = 0; i < 1005; i++) repo.mergePullRequest({ mergedAt: '2026-10-10T00:00:00Z', files: [] });
    const busy = await startEmulator({ world: world.build() });
    try {
      let after: string | null = null;
      let seen = 0;
      let answer: {
        issueCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        nodes: unknown[];
      };
      do {
        const result = await graphqlRequest(
          busy,
          'query($after: String) { search(type: ISSUE, query: "repo:acme/busy is:pr is:merged", first: 100, after: $after) { issueCount pageInfo { hasNextPage endCursor } nodes { ... on PullRequest { number } } } }',
          { after },
        );
        answer = result.data!.search as typeof answer;
        seen += answer.nodes.length;
        after = answer.pageInfo.endCursor;
      } while (answer.pageInfo.hasNextPage);

      expect(answer.issueCount).toBe(1005);
      expect(seen).toBe(1000);
    } finally {
      await busy.close();
    }
  });
});

describe('GraphQL connections and nodes', () => {
  it('pages a nested connection past its first page through node(id:)', async () => {
    const pr = await graphqlRequest(
      emulator,
      '{ repository(owner: "acme", name: "payments-api") { pullRequest(number: 3) { id } } }',
    );
    const id = (pr.data!.repository as { pullRequest: { id: string } }).pullRequest.id;
    const query = `query($id: ID!, $after: String) { node(id: $id) { ... on PullRequest {
      commits(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { commit { oid } } } } } }`;
    const oids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const answer = await graphqlRequest(emulator, query, { id, after });
      const commits = (
        answer.data!.node as {
          commits: {
            totalCount: number;
            pageInfo: { hasNextPage: boolean; endCursor: string };
            nodes: { commit: { oid: string } }[];
          };
        }
      ).commits;
      expect(commits.totalCount).toBe(300);
      oids.push(...commits.nodes.map((node) => node.commit.oid));
      pages++;
      if (!commits.pageInfo.hasNextPage) break;
      after = commits.pageInfo.endCursor;
    }

    expect(pages).toBe(3);
    expect(oids).toEqual(bigPr.commits);
  });

  it('prices a query by GitHub formula and reports it in rateLimit', async () => {
    const answer = await graphqlRequest(
      emulator,
      `{ rateLimit { cost nodeCount limit remaining used }
         search(type: ISSUE, query: "repo:acme/payments-api is:pr", first: 25) { nodes { ... on PullRequest {
           commits(first: 100) { nodes { commit { statusCheckRollup { contexts(first: 10) { totalCount } } } } } } } } }`,
    );
    const rate = answer.data!.rateLimit as {
      cost: number;
      nodeCount: number;
      limit: number;
      remaining: number;
      used: number;
    };

    // 1 search + 25 commit pages + 25*100 context pages = 2,526 requests -> 25 points.
    expect(rate.cost).toBe(25);
    expect(rate.nodeCount).toBe(25 + 2500 + 25_000);
    expect(rate.limit).toBe(5000);
    expect(rate.remaining).toBe(rate.limit - rate.used);
  });

  it('serves aliases, fragments, variables, __typename, nodes(ids:) and bot authors', async () => {
    const answer = await graphqlRequest(
      emulator,
      `query($owner: String!) { repo: repository(owner: $owner, name: "payments-api") {
          big: pullRequest(number: 3) { ...Pr }
          small: pullRequest(number: 2) { ...Pr } } }
       fragment Pr on PullRequest { __typename id number author { __typename login }
          reviews(first: 5) { nodes { state author { login } } }
          labels(first: 5) { nodes { name } }
          timelineItems(first: 10, itemTypes: [LABELED_EVENT]) { nodes { __typename ... on LabeledEvent { actor { login } label { name } } } }
          commits(last: 1) { nodes { commit { statusCheckRollup { contexts(first: 2) { totalCount pageInfo { hasNextPage } } } } } } }`,
      { owner: 'acme' },
    );
    const repo = answer.data!.repo as Record<string, Record<string, unknown>>;
    const ids = [repo.big?.id, repo.small?.id];
    const nodes = await graphqlRequest(
      emulator,
      'query($ids: [ID!]!) { nodes(ids: $ids) { ... on PullRequest { number } } }',
      { ids },
    );

    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(repo.big).toMatchObject({
      __typename: 'PullRequest',
      number: 3,
      author: { __typename: 'Bot', login: 'deploy-bot' },
      reviews: { nodes: [{ state: 'APPROVED', author: { login: 'bob' } }] },
      labels: { nodes: [{ name: 'emergency-change' }] },
      timelineItems: {
        nodes: [
          { __typename: 'LabeledEvent', actor: { login: 'alice' }, label: { name: 'emergency-change' } },
        ],
      },
      commits: {
        nodes: [
          { commit: { statusCheckRollup: { contexts: { totalCount: 3, pageInfo: { hasNextPage: true } } } } },
        ],
      },
    });
    expect(nodes.data!.nodes).toEqual([{ number: 3 }, { number: 2 }]);
  });

  it('shows the default branch history as of the world clock', async () => {
    const answer = await graphqlRequest(
      emulator,
      `{ repository(owner: "acme", name: "payments-api") { defaultBranchRef { name target { ... on Commit {
          oid history(first: 100, since: "2026-10-01T00:00:00Z") { totalCount nodes { oid committedDate associatedPullRequests(first: 1) { nodes { number } } } } } } } } }`,
    );
    const ref = (
      answer.data!.repository as {
        defaultBranchRef: {
          name: string;
          target: {
            oid: string;
            history: {
              totalCount: number;
              nodes: {
                oid: string;
                committedDate: string;
                associatedPullRequests: { nodes: { number: number }[] };
              }[];
            };
          };
        };
      }
    ).defaultBranchRef;

    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(ref.name).toBe('main');
    expect(ref.target.oid).not.toBe(lateCommit);
    expect(ref.target.history.nodes.every((commit) => commit.committedDate <= NOW)).toBe(true);
    expect(ref.target.history.nodes.map((commit) => commit.associatedPullRequests.nodes[0]?.number)).toEqual([
      4, 3, 2,
    ]);
  });
});

describe('GraphQL search qualifiers', () => {
  it('filters by updated: and author:, newest created first by default', async () => {
    const answer = await graphqlRequest(emulator, PR_NUMBERS, {
      q: 'repo:acme/payments-api is:pr author:alice updated:2026-09-30..2026-10-01',
    });
    const search = answer.data!.search as { issueCount: number; nodes: { number: number }[] };

    expect(search.issueCount).toBe(2);
    expect(search.nodes.map((pr) => pr.number)).toEqual([2, 1]);
  });

  it('counts human members of the organization, not apps, and answers null for an unknown team', async () => {
    const answer = await graphqlRequest(
      emulator,
      '{ organization(login: "acme") { login membersWithRole(first: 10) { totalCount } team(slug: "nope") { slug } } }',
    );

    expect(answer.data!.organization).toEqual({
      login: 'acme',
      membersWithRole: { totalCount: 3 },
      team: null,
    });
  });
});
