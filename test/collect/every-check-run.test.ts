import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../lambdas/collect/collect.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * Every run of every check of a PR whose rollup shows a run after the merge: the rollup keeps
 * only the latest run of each check, so the passing run before the merge and the failing re-run
 * after it are both read — in one list of the head commit's runs (every suite's), counted at the
 * emulator over HTTP, not the suites and then each suite's runs.
 */

const OCTOBER = monthWindow('2026-10');

describe('a PR whose check was re-run after the merge', () => {
  const builder = new WorldBuilder({ start: '2026-10-05T00:00:00Z', now: '2026-11-01T06:00:00Z' });
  const repo = builder.repo('api');
  const pr = repo.mergePullRequest({ author: 'alice', mergedAt: '2026-10-10T10:00:00Z' });
  repo.check(pr.headSha, { name: 'unit', startedAt: '2026-10-10T09:00:00Z', conclusion: 'SUCCESS' });
  repo.check(pr.headSha, { name: 'sca', app: 'snyk', startedAt: '2026-10-10T09:01:00Z' });
  // Re-run after the merge, failing: the rollup shows only this one.
  repo.check(pr.headSha, { name: 'unit', startedAt: '2026-10-10T12:00:00Z', conclusion: 'FAILURE' });
  const settled = repo.mergePullRequest({ author: 'bob', mergedAt: '2026-10-12T10:00:00Z' });
  repo.check(settled.headSha, { name: 'unit', startedAt: '2026-10-12T09:00:00Z' });
  const world = builder.build();
  let bed: CollectBed;
  beforeAll(async () => {
    bed = await openCollectBed(world);
    await collect(
      { store: bed.store, index: bed.index, github: bed.github, org: 'acme', clock: () => bed.now },
      { window: OCTOBER, kinds: ['pull-requests'] },
    );
  });
  afterAll(async () => {
    await bed.close();
  });

  it('keeps every run of every suite, the pass before the merge and the re-run after it', async () => {
    const doc = (await bed.documents('pull-request')).get(`acme/api#${pr.number}`);
    const runs = doc?.data.checks.map((check) => [check.name, check.app, check.conclusion, check.startedAt]);
    expect(runs).toEqual([
      ['unit', 'github-actions', 'SUCCESS', '2026-10-10T09:00:00Z'],
      ['sca', 'snyk', 'SUCCESS', '2026-10-10T09:01:00Z'],
      ['unit', 'github-actions', 'FAILURE', '2026-10-10T12:00:00Z'],
    ]);
    // Each run names its own suite: two apps, two suites.
    const suites = new Set(doc?.data.checks.map((check) => check.suiteId));
    expect(suites.size).toBe(2);
    expect(doc?.data.completeness.filter((entry) => entry.field === 'checks')).toEqual([]);
  });

  it('reads them in one request, and nothing for a PR whose checks all settled before its merge', () => {
    const paths = bed.emulator.requestLog.map((entry) => entry.path);
    expect(paths.filter((path) => path.endsWith('/check-runs'))).toEqual([
      `/repos/acme/api/commits/${pr.headSha}/check-runs`,
    ]);
    expect(paths.filter((path) => path.includes('/check-suites'))).toEqual([]);
  });
});
