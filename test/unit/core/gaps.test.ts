import { describe, expect, it } from 'vitest';
import { evaluatePeriod, type PeriodEvaluationInput } from '../../../lambdas/core/evaluate-period.ts';
import type { PackModel } from '../../../lambdas/core/pack-model.ts';
import type { PeriodEvidence } from '../../../lambdas/core/period-evidence.ts';
import { standingGaps } from '../../../lambdas/core/period-gaps.ts';
import { shippedProfile } from '../../../lambdas/core/shipped-profiles.ts';
import { type GapInput, WITHHELD_EVIDENCE, type WithheldEvidence } from '../../../lambdas/evidence/gaps.ts';
import {
  branchCommit,
  CLERK,
  collectionRun,
  commit,
  deployment,
  directPush,
  doc,
  evidenceOf,
  mergeOf,
  OCTOBER,
  pipeline,
  pullRequest,
  REPO,
  S3_RETENTION,
  sha,
} from './builders.ts';

/**
 * One period with a change of every shape a gap can touch: a PR shipped through the pipeline, a
 * PR deployed straight to production, a PR not deployed, a merge whose PR evidence is missing,
 * and a direct push no override covers.
 */
function period(): PeriodEvidence {
  const shipped = pullRequest(101, '2026-10-05T12:00:00.000Z');
  const skippedStaging = pullRequest(102, '2026-10-06T12:00:00.000Z');
  const notDeployed = pullRequest(103, '2026-10-07T12:00:00.000Z');
  const orphanMerge = branchCommit(commit('merge-104', '2026-10-08T12:00:00.000Z'), {
    associatedPullRequests: [
      {
        number: 104,
        mergedAt: '2026-10-08T12:00:00.000Z',
        mergeCommitSha: sha('merge-104'),
        baseRef: 'main',
      },
    ],
  });
  const push = directPush('hotfix', '2026-10-09T08:00:00.000Z', 'mallory');
  return evidenceOf({
    pullRequests: [shipped, skippedStaging, notDeployed],
    branchCommits: [mergeOf(shipped), mergeOf(skippedStaging), mergeOf(notDeployed), orphanMerge, push],
    deployments: [
      ...pipeline(10, sha('merge-101'), '2026-10-05T12:10:00.000Z'),
      deployment(20, sha('merge-102'), 'production', '2026-10-06T12:10:00.000Z'),
    ],
  });
}

function model(evidence: PeriodEvidence): PackModel {
  const input: PeriodEvaluationInput = {
    org: 'acme',
    window: OCTOBER,
    profile: CLERK,
    profileSource: shippedProfile('clerk-cm01').source,
    toolVersion: 'cm01-evidence/test',
    evidence,
    retention: S3_RETENTION,
    manifest: [],
  };
  return evaluatePeriod(input);
}

function withGap(gap: Omit<GapInput, 'repo' | 'reason'> & { repo?: string | null }): PeriodEvidence {
  const base = period();
  return {
    ...base,
    runs: [collectionRun([{ repo: REPO, reason: 'HTTP 502 after 5 retries', ...gap }], 'collect')],
  };
}

/** `change control: before → after` for every verdict the gap changed. */
function changedVerdicts(before: PackModel, after: PackModel): string[] {
  const changed: string[] = [];
  after.population.forEach((row, i) => {
    const was = before.population[i]!;
    for (const control of after.controlIds) {
      if (was.verdicts[control] !== row.verdicts[control]) {
        changed.push(
          `${row.prNumber ?? row.commitSha.slice(0, 7)} ${control}: ${was.verdicts[control]} → ${row.verdicts[control]}`,
        );
      }
    }
  });
  return changed.sort();
}

const PUSH = sha('hotfix').slice(0, 7);
const EVERY_CHANGE = ['101', '102', '103', '104', PUSH];

