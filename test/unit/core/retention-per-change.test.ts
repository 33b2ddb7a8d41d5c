import { describe, expect, it } from 'vitest';
import { changeEvidence } from '../../../lambdas/core/change.ts';
import { retention } from '../../../lambdas/core/controls/retention.ts';
import { dedupeRefs } from '../../../lambdas/core/controls/rule.ts';
import { buildPeriodFacts } from '../../../lambdas/core/facts.ts';
import { judgeRetention } from '../../../lambdas/core/period-metrics.ts';
import { buildPopulation } from '../../../lambdas/core/population.ts';
import { profileVersionAt } from '../../../lambdas/core/profile.ts';
import { CLERK, evidenceOf, mergeOf, OCTOBER, pullRequest, S3_RETENTION } from './builders.ts';

describe('RETENTION on each change when the period fails it', () => {
  const prs = [101, 102, 103].map((n) => pullRequest(n, `2026-10-0${n - 97}T12:00:00.000Z`));
  const evidence = evidenceOf({ pullRequests: prs, branchCommits: prs.map((pr) => mergeOf(pr)) });
  // A bucket whose versions are kept 30 days: every object of the month is retained too short.
  const manifest = Array.from({ length: 5_000 }, (_, i) => ({
    key: `evidence/acme/other/deployment/2026/10/${i}.json`,
    versionId: `v${i}`,
    sha256: 'a'.repeat(64),
    retainUntil: '2026-11-30T00:00:00Z',
    writtenAt: '2026-10-31T00:00:00Z',
  }));
  const period = judgeRetention(S3_RETENTION, manifest, CLERK.parameters, new Map()).verdict;
  const facts = buildPeriodFacts(evidence, OCTOBER, [], CLERK.parameters.cdkRepositories);
  const changes = buildPopulation(evidence, OCTOBER);

  it('fails every change with the period reasons, citing the change\u2019s own evidence only', () => {
    expect(period.verdict).toBe('fail');
    expect(period.evidence).toHaveLength(5_000);
    expect(changes).toHaveLength(3);
    for (const change of changes) {
      const judged = retention.evaluate(change, {
        facts,
        version: profileVersionAt(CLERK, change.mergedAt),
        parameters: CLERK.parameters,
        periodVerdicts: { RETENTION: period, 'CHANGE-FAILURE-RATE': period },
      });
      expect(judged.verdict).toBe('fail');
      expect(judged.reasons).toEqual(period.reasons);
      // The month's 5,000 short-retained objects are named once, in the period verdict, not
      // copied into each of 50,000 changes.
      expect(judged.evidence).toEqual(dedupeRefs(changeEvidence(change)));
    }
  });
});

describe('dedupeRefs', () => {
  it('keeps the first of each key and version, in order, for short and long lists', () => {
    const refs = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `k${i % 7}`, versionId: `v${i % 3}` }));
    for (const n of [5, 40, 500]) {
      const seen = new Set<string>();
      const expected = refs(n).filter((ref) => {
        const id = `${ref.key}|${ref.versionId}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      expect(dedupeRefs(refs(n))).toEqual(expected);
    }
  });
});
