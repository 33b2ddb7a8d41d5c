import { describe, expect, it } from 'vitest';
import { snapshotAt } from '../../../lambdas/core/facts.ts';
import {
  approval,
  evidenceOf,
  judge,
  mergeOf,
  only,
  protection,
  pullRequest,
  TEAMS,
  team,
} from './builders.ts';

/**
 * One snapshot-selection rule for team membership and branch protection: the latest snapshot at
 * or before the merge; when only later ones exist, the earliest of them, and the reason says so.
 */

const MERGED = '2026-10-05T12:00:00.000Z';

function securityChange() {
  const pr = pullRequest(101, MERGED, {
    files: [{ path: 'src/auth/session.ts', additions: 3, deletions: 1, changeType: 'MODIFIED' }],
  });
  pr.doc.data.reviews.push(approval('carol', '2026-10-05T11:00:00.000Z', pr.doc.data.headSha));
  return { pr, merge: mergeOf(pr) };
}

describe('snapshotAt', () => {
  const snapshots = [team('sre', ['a'], '2026-10-01T00:00:00Z'), team('sre', ['b'], '2026-10-10T00:00:00Z')];

  it('takes the latest snapshot at or before the moment', () => {
    const chosen = snapshotAt(snapshots, '2026-10-09T00:00:00Z');
    expect(chosen?.doc.data.members).toEqual(['a']);
    expect(chosen?.takenAfter).toBe(false);
  });

  it('takes the earliest later snapshot only when none precedes the moment, and marks it', () => {
    const chosen = snapshotAt(snapshots, '2026-09-30T00:00:00Z');
    expect(chosen?.doc.data.members).toEqual(['a']);
    expect(chosen?.takenAfter).toBe(true);
  });
});

describe('a membership snapshot taken after the merge', () => {
  it('is named as such in the reason of SECURITY-REVIEW', () => {
    const { pr, merge } = securityChange();
    const later = [
      ...TEAMS.filter((t) => t.doc.data.team !== 'security-champs'),
      team('security-champs', ['carol'], '2026-11-01T06:00:00Z'),
    ];
    const result = only(
      judge('SECURITY-REVIEW', evidenceOf({ pullRequests: [pr], branchCommits: [merge], teams: later })),
      101,
    );

    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('membership as of 2026-11-01T06:00:00Z, after the merge');
  });

  it('is not mentioned when a snapshot precedes the merge', () => {
    const { pr, merge } = securityChange();
    const result = only(
      judge('SECURITY-REVIEW', evidenceOf({ pullRequests: [pr], branchCommits: [merge] })),
      101,
    );

    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).not.toContain('after the merge');
  });
});

describe('a protection snapshot taken after the merge', () => {
  it('is named as such in the reason of CI-PASSED', () => {
    const pr = pullRequest(101, MERGED);
    const result = only(
      judge(
        'CI-PASSED',
        evidenceOf({
          pullRequests: [pr],
          branchCommits: [mergeOf(pr)],
          branchProtection: [protection('2026-11-01T00:00:00Z')],
        }),
      ),
      101,
    );

    expect(result.verdict).toBe('pass');
    expect(result.reasons[0]).toContain('required checks as of 2026-11-01T00:00:00Z, after the merge');
  });
});