/** For each type: exactly the verdicts a gap of that type must turn unknown. */
const AFFECTED: Record<WithheldEvidence, string[]> = {
  deployments: [
    '102 CD-PIPELINE: fail → unknown',
    '103 CD-PIPELINE: not_applicable → unknown',
    '103 ROLLBACK: not_applicable → unknown',
    '104 CD-PIPELINE: not_applicable → unknown',
    '104 ROLLBACK: not_applicable → unknown',
    `${PUSH} CD-PIPELINE: not_applicable → unknown`,
    `${PUSH} ROLLBACK: not_applicable → unknown`,
    // The period's change-failure rate rests on every production deployment.
    ...EVERY_CHANGE.map((id) => `${id} CHANGE-FAILURE-RATE: pass → unknown`),
  ],
  'audit-log': [`${PUSH} OVERRIDE: not_applicable → unknown`],
  'rule-suites': [`${PUSH} OVERRIDE: not_applicable → unknown`],
  'branch-protection': ['101', '102', '103'].map((id) => `${id} CI-PASSED: pass → unknown`),
  rulesets: ['101', '102', '103'].map((id) => `${id} CI-PASSED: pass → unknown`),
  // Already unknown without the evidence they withhold; the gap names itself on the cover and in reasons.
  'pull-requests': [],
  'default-branch-commits': [],
  'repository-activity': [],
  'workflow-runs': [],
  'team-membership': [],
  'default-branch-files': [],
  // A Linear gap says Linear is configured: no named ticket was looked up, so none is known to exist.
  'linear-tickets': ['101', '102', '103'].map((id) => `${id} TICKET-LINKED: pass → unknown`),
  // With Better Stack configured, the period's rate is of changes named by incidents.
  'better-stack-incidents': EVERY_CHANGE.map((id) => `${id} CHANGE-FAILURE-RATE: pass → unknown`),
  // No emergency change here: see "an on-call gap over the moment an emergency label was added" below.
  'better-stack-on-call': [],
};

