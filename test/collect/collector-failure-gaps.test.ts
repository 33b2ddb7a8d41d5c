import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubClient } from '../../lambdas/adapters/github/client.ts';
import { type CollectDeps, collect } from '../../lambdas/collect/collect.ts';
import { evaluatePeriod } from '../../lambdas/core/evaluate-period.ts';
import { shippedProfile } from '../../lambdas/core/shipped-profiles.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { loadPeriodEvidence } from '../../lambdas/pack/load-evidence.ts';
import { addMinutes, WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * A kind that fails for a repository is recorded as the typed gap of the evidence it withholds,
 * and the verdicts that rest on that evidence read it as unknown — never as "not deployed".
 */

const OCTOBER = monthWindow('2026-10');

function world() {
  const builder = new WorldBuilder({ start: '2026-09-25T00:00:00Z' });
  for (const slug of ['sre', 'security-champs', 'incident-commanders', 'override-approvers'])
    builder.team(slug, ['dave']);
  const repo = builder.repo('api');
  const pr = repo.mergePullRequest({ mergedAt: '2026-10-05T10:00:00Z' });
  repo.deployment({
    sha: pr.mergeCommit as string,
    environment: 'production',
    productionEnvironment: true,
    createdAt: addMinutes('2026-10-05T10:00:00Z', 30),
  });
  return builder.build();
}

/**
 * The one fault no emulator plan shows reliably: the deployments listing failing every time,
 * after the client's retries, with an error that is not a permission refusal.
 */
function failingDeployments(github: GitHubClient): GitHubClient {
  return new Proxy(github, {
    get(target, property, receiver) {
      if (property === 'paginate' || property === 'rest') {
        return (route: string, ...rest: unknown[]) => {
          if (route.includes('/deployments')) {
            return Promise.reject(new Error(`${route}: HTTP 502 after 5 retries`));
          }
          return (target[property] as (...args: unknown[]) => Promise<unknown>)(route, ...rest);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

describe('a collector that fails for one kind', () => {
  let bed: CollectBed;
  beforeAll(async () => {
    bed = await openCollectBed(world());
  });
  afterAll(async () => {
    await bed.close();
  });

  it('records the gap of deployments, and the pack reads CD-PIPELINE and the failure rate as unknown', async () => {
    const deps: CollectDeps = {
      store: bed.store,
      index: bed.index,
      github: failingDeployments(bed.github),
      org: 'acme',
      clock: () => bed.now,
    };
    const summary = await collect(deps, {
      window: OCTOBER,
      kinds: ['pull-requests', 'commits', 'deployments', 'protection', 'teams'],
    });

    expect(summary.gaps.filter((gap) => gap.withholds !== 'repository-activity')).toEqual([
      expect.objectContaining({
        withholds: 'deployments',
        repo: 'acme/api',
        window: { from: OCTOBER.from, to: OCTOBER.to },
      }),
    ]);
    const loaded = await loadPeriodEvidence(bed.store, bed.index, OCTOBER);
    const profile = shippedProfile('clerk-cm01');
    const model = evaluatePeriod({
      org: 'acme',
      window: OCTOBER,
      profile: profile.profile,
      profileSource: profile.source,
      toolVersion: 'test',
      evidence: loaded.evidence,
      retention: {
        store: 'local',
        location: 'local',
        immutable: true,
        versioning: 'Enabled',
        objectLock: { enabled: true, mode: 'COMPLIANCE', days: 365 },
        lifecycle: [],
        notes: [],
      },
      manifest: loaded.manifest,
    });
    const row = model.population.find((r) => r.changeType === 'pull_request')!;
    expect(row.verdicts['CD-PIPELINE']).toBe('unknown');
    expect(row.verdicts.ROLLBACK).toBe('unknown');
    expect(model.metrics[0]!.verdict).toBe('unknown');
    expect(model.gaps.map((gap) => gap.withholds)).toContain('deployments');
    // Nothing else rests on deployments: the pull request's other verdicts stand.
    expect(row.verdicts['PR-REQUIRED']).toBe('pass');
  });
});

describe('a direct push on a plan without the audit log', () => {
  let bed: CollectBed;
  let pushed: string;
  beforeAll(async () => {
    const builder = new WorldBuilder({ start: '2026-09-25T00:00:00Z', plan: 'team' });
    for (const slug of ['sre', 'security-champs', 'incident-commanders', 'override-approvers'])
      builder.team(slug, ['dave']);
    const repo = builder.repo('api');
    const before = repo.head();
    pushed = repo.pushCommit({ message: 'hotfix', author: 'mallory', at: '2026-10-10T08:00:00Z' });
    repo.activity({
      timestamp: '2026-10-10T08:00:00Z',
      before,
      after: pushed,
      activityType: 'push',
      actor: 'mallory',
    });
    bed = await openCollectBed(builder.build());
  });
  afterAll(async () => {
    await bed.close();
  });

  it('is unknown for OVERRIDE and a failure of PR-REQUIRED naming the audit log', async () => {
    const deps: CollectDeps = {
      store: bed.store,
      index: bed.index,
      github: bed.github,
      org: 'acme',
      clock: () => bed.now,
    };
    await collect(deps, {
      window: OCTOBER,
      kinds: ['pull-requests', 'commits', 'overrides', 'protection', 'teams'],
    });
    const loaded = await loadPeriodEvidence(bed.store, bed.index, OCTOBER);
    const profile = shippedProfile('clerk-cm01');
    const model = evaluatePeriod({
      org: 'acme',
      window: OCTOBER,
      profile: profile.profile,
      profileSource: profile.source,
      toolVersion: 'test',
      evidence: loaded.evidence,
      retention: {
        store: 'local',
        location: 'local',
        immutable: true,
        versioning: 'Enabled',
        objectLock: { enabled: true, mode: 'COMPLIANCE', days: 365 },
        lifecycle: [],
        notes: [],
      },
      manifest: loaded.manifest,
    });
    const row = model.population.find((r) => r.commitSha === pushed)!;
    expect(row.changeType).toBe('direct_push');
    expect(row.verdicts.OVERRIDE).toBe('unknown');
    expect(row.verdicts['PR-REQUIRED']).toBe('fail');
    const failure = model.exceptions.find((e) => e.commitSha === pushed && e.control === 'PR-REQUIRED');
    expect(failure?.reason).toContain('the organisation audit log (override events)');
    expect(model.unknowns.byCause.map((entry) => entry.cause)).toContain('audit-log');
  });
});
