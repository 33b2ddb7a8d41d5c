import { describe, expect, it } from 'vitest';
import { evaluatePeriod } from '../../../lambdas/core/evaluate-period.ts';
import type { PeriodEvidence } from '../../../lambdas/core/period-evidence.ts';
import type { Profile } from '../../../lambdas/core/profile.ts';
import { shippedProfile } from '../../../lambdas/core/shipped-profiles.ts';
import {
  CLERK,
  deployment,
  evidenceOf,
  judge,
  mergeOf,
  OCTOBER,
  only,
  pipeline,
  pullRequest,
  S3_RETENTION,
  sha,
} from './builders.ts';

/** controls.md "Deployments at the edges". */

function change(number: number, mergedAt: string) {
  const pr = pullRequest(number, mergedAt);
  return { pr, merge: mergeOf(pr), mergeSha: sha(`merge-${number}`) };
}

function cfr(evidence: PeriodEvidence) {
  return evaluatePeriod({
    org: 'acme',
    window: OCTOBER,
    profile: CLERK,
    profileSource: shippedProfile('clerk-cm01').source,
    toolVersion: 'test',
    evidence,
    retention: S3_RETENTION,
    manifest: [],
  }).metrics[0]!;
}

describe('a change merged on the 31st and deployed on the 1st', () => {
  const late = change(131, '2026-10-31T23:00:00.000Z');

  it('is judged by the deployment made before the settle time', () => {
    const evidence = evidenceOf({
      pullRequests: [late.pr],
      branchCommits: [late.merge],
      deployments: pipeline(500, late.mergeSha, '2026-11-01T01:00:00.000Z'),
    });
    const result = only(judge('CD-PIPELINE', evidence), 131);
    expect(result.verdict).toBe('pass');
    expect(only(judge('ROLLBACK', evidence), 131).verdict).toBe('pass');
    // The period's change-failure rate counts deployments made in the period only.
    expect(cfr(evidence).denominator).toBe(0);
  });

  it('is not shipped in the period when deployed only after the settle time', () => {
    const evidence = evidenceOf({
      pullRequests: [late.pr],
      branchCommits: [late.merge],
      deployments: pipeline(500, late.mergeSha, '2026-11-03T07:00:00.000Z'),
    });
    const result = only(judge('CD-PIPELINE', evidence), 131);
    expect(result.verdict).toBe('not_applicable');
    expect(result.reasons[0]).toMatch(/^not shipped in the period/);
    expect(only(judge('ROLLBACK', evidence), 131).verdict).toBe('not_applicable');
  });
});

describe('staging and canary evidence', () => {
  const early = change(101, '2026-10-01T08:00:00.000Z');
  const evidence = evidenceOf({
    pullRequests: [early.pr],
    branchCommits: [early.merge],
    deployments: [
      deployment(1, early.mergeSha, 'staging', '2026-10-01T09:00:00.000Z'),
      deployment(2, early.mergeSha, 'canary', '2026-10-01T10:00:00.000Z'),
      deployment(3, early.mergeSha, 'production', '2026-10-12T09:00:00.000Z'),
    ],
  });

  it('counts staging and canary up to 14 days before the production deployment', () => {
    expect(only(judge('CD-PIPELINE', evidence), 101).verdict).toBe('pass');
  });

  it('does not count them beyond the profile’s look-back', () => {
    const shortLookback: Profile = {
      ...CLERK,
      parameters: { ...CLERK.parameters, pipelineLookbackDays: 7 },
    };
    const result = only(judge('CD-PIPELINE', evidence, { profile: shortLookback }), 101);
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toContain('was not deployed successfully to staging before it');
  });
});

describe('a canary GitHub flags production_environment', () => {
  it('is the canary stage, not a production deployment', () => {
    const merged = change(101, '2026-10-05T12:00:00.000Z');
    const deployments = pipeline(10, merged.mergeSha, '2026-10-05T12:10:00.000Z');
    const canary = deployments[1]!;
    const flagged = {
      ...canary,
      doc: { ...canary.doc, data: { ...canary.doc.data, productionEnvironment: true } },
    };
    const evidence = evidenceOf({
      pullRequests: [merged.pr],
      branchCommits: [merged.merge],
      deployments: [deployments[0]!, flagged, deployments[2]!],
    });

    expect(only(judge('CD-PIPELINE', evidence), 101).verdict).toBe('pass');
    expect(cfr(evidence).denominator).toBe(1);
  });
});