describe('typed gaps: each turns exactly the verdicts that rest on what it withholds unknown', () => {
  const clean = model(period());

  it('judges the clean period as expected', () => {
    const row = (id: string) =>
      clean.population.find((r) => String(r.prNumber ?? r.commitSha.slice(0, 7)) === id)!.verdicts;
    expect(row('101')['CD-PIPELINE']).toBe('pass');
    expect(row('102')['CD-PIPELINE']).toBe('fail');
    expect(row('103')['CD-PIPELINE']).toBe('not_applicable');
    expect(row(PUSH)['PR-REQUIRED']).toBe('fail');
    expect(row(PUSH).OVERRIDE).toBe('not_applicable');
    expect(row('101')['CI-PASSED']).toBe('pass');
    expect(clean.metrics[0]!.verdict).toBe('pass');
  });

  for (const withholds of WITHHELD_EVIDENCE) {
    it(`${withholds}`, () => {
      const gapped = model(withGap({ withholds }));
      expect(changedVerdicts(clean, gapped)).toEqual([...AFFECTED[withholds]].sort());
      expect(gapped.gaps.map((gap) => gap.withholds)).toEqual([withholds]);
    });
  }

  it('gives the gap as the reason of each verdict it turned unknown', () => {
    const gapped = model(withGap({ withholds: 'deployments' }));
    const notDeployed = gapped.population.find((row) => row.prNumber === 103)!;
    expect(notDeployed.verdicts['CD-PIPELINE']).toBe('unknown');
    const pushed = model(withGap({ withholds: 'audit-log' }));
    const push = pushed.population.find((row) => row.changeType === 'direct_push')!;
    expect(push.verdicts.OVERRIDE).toBe('unknown');
    expect(push.verdicts['PR-REQUIRED']).toBe('fail');
    const failure = pushed.exceptions.find((e) => e.control === 'PR-REQUIRED')!;
    expect(failure.reason).toMatch(
      /the organisation audit log \(override events\) of acme\/payments-api .* HTTP 502/,
    );
  });

  it('an on-call gap over the moment an emergency label was added makes a non-member grant unknown, not fail', () => {
    const emergencyPr = (actor: string) =>
      pullRequest(105, '2026-10-10T12:00:00.000Z', {
        labels: ['emergency-change'],
        labelEvents: [{ name: 'emergency-change', action: 'added', actor, at: '2026-10-10T10:00:00.000Z' }],
        // The records are in order: only who granted the label is in question.
        comments: [
          { author: 'alice', createdAt: '2026-10-10T13:00:00.000Z', body: 'Retrospective: done', url: null },
          {
            author: 'alice',
            createdAt: '2026-10-11T12:00:00.000Z',
            body: 'Post-mortem: https://docs.example/pm/105',
            url: null,
          },
        ],
      });
    const judgeWith = (actor: string, gapWindow: { from: string; to: string }) => {
      const base = period();
      const pr = emergencyPr(actor);
      const evidence = {
        ...base,
        pullRequests: [...base.pullRequests, pr],
        branchCommits: [...base.branchCommits, mergeOf(pr)],
        // Better Stack's Incident Commanders calendar, read outside the gap: Ivan on call all month.
        onCall: [
          doc('on-call', 'ic@2026-10', OCTOBER.from, {
            calendarId: 'ic',
            calendarName: 'Incident Commanders',
            teamName: null,
            defaultCalendar: false,
            window: { from: OCTOBER.from, to: OCTOBER.to },
            events: [
              {
                id: '1',
                users: ['ivan@acme.example'],
                startsAt: OCTOBER.from,
                endsAt: OCTOBER.to,
                override: false,
              },
            ],
          }),
        ],
      };
      const gap = { withholds: 'better-stack-on-call' as const, repo: null, window: gapWindow };
      const withGapRun = { ...evidence, runs: [collectionRun([{ ...gap, reason: 'HTTP 503' }], 'collect')] };
      const verdictOf = (model: PackModel) => model.population.find((row) => row.prNumber === 105)!.verdicts;
      return { clean: verdictOf(model(evidence)), gapped: verdictOf(model(withGapRun)) };
    };
    // Mallory is no Incident Commander in GitHub's team; Better Stack could have said she was on call.
    const overLabel = judgeWith('mallory', {
      from: '2026-10-10T00:00:00.000Z',
      to: '2026-10-11T00:00:00.000Z',
    });
    expect(overLabel.clean.EMERGENCY).toBe('fail');
    expect(overLabel.gapped.EMERGENCY).toBe('unknown');
    // A gap on other days leaves the label's moment readable: the fail stands.
    const otherDays = judgeWith('mallory', {
      from: '2026-10-20T00:00:00.000Z',
      to: '2026-10-21T00:00:00.000Z',
    });
    expect(otherDays.gapped.EMERGENCY).toBe('fail');
    // Erin is in the GitHub team: the grant stands whatever Better Stack could not say.
    expect(judgeWith('erin', { from: OCTOBER.from, to: OCTOBER.to }).gapped.EMERGENCY).not.toBe('unknown');
  });

  it('applies a gap only to its repository and its stretch of time', () => {
    const elsewhere = model(withGap({ withholds: 'deployments', repo: 'acme/other' }));
    expect(changedVerdicts(clean, elsewhere)).toEqual(
      EVERY_CHANGE.map((id) => `${id} CHANGE-FAILURE-RATE: pass → unknown`).sort(),
    );
    const before = model(
      withGap({
        withholds: 'audit-log',
        window: { from: '2026-10-01T00:00:00.000Z', to: '2026-10-09T00:00:00.000Z' },
      }),
    );
    expect(changedVerdicts(clean, before)).toEqual([]);
  });
});

