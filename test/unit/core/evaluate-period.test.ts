import { describe, expect, it } from 'vitest';
import { evaluatePeriod, type PeriodEvaluationInput } from '../../../lambdas/core/evaluate-period.ts';
import { shippedProfile } from '../../../lambdas/core/shipped-profiles.ts';
import { monthWindow, rangeWindow } from '../../../lambdas/core/window.ts';
import { canonicalJson, sha256Hex } from '../../../lambdas/evidence/canonical-json.ts';
import type { RetentionStatus } from '../../../lambdas/evidence/ports.ts';
import {
  CLERK,
  collectionRun,
  deployment,
  directPush,
  evidenceOf,
  mergeOf,
  OCTOBER,
  pipeline,
  pullRequest,
  S3_RETENTION,
  sha,
} from './builders.ts';

function input(parts: Partial<PeriodEvaluationInput>): PeriodEvaluationInput {
  const evidence = parts.evidence ?? evidenceOf({});
  const manifest = [
    ...evidence.pullRequests,
    ...evidence.branchCommits,
    ...evidence.deployments,
    ...evidence.branchProtection,
    ...evidence.teams,
  ].map((item) => ({
    key: item.ref.key,
    versionId: item.ref.versionId,
    sha256: sha256Hex(item.ref.key),
    retainUntil: '2027-12-01T00:00:00.000Z',
    writtenAt: '2026-11-01T06:00:00.000Z',
  }));
  return {
    org: 'acme',
    window: OCTOBER,
    profile: CLERK,
    profileSource: shippedProfile('clerk-cm01').source,
    toolVersion: 'cm01-evidence/test',
    evidence,
    retention: S3_RETENTION,
    manifest,
    ...parts,
  };
}

function octoberEvidence() {
  const good = pullRequest(101, '2026-10-05T12:00:00.000Z');
  const unreviewed = pullRequest(102, '2026-10-06T12:00:00.000Z', {
    reviews: [],
    title: 'No ticket here',
    headRef: 'x',
  });
  const push = directPush('hotfix', '2026-10-07T08:00:00.000Z', 'mallory');
  return evidenceOf({
    pullRequests: [good, unreviewed],
    branchCommits: [mergeOf(good), mergeOf(unreviewed), push],
    deployments: [
      ...pipeline(10, sha('merge-101'), '2026-10-05T12:10:00.000Z'),
      deployment(90, sha('elsewhere'), 'production', '2026-10-20T10:00:00.000Z'),
    ],
  });
}

