import { describe, expect, it } from 'vitest';
import {
  type OverrideSighting,
  parseActivity,
  parseAuditLogOverrides,
  parseOverrideCommit,
  parseRuleSuiteBypassedRules,
  parseRuleSuites,
} from '../../lambdas/adapters/github/parse-overrides.ts';
import { mergeSightings, oneMonthBefore } from '../../lambdas/collect/overrides.ts';

const AFTER = 'a'.repeat(40);
const BEFORE = 'b'.repeat(40);
const OTHER = 'c'.repeat(40);

function sighting(overrides: Partial<OverrideSighting> & Pick<OverrideSighting, 'source'>): OverrideSighting {
  return {
    ref: 'refs/heads/main',
    actor: 'dave',
    at: '2026-10-10T12:00:00.000Z',
    beforeSha: BEFORE,
    afterSha: AFTER,
    reasons: [],
    candidate: true,
    ...overrides,
  };
}

describe('mergeSightings', () => {
  it('merges one push seen by the audit log, a rule suite and activity into one event with three sources', () => {
    const events = mergeSightings([
      sighting({
        source: 'activity',
        at: '2026-10-10T12:00:01.000Z',
        reasons: [{ code: 'activity:push', message: 'a' }],
      }),
      sighting({ source: 'rule-suite', reasons: [{ code: 'rule-suite:bypass', message: 'r' }] }),
      sighting({
        source: 'audit-log',
        at: '2026-10-10T12:00:02.000Z',
        reasons: [{ code: 'review_policy_not_satisfied', message: 'm' }],
      }),
    ]);

    expect(events).toHaveLength(1);
    expect(events[0]?.sources).toEqual(['audit-log', 'rule-suite', 'activity']);
    expect(events[0]?.at).toBe('2026-10-10T12:00:00.000Z');
    expect(events[0]?.reasons.map((r) => r.code)).toEqual([
      'activity:push',
      'review_policy_not_satisfied',
      'rule-suite:bypass',
    ]);
  });

  it('keeps pushes of different SHAs apart and orders them by time', () => {
    const events = mergeSightings([
      sighting({ source: 'activity', afterSha: OTHER, at: '2026-10-12T00:00:00.000Z' }),
      sighting({ source: 'activity', at: '2026-10-11T00:00:00.000Z' }),
    ]);

    expect(events.map((e) => e.afterSha)).toEqual([AFTER, OTHER]);
  });

  it('takes the actor from the audit log before activity, and drops duplicate reasons', () => {
    const events = mergeSightings([
      sighting({ source: 'activity', actor: 'web-flow', reasons: [{ code: 'x', message: 'same' }] }),
      sighting({ source: 'audit-log', actor: 'dave', reasons: [{ code: 'x', message: 'same' }] }),
    ]);

    expect(events[0]?.actor).toBe('dave');
    expect(events[0]?.reasons).toEqual([{ code: 'x', message: 'same' }]);
  });

  it('makes no event of a PR merge that only activity saw, but lets it corroborate an audit-log override', () => {
    const merge = sighting({
      source: 'activity',
      candidate: false,
      reasons: [{ code: 'activity:pr_merge', message: 'm' }],
    });

    expect(mergeSightings([merge])).toEqual([]);
    expect(mergeSightings([merge, sighting({ source: 'audit-log' })])[0]?.sources).toEqual([
      'audit-log',
      'activity',
    ]);
  });

  it('gives the same events whatever order the sources answered in', () => {
    const sightings = [
      sighting({ source: 'activity', reasons: [{ code: 'b', message: '1' }] }),
      sighting({ source: 'audit-log', reasons: [{ code: 'a', message: '2' }] }),
      sighting({ source: 'activity', afterSha: OTHER }),
    ];

    expect(mergeSightings([...sightings].reverse())).toEqual(mergeSightings(sightings));
  });
});