describe('collector failures and healed gaps', () => {
  function run(
    id: string,
    finishedAt: string,
    fields: {
      kinds?: string[];
      gaps?: GapInput[];
      errors?: { repo: string | null; message: string }[];
      status?: 'partial' | 'failed';
    },
  ) {
    return doc('collection-run', id, finishedAt, {
      runId: id,
      collector: 'collect',
      window: { from: OCTOBER.from, to: OCTOBER.to },
      repos: [REPO],
      status: fields.status ?? 'partial',
      ...(fields.kinds ? { kinds: fields.kinds } : {}),
      startedAt: finishedAt,
      finishedAt,
      counts: {},
      gaps: (fields.gaps ?? []).map((gap) => ({ ...gap, window: gap.window ?? null })),
      errors: fields.errors ?? [],
      apiCost: { requests: 0, graphqlPoints: 0 },
    });
  }

  it('reads a failure of a run written before gaps were typed as the gap of its kind', () => {
    const legacy = run('old', '2026-11-01T06:00:00.000Z', {
      errors: [{ repo: REPO, message: 'deployments: GET /repos/{owner}/{repo}/deployments: HTTP 502' }],
    });
    expect(standingGaps({ runs: [legacy] }).map((gap) => gap.withholds)).toEqual(['deployments']);
    const judged = model({ ...period(), runs: [legacy] });
    expect(judged.population.find((row) => row.prNumber === 103)!.verdicts['CD-PIPELINE']).toBe('unknown');
  });

  it('drops a gap a later run of the same kind healed, keeps one it did not', () => {
    const failed = run('first', '2026-11-02T06:00:00.000Z', {
      kinds: ['deployments', 'overrides'],
      gaps: [
        { withholds: 'deployments', repo: REPO, reason: 'the deployments collection failed: 502' },
        { withholds: 'audit-log', repo: REPO, reason: 'plan has no audit log' },
      ],
    });
    const again = run('second', '2026-11-03T06:00:00.000Z', {
      kinds: ['deployments', 'overrides'],
      gaps: [{ withholds: 'audit-log', repo: REPO, reason: 'plan has no audit log' }],
    });
    expect(standingGaps({ runs: [failed, again] }).map((gap) => gap.withholds)).toEqual(['audit-log']);
    // An earlier success does not heal a later failure.
    const failedLater = run('third', '2026-11-04T06:00:00.000Z', {
      kinds: ['deployments', 'overrides'],
      gaps: failed.doc.data.gaps,
    });
    expect(
      standingGaps({ runs: [again, failedLater] })
        .map((gap) => gap.withholds)
        .sort(),
    ).toEqual(['audit-log', 'deployments']);
  });

  describe('a later run’s account of a gap’s window replaces the gap', () => {
    const deferred = (withholds: WithheldEvidence): GapInput => ({
      withholds,
      repo: REPO,
      reason: `the collection was deferred: GitHub's core budget ran out`,
    });

    it('a whole-month gap gives way to the later run’s narrower gap of the same type, which stands', () => {
      const first = run('first', '2026-11-02T06:00:00.000Z', {
        kinds: ['overrides'],
        gaps: [deferred('rule-suites')],
      });
      const reachBack: GapInput = {
        withholds: 'rule-suites',
        repo: REPO,
        window: { from: OCTOBER.from, to: '2026-10-03T06:00:00.000Z' },
        reason: 'rule suites reach back one month',
      };
      const resumed = run('resumed', '2026-11-03T07:00:00.000Z', { kinds: ['overrides'], gaps: [reachBack] });
      expect(standingGaps({ runs: [first, resumed] })).toEqual([reachBack]);
    });

    it('a run that ran out of budget again (status failed) heals what it read, and its own deferrals stand', () => {
      const first = run('first', '2026-11-02T06:00:00.000Z', {
        kinds: ['pull-requests', 'deployments'],
        gaps: [deferred('pull-requests'), deferred('deployments')],
        status: 'failed',
      });
      const resumed = run('resumed', '2026-11-02T07:00:00.000Z', {
        kinds: ['pull-requests', 'deployments'],
        gaps: [deferred('deployments')],
        status: 'failed',
      });
      expect(standingGaps({ runs: [first, resumed] }).map((gap) => gap.withholds)).toEqual(['deployments']);
      // A later run that did not ask for the kind heals nothing of it.
      const other = run('other', '2026-11-02T08:00:00.000Z', { kinds: ['protection'] });
      expect(
        standingGaps({ runs: [first, other] })
          .map((gap) => gap.withholds)
          .sort(),
      ).toEqual(['deployments', 'pull-requests']);
    });
  });
});

