import { describe, expect, it } from 'vitest';
import {
  PullRequestAssembly,
  type RawPullRequest,
} from '../../lambdas/adapters/github/parse-pull-requests.ts';

/** Assembling a PR document from GitHub's pages, and saying so where GitHub stops short. */

const sha = (n: number) => n.toString(16).padStart(40, '0');
const done = { hasNextPage: false, endCursor: null };
const empty = { totalCount: 0, pageInfo: done, nodes: [] };

function rawPullRequest(overrides: Partial<RawPullRequest> = {}): RawPullRequest {
  return {
    id: 'PR_1',
    number: 12,
    url: 'https://github.com/acme/api/pull/12',
    title: 'ENG-1 Fix',
    body: '',
    createdAt: '2026-10-01T09:00:00Z',
    mergedAt: '2026-10-01T10:00:00Z',
    baseRefName: 'main',
    headRefName: 'fix',
    headRefOid: sha(2),
    author: { login: 'alice', __typename: 'User' },
    mergedBy: { login: 'alice', __typename: 'User' },
    mergeCommit: null,
    commits: empty,
    reviews: empty,
    files: empty,
    labels: { totalCount: 0, nodes: [] },
    timelineItems: empty,
    comments: empty,
    ...overrides,
  };
}

const file = (i: number) => ({ path: `f${i}.ts`, additions: 1, deletions: 0, changeType: 'ADDED' });
const files = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => file(from + i));
const commit = (i: number) => ({
  commit: {
    oid: sha(1000 + i),
    message: `commit ${i}`,
    committedDate: '2026-10-01T09:00:00Z',
    authoredDate: '2026-10-01T09:00:00Z',
    author: { user: { login: 'alice' }, name: 'Alice' },
    committer: { user: { login: 'alice' }, name: 'Alice' },
    parents: { totalCount: 1, nodes: [{ oid: sha(999 + i) }] },
    signature: null,
  },
});
const commits = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => commit(from + i));