describe('override source parsers', () => {
  it('reads audit-log entries of the repository with epoch-millisecond times and sets aside entries without an after SHA', () => {
    const parsed = parseAuditLogOverrides(
      [
        {
          action: 'protected_branch.policy_override',
          actor: 'dave',
          repo: 'acme/api',
          branch: 'main',
          created_at: Date.parse('2026-10-10T12:00:00Z'),
          after: AFTER,
          before: BEFORE,
          reasons: [
            { code: 'review_policy_not_satisfied', message: 'At least 1 approving review is required' },
          ],
        },
        { action: 'protected_branch.policy_override', actor: 'dave', created_at: 1, _document_id: 'doc-1' },
        {
          action: 'protected_branch.policy_override',
          actor: 'dave',
          repo: 'acme/web',
          created_at: 2,
          after: AFTER,
        },
      ],
      'acme/api',
    );

    expect(parsed.sightings).toEqual([
      {
        source: 'audit-log',
        ref: 'refs/heads/main',
        actor: 'dave',
        at: '2026-10-10T12:00:00.000Z',
        beforeSha: BEFORE,
        afterSha: AFTER,
        reasons: [
          { code: 'review_policy_not_satisfied', message: 'At least 1 approving review is required' },
        ],
        candidate: true,
      },
    ]);
    expect(parsed.unattributable).toEqual([{ documentId: 'doc-1', at: '1970-01-01T00:00:00.001Z' }]);
  });

  it('reads a bypass rule suite and names the rules its detail shows as failed', () => {
    const [suite] = parseRuleSuites([
      {
        id: 55,
        actor_name: 'dave',
        before_sha: BEFORE,
        after_sha: AFTER,
        ref: 'refs/heads/main',
        pushed_at: '2026-10-10T12:00:00Z',
        result: 'bypass',
        evaluation_result: 'fail',
      },
    ]);
    const rules = parseRuleSuiteBypassedRules({
      id: 55,
      rule_evaluations: [
        {
          rule_source: { type: 'ruleset', id: 7, name: 'protect-main' },
          enforcement: 'active',
          result: 'fail',
          rule_type: 'pull_request',
          details: null,
        },
        {
          rule_source: { type: 'ruleset', id: 7, name: 'protect-main' },
          enforcement: 'active',
          result: 'pass',
          rule_type: 'required_signatures',
        },
      ],
    });

    expect(suite?.sighting.actor).toBe('dave');
    expect(suite?.sighting.afterSha).toBe(AFTER);
    expect(rules.map((r) => r.code)).toEqual(['rule:pull_request']);
    expect(rules[0]?.message).toContain('protect-main');
  });

  it('reads pushes from repository activity and leaves out branch deletions', () => {
    const sightings = parseActivity([
      {
        id: 3,
        before: BEFORE,
        after: AFTER,
        ref: 'refs/heads/main',
        timestamp: '2026-10-10T12:00:00Z',
        activity_type: 'push',
        actor: { login: 'dave' },
      },
      {
        id: 4,
        before: AFTER,
        after: '0'.repeat(40),
        ref: 'refs/heads/main',
        timestamp: '2026-10-10T13:00:00Z',
        activity_type: 'branch_deletion',
        actor: null,
      },
    ]);

    expect(sightings).toHaveLength(1);
    expect(sightings[0]?.reasons[0]?.code).toBe('activity:push');
    expect(sightings[0]?.candidate).toBe(true);
  });

  it('reads PR merges from activity as corroboration only, never as candidates', () => {
    const sightings = parseActivity([
      {
        id: 5,
        before: BEFORE,
        after: AFTER,
        ref: 'refs/heads/main',
        timestamp: '2026-10-10T12:00:00Z',
        activity_type: 'pr_merge',
        actor: { login: 'erin' },
      },
      {
        id: 6,
        before: '0'.repeat(40),
        after: OTHER,
        ref: 'refs/heads/x',
        timestamp: '2026-10-10T12:00:00Z',
        activity_type: 'branch_creation',
        actor: null,
      },
    ]);

    expect(sightings.map((s) => [s.afterSha, s.candidate])).toEqual([[AFTER, false]]);
  });

  it('refuses an activity page that is not GitHub-shaped, naming the field', () => {
    expect(() => parseActivity([{ id: 'x' }])).toThrow(/id/);
  });

  it('links the commit to the merged PR whose merge commit it is, ignoring PRs into other branches', () => {
    const found = parseOverrideCommit(
      {
        repository: {
          object: {
            __typename: 'Commit',
            oid: AFTER,
            message: 'Hotfix\n\nJustification: outage\nRisk: low',
            committedDate: '2026-10-10T12:00:00Z',
            authoredDate: '2026-10-10T11:59:00Z',
            author: { user: { login: 'dave' }, name: 'Dave' },
            committer: { user: null, name: 'GitHub' },
            parents: { nodes: [{ oid: BEFORE }] },
            signature: null,
            associatedPullRequests: {
              nodes: [
                {
                  number: 7,
                  mergedAt: '2026-10-10T12:00:00Z',
                  baseRefName: 'release',
                  mergeCommit: { oid: AFTER },
                },
                {
                  number: 8,
                  mergedAt: '2026-10-10T12:00:00Z',
                  baseRefName: 'main',
                  mergeCommit: { oid: AFTER },
                },
              ],
            },
          },
        },
      },
      'main',
    );

    expect(found?.pullRequest).toBe(8);
    expect(found?.commit.message).toContain('Justification: outage');
    expect(found?.commit.committer).toBeNull();
  });

  it('answers undefined for a commit GitHub no longer has', () => {
    expect(parseOverrideCommit({ repository: { object: null } }, 'main')).toBeUndefined();
  });
});

describe('oneMonthBefore', () => {
  it('takes the later of a calendar month and 30 days', () => {
    expect(new Date(oneMonthBefore(new Date('2026-03-31T00:00:00Z'))).toISOString()).toBe(
      '2026-03-01T00:00:00.000Z',
    );
    expect(new Date(oneMonthBefore(new Date('2026-02-15T08:00:00Z'))).toISOString()).toBe(
      '2026-01-16T08:00:00.000Z',
    );
    expect(new Date(oneMonthBefore(new Date('2026-01-15T08:00:00Z'))).toISOString()).toBe(
      '2025-12-16T08:00:00.000Z',
    );
    expect(new Date(oneMonthBefore(new Date('2026-11-01T06:00:00Z'))).toISOString()).toBe(
      '2026-10-02T06:00:00.000Z',
    );
  });
});
