import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../emulator/generate-world.ts';
import { parseWorld, type World } from '../../emulator/world.ts';
import { collect } from '../../lambdas/collect/collect.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * Repository activity is read newest first and only as far back as the run needs: a month's
 * collection on a repository with four months of pushes reads about the month (the window, a
 * week before it for the commits, and back to its PRs' first commits for the pushers), not the
 * year GitHub would list — and still knows who pushed every commit and which push put every
 * default-branch commit there.
 */

const OCTOBER = monthWindow('2026-10');
const NOW = '2026-11-01T06:00:00Z';
const ACTIVITY_PATH = /^\/repos\/acme\/[^/]+\/activity$/;
const PAGE = 100;

let world: World;
let bed: CollectBed;

beforeAll(async () => {
  world = parseWorld(
    generateWorld({ seed: 'activity-reach', repos: 1, pullRequests: 900, now: NOW, days: 120 }),
  );
  bed = await openCollectBed(world);
  const summary = await collect(
    { store: bed.store, index: bed.index, github: bed.github, org: 'acme', clock: () => bed.now },
    { window: OCTOBER },
  );
  expect(summary.errors).toEqual([]);
}, 120_000);

afterAll(async () => {
  await bed?.close();
});

describe('repository activity read back only as far as the run needs', () => {
  it('asks the pages back to what the run needs, each once, well under the whole listing', async () => {
    const repo = world.repos[0];
    if (!repo) throw new Error('no repository generated');
    const asked = bed.emulator.requestLog.filter((entry) => ACTIVITY_PATH.test(entry.path));
    // The whole listing as GitHub serves it (every event the emulator derives), read afterwards.
    const listed = (
      await bed.github.paginate<{ timestamp: string }>('GET /repos/{owner}/{repo}/activity', {
        owner: 'acme',
        repo: repo.name,
        time_period: 'year',
        per_page: PAGE,
      })
    ).map((event) => Date.parse(event.timestamp));
    const wholeListing = Math.ceil(listed.length / PAGE);
    // What the run needs: a week before October (the commits), and every October PR's pushes,
    // back to its creation or first commit (the pushers).
    const committedAt = new Map(repo.commits.map((commit) => [commit.sha, Date.parse(commit.committedAt)]));
    const octoberPrs = repo.pullRequests.filter(
      (pr) => pr.mergedAt !== null && pr.mergedAt >= OCTOBER.from && pr.mergedAt < OCTOBER.to,
    );
    const since = Math.min(
      Date.parse(OCTOBER.from) - 7 * 86_400_000,
      ...octoberPrs.flatMap((pr) => [
        Date.parse(pr.createdAt),
        ...pr.commits.map((sha) => committedAt.get(sha) ?? Number.POSITIVE_INFINITY),
      ]),
    );
    // Newest first, the reading stops after the page holding the first event older than that.
    const needed = listed.filter((at) => at >= since).length;
    const expectedPages = Math.min(wholeListing, Math.floor(needed / PAGE) + 1);
    expect(wholeListing).toBeGreaterThanOrEqual(20);
    expect(asked).toHaveLength(expectedPages);
    expect(asked.length).toBeLessThan(wholeListing * 0.6);
  });

  it('still knows who pushed every commit of every October PR', async () => {
    const prs = [...(await bed.documents('pull-request')).values()];
    expect(prs.length).toBeGreaterThan(50);
    for (const pr of prs) {
      const pushers = pr.data.completeness.find((entry) => entry.field === 'pushers');
      // No entry: every commit's pusher is known.
      expect(pushers, `PR #${pr.data.number}`).toBeUndefined();
      for (const commit of pr.data.commits) expect(commit.pushedBy, `PR #${pr.data.number}`).toBeTruthy();
    }
  });

  it('dates every October default-branch commit by the push or merge that put it there', async () => {
    const commits = [...(await bed.documents('branch-commit')).values()];
    expect(commits.length).toBeGreaterThan(50);
    for (const commit of commits) expect(commit.data.activity, commit.itemId).not.toBeNull();
  });
});