describe('gaps of Linear and Better Stack heal only when the source is read again', () => {
  const linear = 'https://api.linear.app/graphql';
  const runAt = (id: string, finishedAt: string, data: Record<string, unknown>) =>
    doc('collection-run', id, finishedAt, {
      runId: id,
      collector: 'collect',
      window: { from: OCTOBER.from, to: OCTOBER.to },
      repos: [REPO],
      status: 'succeeded',
      kinds: ['tickets'],
      startedAt: finishedAt,
      finishedAt,
      counts: {},
      gaps: [],
      errors: [],
      apiCost: { requests: 0, graphqlPoints: 0 },
      ...data,
    });
  const refused = runAt('refused', '2026-11-01T06:00:00.000Z', {
    status: 'partial',
    gaps: [{ withholds: 'linear-tickets', repo: null, window: null, reason: 'Linear refused the key' }],
    enrichers: [{ source: 'linear', endpoint: linear, status: 'unreachable' }],
  });

  it('stands after a run asked for tickets without Linear configured', () => {
    const unconfigured = runAt('unconfigured', '2026-11-02T06:00:00.000Z', {});
    expect(standingGaps({ runs: [refused, unconfigured] }).map((gap) => gap.withholds)).toEqual([
      'linear-tickets',
    ]);
    // And the PRs' tickets stay unknown, never pass.
    const judged = model({ ...period(), runs: [refused, unconfigured] });
    expect(judged.population.find((row) => row.prNumber === 101)!.verdicts['TICKET-LINKED']).toBe('unknown');
  });

  it('is healed by a later run that consulted Linear', () => {
    const readAgain = runAt('again', '2026-11-03T06:00:00.000Z', {
      enrichers: [{ source: 'linear', endpoint: linear, status: 'consulted' }],
    });
    expect(standingGaps({ runs: [refused, readAgain] })).toEqual([]);
  });
});

describe('the pack counts unknown verdicts per cause and per control', () => {
  it('names the cause, the controls and the fix, and says the population is not fully evidenced', () => {
    const gapped = model(withGap({ withholds: 'deployments' }));
    const deployments = gapped.unknowns.byCause.find((entry) => entry.cause === 'deployments')!;
    expect(deployments.controls).toEqual({ 'CD-PIPELINE': 4, 'CHANGE-FAILURE-RATE': 5, ROLLBACK: 3 });
    expect(deployments.fix).toMatch(/deployments: read/);
    expect(gapped.unknowns.fullyEvidenced).toBe(false);
    expect(gapped.unknowns.sourcesToFix).toEqual([
      expect.stringMatching(/^deployments and their statuses \(acme\/payments-api\): re-run/),
      expect.stringMatching(/^evidence of a change not in the store/),
    ]);
    // PR #104's evidence is simply absent: counted apart, as not collected.
    expect(
      gapped.unknowns.byCause.find((entry) => entry.cause === 'not-collected')!.controls['CI-PASSED'],
    ).toBe(1);
  });

  it('says a period without gaps or unknowns is fully evidenced', () => {
    const shipped = pullRequest(101, '2026-10-05T12:00:00.000Z');
    const complete = model(
      evidenceOf({
        pullRequests: [shipped],
        branchCommits: [mergeOf(shipped)],
        deployments: pipeline(10, sha('merge-101'), '2026-10-05T12:10:00.000Z'),
      }),
    );
    expect(complete.unknowns.byCause).toEqual([]);
    expect(complete.unknowns.fullyEvidenced).toBe(true);
  });

  it('labels the deployment-based change-failure rate a proxy', () => {
    const judged = model(period());
    expect(judged.metrics[0]!.proxy).toMatch(/^proxy: no incident source is configured/);
    expect(judged.metrics[0]!.title).toContain('proxy');
    const row = judged.population[0]!;
    expect(row.verdicts['CHANGE-FAILURE-RATE']).toBe('pass');
  });
});
