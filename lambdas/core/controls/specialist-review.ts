import type { Change } from '../change.ts';
import type { TeamReference } from '../profile.ts';
import { readApprovals } from './approvals.ts';
import {
  type EvaluationContext,
  globMatcher,
  incompleteLists,
  labelsOf,
  type RuleResult,
  result,
} from './rule.ts';

/** What makes a change need a specialist's approval, and whose. */
export interface SpecialistScope {
  /** e.g. `security-sensitive`, `infrastructure-as-code`. */
  readonly kind: string;
  readonly globs: readonly string[];
  readonly label: string;
  readonly team: TeamReference;
  /** e.g. `Security Champs`. */
  readonly teamTitle: string;
}

/**
 * SECURITY-REVIEW and IAC-SIGNOFF: when a changed path matches the scope's globs or the PR ever
 * carried its label, an approval before the merge by a member of the scope's team is required.
 */
export function judgeSpecialistReview(
  change: Change,
  context: EvaluationContext,
  scope: SpecialistScope,
): RuleResult {
  if (change.type === 'direct_push') {
    const evidence = change.branchCommits.map((commit) => commit.ref);
    return result(
      'unknown',
      [
        `commit ${change.commitSha.slice(0, 7)} was pushed directly: its changed files are not in the evidence, ` +
          `so whether it is ${scope.kind} is not known`,
      ],
      evidence,
    );
  }
  const pr = change.pullRequest;
  if (!pr) {
    return result(
      'unknown',
      [`the evidence of PR #${change.prNumber ?? '?'} (its changed files) was not collected`],
      [],
    );
  }
  const data = pr.doc.data;
  const matches = globMatcher(scope.globs);
  const matched = data.files.map((file) => file.path).filter(matches);
  const labelled = labelsOf(pr).has(scope.label);
  if (matched.length === 0 && !labelled) {
    const incomplete = incompleteLists(pr, 'files');
    if (incomplete.length > 0) return result('unknown', incomplete, [pr.ref]);
    return result(
      'not_applicable',
      [`PR #${data.number} changes no ${scope.kind} path and never carried the ${scope.label} label`],
      [pr.ref],
    );
  }
  const why = [
    ...(matched.length > 0 ? [`changes ${listPaths(matched)}`] : []),
    ...(labelled ? [`carries the ${scope.label} label`] : []),
  ].join(' and ');
  const team = context.facts.teamAt(scope.team, data.mergedAt);
  if (!team) {
    return result(
      'unknown',
      [`PR #${data.number} ${why}, but the membership of ${teamName(scope)} was not collected`],
      [pr.ref],
    );
  }
  const evidence = team.ref ? [pr.ref, team.ref] : [pr.ref];
  const { counted, refused } = readApprovals(pr);
  const approval = counted.find((review) => review.author !== null && team.members.has(review.author));
  if (approval) {
    return result(
      'pass',
      [
        `PR #${data.number} ${why}; approved by ${approval.author} (${scope.teamTitle}, ${team.description}) at ${approval.submittedAt}`,
      ],
      evidence,
    );
  }
  const incomplete = incompleteLists(pr, 'reviews');
  if (incomplete.length > 0) return result('unknown', incomplete, evidence);
  const members = [...team.members].sort().join(', ') || 'nobody';
  return result(
    'fail',
    [
      `PR #${data.number} ${why}, but no member of ${scope.teamTitle} (${team.description}: ${members}) ` +
        `approved it before the merge at ${data.mergedAt}`,
      ...refused,
    ],
    evidence,
  );
}

function teamName(scope: SpecialistScope): string {
  return typeof scope.team === 'string' ? `team ${scope.team} (${scope.teamTitle})` : scope.teamTitle;
}

function listPaths(paths: readonly string[]): string {
  const shown = paths.slice(0, 3).join(', ');
  return paths.length > 3 ? `${shown} and ${paths.length - 3} more` : shown;
}
