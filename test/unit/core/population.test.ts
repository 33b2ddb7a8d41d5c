import { describe, expect, it } from 'vitest';
import { buildPopulation } from '../../../lambdas/core/population.ts';
import { monthWindow } from '../../../lambdas/core/window.ts';
import {
  branchCommit,
  commit,
  directPush,
  evidenceOf,
  mergeOf,
  OCTOBER,
  override,
  pullRequest,
  sha,
} from './builders.ts';

const MERGED = '2026-10-05T12:00:00.000Z';

describe('buildPopulation', () => {
  it('makes one pull_request change of a squash-merged PR', () => {
    const pr = pullRequest(101, MERGED);
    const [change, ...rest] = buildPopulation(
      evidenceOf({ pullRequests: [pr], branchCommits: [mergeOf(pr)] }),
      OCTOBER,
    );
    expect(rest).toEqual([]);
    expect(change).toMatchObject({
      type: 'pull_request',
      prNumber: 101,
      commitSha: sha('merge-101'),
      author: 'alice',
      mergedAt: MERGED,
    });
  });

  it('groups a merge commit and the PR commits it brought onto the branch into one change', () => {
    const own = commit('own-102', '2026-10-04T09:00:00Z');
    const pr = pullRequest(102, MERGED, {
      commits: [own],
      mergeCommit: commit('merge-102', MERGED, { parents: [sha('base'), own.sha] }),
    });
    const ownOnBranch = branchCommit(own, {
      associatedPullRequests: [
        { number: 102, mergedAt: MERGED, mergeCommitSha: sha('merge-102'), baseRef: 'main' },
      ],
    });
    const changes = buildPopulation(
      evidenceOf({ pullRequests: [pr], branchCommits: [mergeOf(pr), ownOnBranch] }),
      OCTOBER,
    );
    expect(changes).toHaveLength(1);
    expect(changes[0]!.branchCommits.map((c) => c.doc.data.commit.sha).sort()).toEqual(
      [own.sha, sha('merge-102')].sort(),
    );
  });

  it('groups the rebased commits of a rebase merge by their pr_merge activity into the PR', () => {
    const pr = pullRequest(103, MERGED, { mergeCommit: commit('rebased-2', MERGED) });
    const activity = {
      id: 7,
      activityType: 'pr_merge',
      actor: 'alice',
      timestamp: MERGED,
      before: sha('base'),
      after: sha('rebased-2'),
    };
    const first = branchCommit(commit('rebased-1', MERGED), { activity });
    const second = branchCommit(commit('rebased-2', MERGED, { parents: [sha('rebased-1')] }), { activity });
    const changes = buildPopulation(
      evidenceOf({ pullRequests: [pr], branchCommits: [first, second] }),
      OCTOBER,
    );
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ prNumber: 103, commitSha: sha('rebased-2') });
    expect(changes[0]!.branchCommits).toHaveLength(2);
  });

  it('makes one direct_push change per commit pushed without a PR, with its override', () => {
    const a = directPush('push-a', '2026-10-06T08:00:00Z', 'mallory');
    const b = directPush('push-b', '2026-10-07T08:00:00Z', 'dave');
    const changes = buildPopulation(
      evidenceOf({ branchCommits: [b, a], overrides: [override(sha('push-b'), '2026-10-07T08:00:00Z')] }),
      OCTOBER,
    );
    expect(changes.map((c) => [c.type, c.commitSha, c.author, c.overrides.length])).toEqual([
      ['direct_push', sha('push-a'), 'mallory', 0],
      ['direct_push', sha('push-b'), 'dave', 1],
    ]);
    expect(changes[0]!.prNumber).toBeNull();
    expect(changes[0]!.url).toBe(`https://github.com/acme/payments-api/commit/${sha('push-a')}`);
  });

  it('does not count a push seen only in repository activity as an override', () => {
    const push = directPush('push-c', '2026-10-08T08:00:00Z', 'grace');
    const candidate = override(sha('push-c'), '2026-10-08T08:00:00Z', {
      actor: 'grace',
      sources: ['activity'],
      reasons: [{ code: 'activity:push', message: 'push by grace' }],
    });
    const [change] = buildPopulation(evidenceOf({ branchCommits: [push], overrides: [candidate] }), OCTOBER);
    expect(change!.overrides).toEqual([]);
  });

  it('keeps a merged PR whose merge commit was not collected, and drops PRs into other branches or outside the window', () => {
    const lonely = pullRequest(104, MERGED);
    const other = pullRequest(105, MERGED, { baseRef: 'release' });
    const late = pullRequest(106, '2026-11-01T00:00:00.000Z');
    const pr = pullRequest(107, MERGED);
    const changes = buildPopulation(
      evidenceOf({ pullRequests: [lonely, other, late, pr], branchCommits: [mergeOf(pr)] }),
      OCTOBER,
    );
    expect(changes.map((c) => [c.prNumber, c.branchCommits.length])).toEqual([
      [104, 0],
      [107, 1],
    ]);
  });
});

describe('a real organisation: dated by arrival, activity decides how', () => {
  it('makes a commit of 29 September pushed to main on 2 October an October direct push', () => {
    const old = commit('sept-commit', '2026-09-29T16:00:00Z', { author: 'mallory', committer: 'mallory' });
    const pushed = branchCommit(old, {
      activity: {
        id: 77,
        activityType: 'push',
        actor: 'mallory',
        timestamp: '2026-10-02T09:00:00Z',
        before: null,
        after: old.sha,
      },
    });
    const changes = buildPopulation(evidenceOf({ branchCommits: [pushed] }), OCTOBER);
    expect(changes.map((c) => [c.type, c.commitSha, c.mergedAt])).toEqual([
      ['direct_push', old.sha, '2026-10-02T09:00:00Z'],
    ]);
    // …and not a September change, though committed then.
    expect(buildPopulation(evidenceOf({ branchCommits: [pushed] }), monthWindow('2026-09'))).toEqual([]);
  });

  it('makes a PR head pushed straight to main a direct push, not a PR change', () => {
    const pr = pullRequest(120, MERGED);
    const head = pr.doc.data.commits[0]!;
    // GitHub marks the PR merged with its head as "merge commit"; activity says push.
    const marked = pullRequest(120, MERGED, { mergeCommit: head });
    const pushed = branchCommit(head, {
      associatedPullRequests: [{ number: 120, mergedAt: MERGED, mergeCommitSha: head.sha, baseRef: 'main' }],
      activity: {
        id: 78,
        activityType: 'push',
        actor: 'alice',
        timestamp: MERGED,
        before: null,
        after: head.sha,
      },
    });
    const changes = buildPopulation(evidenceOf({ pullRequests: [marked], branchCommits: [pushed] }), OCTOBER);
    expect(changes.map((c) => [c.type, c.prNumber, c.markedMergedPullRequest])).toEqual([
      ['direct_push', null, 120],
    ]);
  });
});
