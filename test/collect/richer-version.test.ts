import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectDeps, collect } from '../../lambdas/collect/collect.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { addMinutes, WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * A re-collection never replaces a richer stored document with a poorer one: collected on
 * 1 November with repository activity, collected again when activity is out of reach, the index
 * stays on the first version and the run records the attempt.
 */

const OCTOBER = monthWindow('2026-10');

function world(now: string) {
  const builder = new WorldBuilder({ start: '2026-10-01T00:00:00Z', now });
  const repo = builder.repo('api');
  const before = repo.head();
  const mergedAt = '2026-10-05T10:00:00Z';
  const pr = repo.mergePullRequest({ mergedAt });
  repo.activity({
    timestamp: addMinutes(mergedAt, 0),
    before,
    after: pr.mergeCommit as string,
    activityType: 'pr_merge',
    actor: 'octocat',
  });
  return { world: builder.build(), mergeCommit: pr.mergeCommit as string };
}

function depsOf(bed: CollectBed): CollectDeps {
  return { store: bed.store, index: bed.index, github: bed.github, org: 'acme', clock: () => bed.now };
}

describe('re-collecting with a source now out of reach', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cm01-richer-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the richer version current and records the attempt', async () => {
    const first = world('2026-11-01T06:00:00Z');
    const early = await openCollectBed(first.world, { dir });
    let richVersion: string;
    try {
      await collect(depsOf(early), { window: OCTOBER, kinds: ['commits'] });
      const [entry] = (await early.index.queryRepo('acme/api', { kind: 'branch-commit' })).filter(
        (row) => row.itemId === first.mergeCommit,
      );
      richVersion = entry!.versionId;
      const doc = (await early.documents('branch-commit')).get(`acme/api#${first.mergeCommit}`);
      expect(doc?.data.activity?.activityType).toBe('pr_merge');
    } finally {
      await early.close();
    }

    // More than a year later, activity of October is out of GitHub's reach.
    const late = await openCollectBed(world('2027-12-01T06:00:00Z').world, { dir });
    try {
      const summary = await collect(depsOf(late), { window: OCTOBER, kinds: ['commits'] });
      const [entry] = (await late.index.queryRepo('acme/api', { kind: 'branch-commit' })).filter(
        (row) => row.itemId === first.mergeCommit,
      );
      expect(entry?.versionId).toBe(richVersion);
      const doc = (await late.documents('branch-commit')).get(`acme/api#${first.mergeCommit}`);
      expect(doc?.data.activity?.activityType).toBe('pr_merge');
      expect(summary.counts['branch-commit'] ?? 0).toBe(0);
      const runs = await late.documents('collection-run');
      const run = [...runs.values()].find((r) => r.data.runId === summary.runId);
      expect(run?.data.keptRicher).toContainEqual({
        kind: 'branch-commit',
        repo: 'acme/api',
        itemId: first.mergeCommit,
        lacks: 'no repository-activity event',
      });
    } finally {
      await late.close();
    }
  });
});