describe('evaluatePeriod', () => {
  it('judges each change by the profile version in force when it was merged', () => {
    const window = rangeWindow('2026-04-15T00:00:00Z', '2026-05-15T00:00:00Z');
    const april = pullRequest(201, '2026-04-20T10:00:00.000Z', { reviews: [] });
    const may = pullRequest(202, '2026-05-02T10:00:00.000Z', { reviews: [] });
    const model = evaluatePeriod(
      input({
        window,
        evidence: evidenceOf({ pullRequests: [april, may], branchCommits: [mergeOf(april), mergeOf(may)] }),
      }),
    );
    const rows = model.population.map((row) => [
      row.prNumber,
      row.profileVersion,
      row.verdicts['PEER-REVIEW'],
    ]);
    expect(rows).toEqual([
      [201, 'v1.0', 'fail'],
      [202, 'v1.1', 'fail'],
    ]);
    const peerExceptions = model.exceptions.filter((e) => e.control === 'PEER-REVIEW').map((e) => e.prNumber);
    expect(peerExceptions).toEqual([201]);
    const summary = model.controls.find((c) => c.id === 'PEER-REVIEW')!;
    expect(summary).toMatchObject({
      fail: 2,
      exceptions: 1,
      requirement: 'required (v1.0) / informational (v1.1)',
    });
    expect(model.profile.versions.map((v) => v.version)).toEqual(['v1.0', 'v1.1']);
  });

  it('lists exceptions with the change, the rule in plain words and the evidence object', () => {
    const model = evaluatePeriod(input({ evidence: octoberEvidence() }));
    const ticket = model.exceptions.find((e) => e.control === 'TICKET-LINKED' && e.prNumber === 102)!;
    expect(ticket.reason).toContain('PR #102 names no ticket');
    expect(ticket.evidenceKey).toBe('evidence/acme/payments-api/pull-request/2026/10/102.json');
    expect(ticket.evidenceVersion).toBe('v-102');
    const push = model.exceptions.find((e) => e.control === 'PR-REQUIRED')!;
    expect(push).toMatchObject({ changeType: 'direct_push', prNumber: null, commitSha: sha('hotfix') });
    expect(model.population.map((row) => [row.changeType, row.prNumber])).toEqual([
      ['pull_request', 101],
      ['pull_request', 102],
      ['direct_push', null],
    ]);
    expect(Object.keys(model.population[0]!.verdicts)).toEqual(model.controlIds);
  });

  it('reconciles commits, PRs and deployments in plain words', () => {
    const { completeness } = evaluatePeriod(input({ evidence: octoberEvidence() }));
    expect(completeness).toMatchObject({
      defaultBranchCommits: 3,
      mergedPullRequests: 2,
      directPushes: 1,
      productionDeployments: 2,
    });
    const notes = completeness.differences.map((d) => d.note);
    expect(notes).toContain(
      `production deployment 90 at 2026-10-20T10:00:00.000Z deployed ${sha('elsewhere').slice(0, 7)}, which is not among the default-branch commits of the period (an older commit, or one not on the default branch)`,
    );
    expect(
      notes.some((n) =>
        n.startsWith(`commit ${sha('hotfix').slice(0, 7)} was pushed directly to main by mallory`),
      ),
    ).toBe(true);
    expect(notes).toContain(
      `not shipped in the period: PR #102 (${sha('merge-102').slice(0, 7)}) was not deployed to production successfully by the settle time 2026-11-03T06:00:00.000Z`,
    );
    expect(notes.some((n) => n.includes('PR #101'))).toBe(false);
  });

  it('names a merged PR whose merge commit is not in the branch history', () => {
    const pr = pullRequest(301, '2026-10-05T12:00:00.000Z');
    const { completeness } = evaluatePeriod(input({ evidence: evidenceOf({ pullRequests: [pr] }) }));
    expect(completeness.differences.map((d) => d.note)).toContain(
      `merged PR #301's merge commit ${sha('merge-301').slice(0, 7)} is not in the main history collected for the period`,
    );
  });

  it('computes the change-failure rate over production deployments of the period', () => {
    const evidence = octoberEvidence();
    const failing = {
      ...evidence,
      deployments: [
        ...evidence.deployments,
        deployment(91, sha('merge-102'), 'production', '2026-10-21T10:00:00.000Z', 'failure'),
      ],
    };
    const model = evaluatePeriod(input({ evidence: failing }));
    const [metric] = model.metrics;
    expect(metric).toMatchObject({
      id: 'CHANGE-FAILURE-RATE',
      numerator: 1,
      denominator: 3,
      threshold: 0.03,
      verdict: 'fail',
    });
    expect(metric!.rate).toBeCloseTo(1 / 3);
    expect(model.population.every((row) => row.verdicts['CHANGE-FAILURE-RATE'] === 'fail')).toBe(true);
    expect(evaluatePeriod(input({ evidence })).metrics[0]).toMatchObject({
      numerator: 0,
      denominator: 2,
      rate: 0,
      verdict: 'pass',
    });
  });

  it('fails RETENTION for a local store that is not immutable, and for objects retained too briefly', () => {
    const local: RetentionStatus = {
      store: 'local',
      location: 'local:/tmp/x',
      immutable: false,
      versioning: 'Enabled',
      objectLock: { enabled: false },
      lifecycle: [],
      notes: ['local directory: not immutable'],
    };
    const model = evaluatePeriod(input({ evidence: octoberEvidence(), retention: local }));
    expect(model.retention).toMatchObject({ verdict: 'fail', immutable: false, lockMode: 'none' });
    expect(model.retention.notes.join()).toContain('does not enforce immutability');
    const base = input({ evidence: octoberEvidence() });
    const brief = evaluatePeriod({
      ...base,
      manifest: base.manifest.map((m, i) =>
        i === 0 ? { ...m, retainUntil: '2027-06-01T00:00:00.000Z' } : m,
      ),
    });
    expect(brief.retention.verdict).toBe('fail');
    expect(brief.retention.notes.join()).toContain('retained less than 365 days');
    expect(evaluatePeriod(base).retention.verdict).toBe('pass');
  });

  it('reports collector gaps and never turns a missing source into a pass', () => {
    const evidence = {
      ...octoberEvidence(),
      runs: [
        collectionRun([{ withholds: 'deployments', repo: 'acme/payments-api', reason: '502 from GitHub' }]),
      ],
    };
    const model = evaluatePeriod(input({ evidence }));
    expect(model.gaps).toEqual([
      {
        withholds: 'deployments',
        repo: 'acme/payments-api',
        window: { from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' },
        reason: '502 from GitHub',
      },
    ]);
    expect(model.population.find((row) => row.prNumber === 102)!.verdicts['CD-PIPELINE']).toBe('unknown');
    expect(model.metrics[0]!.verdict).toBe('unknown');
  });

  it('is deterministic: the same evidence in any order gives a deep-equal model and manifest digest', () => {
    const evidence = octoberEvidence();
    const first = evaluatePeriod(input({ evidence }));
    const shuffled = {
      ...evidence,
      pullRequests: [...evidence.pullRequests].reverse(),
      branchCommits: [...evidence.branchCommits].reverse(),
      deployments: [...evidence.deployments].reverse(),
    };
    const base = input({ evidence });
    const second = evaluatePeriod({ ...base, evidence: shuffled, manifest: [...base.manifest].reverse() });
    expect(second).toEqual(first);
    expect(canonicalJson(second)).toBe(canonicalJson(first));
    expect(first.manifestDigest).toBe(sha256Hex(canonicalJson(first.manifest)));
    expect(first.generatedAt).toBe('2026-11-01T06:00:00.000Z');
    expect(
      first.manifest.every(
        (entry) => Object.keys(entry).sort().join() === 'key,retainUntil,sha256,versionId',
      ),
    ).toBe(true);
  });

  it('summarises every control with its title and how it is decided', () => {
    const model = evaluatePeriod(input({ evidence: octoberEvidence(), window: monthWindow('2026-10') }));
    expect(model.controls.map((c) => c.id)).toEqual(model.controlIds);
    for (const control of model.controls) {
      expect(control.title.length).toBeGreaterThan(10);
      expect(control.howDecided.length).toBeGreaterThan(80);
      expect(control.pass + control.fail + control.notApplicable + control.unknown).toBe(
        model.population.length,
      );
    }
  });
});

describe('a production deployment of code that never reached the default branch', () => {
  it('is a production_deploy population item of its own: PR-REQUIRED and SEGREGATION fail, CD-PIPELINE judges it', () => {
    const pr = pullRequest(101, '2026-10-05T12:00:00.000Z');
    const byHand = deployment(7001, sha('local-build'), 'production', '2026-10-09T15:00:00.000Z', 'success', {
      ref: 'alice/try-fix',
      creator: { login: 'alice', type: 'User' },
    });
    const evidence = evidenceOf({
      pullRequests: [pr],
      branchCommits: [mergeOf(pr)],
      deployments: [...pipeline(1010, pr.doc.data.mergeCommit!.sha, '2026-10-05T12:10:00.000Z'), byHand],
    });
    for (const profile of [CLERK, shippedProfile('clicki').profile]) {
      const model = evaluatePeriod(input({ evidence, profile }));
      const row = model.population.find((r) => r.changeType === 'production_deploy');
      expect(row).toMatchObject({ commitSha: sha('local-build'), author: 'alice' });
      expect(row?.verdicts['PR-REQUIRED']).toBe('fail');
      expect(row?.verdicts.SEGREGATION).toBe('fail');
      expect(row?.verdicts['CD-PIPELINE']).toBe('fail');
      expect(row?.verdicts['PEER-REVIEW']).toBe('not_applicable');
      expect(
        model.exceptions.some((e) => e.changeType === 'production_deploy' && e.control === 'PR-REQUIRED'),
      ).toBe(true);
      // The merged PR's own pipeline deployment is no such item.
      expect(model.population.filter((r) => r.changeType === 'production_deploy')).toHaveLength(1);
    }
  });
});