describe('PullRequestAssembly', () => {
  it('asks for the next page of a list until GitHub has no more, then is complete', () => {
    const assembly = new PullRequestAssembly(
      rawPullRequest({
        files: {
          totalCount: 150,
          pageInfo: { hasNextPage: true, endCursor: 'c100' },
          nodes: files(0, 100),
        },
      }),
    );
    // 50 unread: one page from the front holds them.
    expect(assembly.pendingPages()).toEqual([{ connection: 'files', direction: 'forward', cursor: 'c100' }]);
    assembly.addPage('files', { totalCount: 150, pageInfo: done, nodes: files(100, 150) });
    assembly.addChecksPage(null);
    expect(assembly.isComplete()).toBe(true);
    expect(assembly.toData().files.map((f) => f.path)).toEqual(files(0, 150).map((f) => f.path));
  });

  it('reads a long list from both ends at once and joins them where they meet, each file once, in order', () => {
    const total = 450;
    const front = (from: number, to: number) => ({
      totalCount: total,
      pageInfo: { hasNextPage: to < total, endCursor: `c${to}` },
      nodes: files(from, to),
    });
    const back = (from: number, to: number) => ({
      totalCount: total,
      pageInfo: { hasPreviousPage: from > 0, startCursor: `c${from + 1}` },
      nodes: files(from, to),
    });
    const assembly = new PullRequestAssembly(rawPullRequest({ files: front(0, 100) }));
    assembly.addChecksPage(null);
    expect(assembly.pendingPages()).toEqual([
      { connection: 'files', direction: 'forward', cursor: 'c100' },
      { connection: 'files', direction: 'backward', cursor: null },
    ]);
    assembly.addPage('files', front(100, 200));
    assembly.addPageFromEnd('files', back(350, 450));
    // 150 unread: from both ends again.
    expect(assembly.pendingPages()).toEqual([
      { connection: 'files', direction: 'forward', cursor: 'c200' },
      { connection: 'files', direction: 'backward', cursor: 'c351' },
    ]);
    expect(assembly.isComplete()).toBe(false);
    assembly.addPage('files', front(200, 300));
    assembly.addPageFromEnd('files', back(250, 350));
    expect(assembly.pendingPages()).toEqual([]);
    expect(assembly.isComplete()).toBe(true);
    expect(assembly.toData().files.map((f) => f.path)).toEqual(files(0, total).map((f) => f.path));
    expect(assembly.toData().completeness).toEqual([]);
  });

  it("reads on from the front alone when the two ends meet short of GitHub's count, each commit once", () => {
    // totalCount says 450 but the list read from its end stops at 250: nothing is lost or doubled.
    const assembly = new PullRequestAssembly(
      rawPullRequest({
        commits: {
          totalCount: 450,
          pageInfo: { hasNextPage: true, endCursor: 'c100' },
          nodes: commits(0, 100),
        },
      }),
    );
    assembly.addChecksPage(null);
    assembly.addPage('commits', {
      totalCount: 450,
      pageInfo: { hasNextPage: true, endCursor: 'c200' },
      nodes: commits(100, 200),
    });
    assembly.addPageFromEnd('commits', {
      totalCount: 450,
      pageInfo: { hasPreviousPage: true, startCursor: 'c151' },
      nodes: commits(150, 250),
    });
    // The ends met at 250 of 450 counted: the front goes on alone, to its own end.
    expect(assembly.pendingPages()).toEqual([
      { connection: 'commits', direction: 'forward', cursor: 'c200' },
    ]);
    assembly.addPage('commits', {
      totalCount: 450,
      pageInfo: { hasNextPage: false, endCursor: 'c300' },
      nodes: commits(200, 300),
    });
    expect(assembly.pendingPages()).toEqual([]);
    expect(assembly.toData().commits.map((c) => c.sha)).toEqual(commits(0, 300).map((c) => c.commit.oid));
    expect(assembly.toData().completeness).toEqual([
      expect.objectContaining({ field: 'commits', collected: 300, total: 450 }),
    ]);
  });

  it('records in completeness where GitHub served fewer files than its totalCount (the 3,000-file cap)', () => {
    const nodes = Array.from({ length: 3000 }, (_, i) => file(i));
    const assembly = new PullRequestAssembly(
      rawPullRequest({ files: { totalCount: 3400, pageInfo: done, nodes } }),
    );
    assembly.addChecksPage(null);
    expect(assembly.toData().completeness).toEqual([
      {
        field: 'files',
        collected: 3000,
        total: 3400,
        reason: 'GitHub serves at most 3000 files of a pull request',
      },
    ]);
  });

  it('marks a dismissed approval with who dismissed it, when, and what it was', () => {
    const assembly = new PullRequestAssembly(
      rawPullRequest({
        reviews: {
          totalCount: 1,
          pageInfo: done,
          nodes: [
            {
              id: 'R1',
              author: { login: 'bob' },
              state: 'DISMISSED',
              submittedAt: '2026-10-01T09:30:00Z',
              commit: { oid: sha(2) },
            },
          ],
        },
        timelineItems: {
          totalCount: 2,
          pageInfo: done,
          nodes: [
            {
              __typename: 'ReviewDismissedEvent',
              createdAt: '2026-10-01T09:40:00Z',
              actor: { login: 'alice' },
              review: { id: 'R1' },
              previousReviewState: 'APPROVED',
            },
            {
              __typename: 'UnlabeledEvent',
              createdAt: '2026-10-01T09:45:00Z',
              actor: null,
              label: { name: 'wip' },
            },
          ],
        },
      }),
    );
    assembly.addChecksPage(null);
    const data = assembly.toData();
    expect(data.reviews[0]).toMatchObject({
      state: 'DISMISSED',
      previousState: 'APPROVED',
      dismissedBy: 'alice',
      dismissedAt: '2026-10-01T09:40:00Z',
    });
    expect(data.labelEvents).toEqual([
      { name: 'wip', action: 'removed', actor: null, at: '2026-10-01T09:45:00Z' },
    ]);
  });

  it('turns commit statuses into checks that are final unless pending', () => {
    const assembly = new PullRequestAssembly(rawPullRequest());
    assembly.addChecksPage({
      oid: sha(2),
      statusCheckRollup: {
        contexts: {
          totalCount: 2,
          pageInfo: done,
          nodes: [
            {
              __typename: 'StatusContext',
              context: 'ci/sast',
              state: 'SUCCESS',
              createdAt: '2026-10-01T09:50:00Z',
              creator: { login: 'ci-bot' },
            },
            {
              __typename: 'StatusContext',
              context: 'ci/e2e',
              state: 'PENDING',
              createdAt: '2026-10-01T09:51:00Z',
              creator: null,
            },
          ],
        },
      },
    });
    expect(assembly.toData().checks.map((c) => [c.name, c.status, c.conclusion, c.completedAt])).toEqual([
      ['ci/sast', 'COMPLETED', 'SUCCESS', '2026-10-01T09:50:00Z'],
      ['ci/e2e', 'PENDING', 'PENDING', null],
    ]);
  });

  it("takes the head commit's checks from the search only when its last commit is the head", () => {
    const checksOf = (oid: string) => ({
      nodes: [
        {
          commit: {
            oid,
            statusCheckRollup: {
              contexts: {
                totalCount: 1,
                pageInfo: done,
                nodes: [
                  {
                    __typename: 'CheckRun' as const,
                    name: 'test',
                    status: 'COMPLETED',
                    conclusion: 'SUCCESS',
                    startedAt: '2026-10-01T09:10:00Z',
                    completedAt: '2026-10-01T09:20:00Z',
                  },
                ],
              },
            },
          },
        },
      ],
    });
    const head = new PullRequestAssembly(rawPullRequest({ headCommit: checksOf(sha(2)) }));
    expect(head.pendingChecks()).toBeUndefined();
    expect(head.toData().checks.map((check) => [check.name, check.commitSha])).toEqual([['test', sha(2)]]);

    // A last commit that is not the head (the list ends elsewhere): its checks are not the head's.
    const other = new PullRequestAssembly(rawPullRequest({ headCommit: checksOf(sha(3)) }));
    expect(other.pendingChecks()).toEqual({ after: null });
  });
});
