import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorld, type World } from '../../emulator/world.ts';
import { collect } from '../../lambdas/collect/collect.ts';
import { inWindow, monthWindow } from '../../lambdas/core/window.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * The bundled demo organisation, October 2026: the population the collectors store is exactly
 * what the world file holds, computed here independently from the file.
 */

const OCTOBER = monthWindow('2026-10');
const WORLD_FILE = new URL('../../emulator/worlds/demo.world.json', import.meta.url);

function expectedPopulation(world: World) {
  const pullRequests: string[] = [];
  const commits: string[] = [];
  const directPushes: string[] = [];
  for (const repo of world.repos) {
    const full = `${world.org}/${repo.name}`;
    for (const pr of repo.pullRequests) {
      if (pr.mergedAt && pr.baseRef === repo.defaultBranch && inWindow(pr.mergedAt, OCTOBER)) {
        pullRequests.push(`${full}#${pr.number}`);
      }
    }
    const bySha = new Map(repo.commits.map((commit) => [commit.sha, commit]));
    const reachable = new Set<string>();
    const stack = [repo.branches[repo.defaultBranch] as string];
    while (stack.length > 0) {
      const sha = stack.pop() as string;
      if (reachable.has(sha)) continue;
      reachable.add(sha);
      stack.push(...(bySha.get(sha)?.parents ?? []));
    }
    // A commit the branch moved to is dated by that move (a commit made on 29 September and
    // pushed on 2 October is October's); the others by their commit date.
    const movedAt = new Map(repo.activity.map((event) => [event.after, event.timestamp]));
    for (const sha of reachable) {
      const commit = bySha.get(sha);
      if (commit && inWindow(movedAt.get(sha) ?? commit.committedAt, OCTOBER)) commits.push(`${full}#${sha}`);
    }
    const inPullRequests = new Set(repo.pullRequests.flatMap((pr) => [...pr.commits, pr.mergeCommit ?? '']));
    for (const event of repo.activity) {
      if (
        event.activityType === 'push' &&
        inWindow(event.timestamp, OCTOBER) &&
        !inPullRequests.has(event.after)
      ) {
        directPushes.push(`${full}#${event.after}`);
      }
    }
  }
  return { pullRequests: pullRequests.sort(), commits: commits.sort(), directPushes: directPushes.sort() };
}

describe('the demo organisation, October 2026', () => {
  let bed: CollectBed;
  let expected: ReturnType<typeof expectedPopulation>;

  beforeAll(async () => {
    const world = parseWorld(JSON.parse(await readFile(WORLD_FILE, 'utf8')));
    expected = expectedPopulation(world);
    bed = await openCollectBed(world);
    await collect(
      { store: bed.store, index: bed.index, github: bed.github, org: world.org, clock: () => bed.now },
      { window: OCTOBER, kinds: ['pull-requests', 'commits'] },
    );
  });
  afterAll(async () => {
    await bed.close();
  });

  it('stores every PR merged into a default branch in October', async () => {
    expect(expected.pullRequests.length).toBeGreaterThan(0);
    expect([...(await bed.documents('pull-request')).keys()].sort()).toEqual(expected.pullRequests);
  });

  it('stores every default-branch commit that reached the branch in October', async () => {
    expect([...(await bed.documents('branch-commit')).keys()].sort()).toEqual(expected.commits);
  });

  it('finds the direct push to a default branch', async () => {
    expect(expected.directPushes.length).toBeGreaterThan(0);
    const found = (await bed.entries('branch-commit'))
      .filter((entry) => entry.attributes?.directPush === true)
      .map((entry) => `${entry.repo}#${entry.itemId}`)
      .sort();
    expect(found).toEqual(expect.arrayContaining(expected.directPushes));
  });
});
