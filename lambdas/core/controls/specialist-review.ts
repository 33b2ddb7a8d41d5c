import type { Change } from '../change.ts';
import { ownedByTeam, parseCodeOwners } from '../codeowners.ts';
import type { EvidenceRef } from '../pack-model.ts';
import type { TeamReference } from '../profile.ts';
import { readApprovals, unverifiedApprovals } from './approvals.ts';
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
  /** Globs that count only in a CDK repository (its default branch has a root `cdk.json`). */
  readonly cdkGlobs?: readonly string[];
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
  const paths = data.files.map((file) => file.path);
  const matches = globMatcher(scope.globs);
  const matchedSet = new Set(paths.filter(matches));
  const reasonsWhy: string[] = [];
  const extraEvidence: EvidenceRef[] = [];
  // lib/**/*.ts is infrastructure only in a CDK app: the default branch's root cdk.json says so.
  const cdkCandidates = paths
    .filter(globMatcher(scope.cdkGlobs ?? []))
    .filter((path) => !matchedSet.has(path));
  let cdkUnknown = false;
  if (cdkCandidates.length > 0) {
    const cdk = context.facts.isCdkRepository(change.repo, data.mergedAt);
    if (cdk === true) for (const path of cdkCandidates) matchedSet.add(path);
    else if (cdk === undefined) cdkUnknown = true;
  }
  // CODEOWNERS of the default branch assigning a changed path to the team.
  if (typeof scope.team === 'string') {
    const codeowners = context.facts.codeOwnersAt(change.repo, data.mergedAt);
    if (codeowners) {
      const owners = parseCodeOwners(codeowners.text);
      const owned = paths.filter((path) => ownedByTeam(owners.ownersOf(path), scope.team as string));
      if (owned.length > 0) {
        reasonsWhy.push(`${codeowners.path} assigns ${listPaths(owned)} to team ${scope.team}`);
        extraEvidence.push(codeowners.ref);
      }
    }
  }
  const matched = [...matchedSet];
  const labelled = labelsOf(pr).has(scope.label);
  if (matched.length === 0 && !labelled && reasonsWhy.length === 0) {
    const incomplete = incompleteLists(pr, 'files');
    if (incomplete.length > 0) return result('unknown', incomplete, [pr.ref]);
    if (cdkUnknown) {
      return result(
        'unknown',
        [
          `PR #${data.number} changes ${listPaths(cdkCandidates)}, infrastructure only in a CDK repository, and whether ` +
            `the default branch of ${change.repo} has a cdk.json at its root was not collected`,
        ],
        [pr.ref],
      );
    }
    return result(
      'not_applicable',
      [`PR #${data.number} changes no ${scope.kind} path and never carried the ${scope.label} label`],
      [pr.ref],
    );
  }
  const why = [
    ...(matched.length > 0 ? [`changes ${listPaths(matched)}`] : []),
    ...reasonsWhy,
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
  const evidence = [pr.ref, ...(team.ref ? [team.ref] : []), ...extraEvidence];
  const { counted, refused, unverified, unverifiedBecause } = readApprovals(pr);
  const approval = counted.find((review) => review.author !== null && team.members.has(review.author));
  const unverifiedMembers = unverified.filter(
    (review) => review.author !== null && team.members.has(review.author),
  );
  if (!approval && unverifiedMembers.length > 0) {
    return unverifiedApprovals(unverifiedMembers, unverifiedBecause, evidence);
  }
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
