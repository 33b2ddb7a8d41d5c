import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPullRequests } from '../../lambdas/collect/pull-requests.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { addMinutes, WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * Pull requests far past every first page: each nested list must be followed to its end through
 * follow-up queries, and a search window past GitHub's 1,000-result cap must be split.
 */

const OCTOBER = monthWindow('2026-10');

describe('pull requests larger than one page', () => {
  let bed: CollectBed;
  let numbers: { commits: number; files: number; checks: number; busy: number };

  beforeAll(async () => {
    const builder = new WorldBuilder();
    const repo = builder.repo('monolith');
    const commits = repo.mergePullRequest({ mergedAt: '2026-10-05T10:00:00Z', commits: 300 });
    const files = repo.mergePullRequest({
      mergedAt: '2026-10-06T10:00:00Z',
      files: Array.from({ length: 3000 }, (_, i) => ({
        path: `src/generated/file-${i}.ts`,
        additions: i % 7,
        deletions: i % 3,
        changeType: 'ADDED' as const,
      })),
    });
    const checks = repo.mergePullRequest({ mergedAt: '2026-10-07T10:00:00Z' });
    for (let i = 0; i < 150; i++)
      repo.check(checks.headSha, { name: `shard-${i}`, startedAt: '2026-10-07T09:00:00Z' });
    const busy = repo.mergePullRequest({
      mergedAt: '2026-10-08T10:00:00Z',
      reviews: Array.from({ length: 130 }, (_, i) => ({
        author: `reviewer-${i}`,
        state: 'COMMENTED' as const,
      })),
      comments: Array.from({ length: 120 }, (_, i) => ({
        author: 'bob',
        createdAt: addMinutes('2026-10-08T10:00:00Z', i + 1),
        body: `comment ${i}`,
      })),
      labels: Array.from({ length: 60 }, (_, i) => ({
        name: `area-${i}`,
        addedBy: 'bob',
        addedAt: '2026-10-08T09:00:00Z',
        removedAt: i % 2 === 0 ? '2026-10-08T09:30:00Z' : null,
      })),
    });
    for (let i = 0; i < 130; i++) builder.user(`reviewer-${i}`);
    numbers = { commits: commits.number, files: files.number, checks: checks.number, busy: busy.number };
    bed = await openCollectBed(builder.build());
  });
  afterAll(async () => {
    await bed.close();
  });

  it('collects a PR with 300 commits, 3,000 files, 150 checks and 130 reviews whole', async () => {
    const ctx = await bed.context();

    const result = await collectPullRequests(ctx, bed.repo('monolith'), OCTOBER);

    expect(result.pullRequests).toBe(4);
    const docs = await bed.documents('pull-request');
    const withCommits = docs.get(`acme/monolith#${numbers.commits}`)?.data;
    expect(withCommits?.commits).toHaveLength(300);
    expect(new Set(withCommits?.commits.map((commit) => commit.sha)).size).toBe(300);
    expect(withCommits?.commits.at(-1)?.sha).toBe(withCommits?.headSha);
    const withFiles = docs.get(`acme/monolith#${numbers.files}`)?.data;
    expect(withFiles?.files).toHaveLength(3000);
    expect(withFiles?.files.at(-1)?.path).toBe('src/generated/file-2999.ts');
    const withChecks = docs.get(`acme/monolith#${numbers.checks}`)?.data;
    expect(withChecks?.checks).toHaveLength(150);
    expect(new Set(withChecks?.checks.map((check) => check.name)).size).toBe(150);
    const busy = docs.get(`acme/monolith#${numbers.busy}`)?.data;
    expect(busy?.reviews).toHaveLength(130);
    expect(busy?.comments).toHaveLength(120);
    expect(busy?.labelEvents).toHaveLength(90);
    expect(busy?.labels).toHaveLength(30);
    for (const doc of docs.values()) expect(doc.data.completeness).toEqual([]);
    // The long lists are read from both ends at once: the 3,000 files in 15 follow-ups after the
    // search, not 29 (every other list finishes within those). Activity is the one REST listing.
    expect(ctx.github.cost.requests - ctx.github.cost.restRequests).toBe(1 + 15);
  });
});

describe('a window with more merged PRs than one search returns', () => {
  it('splits the window below the 1,000-result cap and misses none', async () => {
    const builder = new WorldBuilder({ start: '2026-09-30T00:00:00Z' });
    const repo = builder.repo('busy');
    const expected: number[] = [];
    for (let i = 0; i < 1100; i++) {
      const mergedAt = new Date(Date.parse('2026-10-01T00:30:00Z') + i * 35 * 60_000)
        .toISOString()
        .replace('.000Z', 'Z');
      expected.push(repo.mergePullRequest({ mergedAt, files: [] }).number);
    }
    const bed = await openCollectBed(builder.build());
    try {
      const ctx = await bed.context();

      const result = await collectPullRequests(ctx, bed.repo('busy'), OCTOBER);

      expect(result.searchRanges).toBeGreaterThan(1);
      const stored = (await bed.entries('pull-request'))
        .map((entry) => Number(entry.itemId))
        .sort((a, b) => a - b);
      expect(stored).toEqual(expected.sort((a, b) => a - b));
      // Batched: far fewer requests than PRs.
      expect(bed.github.cost.requests / expected.length).toBeLessThanOrEqual(0.1);
    } finally {
      await bed.close();
    }
  });
});
