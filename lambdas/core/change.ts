import type { ChangeType, EvidenceRef } from './pack-model.ts';
import type { EvidenceItem } from './period-evidence.ts';

/**
 * One item of the population: a change that reached a protected default branch, either as a
 * merged PR (its merge, squash or rebased commits) or as a commit pushed directly.
 */
export interface Change {
  /** Stable identity: `org/repo#123` for a PR, `org/repo@<sha>` for a direct push. */
  readonly id: string;
  readonly repo: string;
  readonly type: ChangeType;
  readonly prNumber: number | null;
  /** The commit that put the change on the branch: merge/squash commit, last rebased commit, or the pushed commit. */
  readonly commitSha: string;
  /** Merge time of a PR; push (or commit) time of a direct push. */
  readonly mergedAt: string;
  readonly author: string | null;
  readonly title: string;
  readonly url: string;
  /** The default branch it reached, where the evidence says. */
  readonly branch: string | null;
  /** The PR's evidence document; null for a direct push, or a PR known only from commit associations. */
  readonly pullRequest: EvidenceItem<'pull-request'> | null;
  /** The default-branch commits this change consists of, oldest first (empty when none were collected). */
  readonly branchCommits: readonly EvidenceItem<'branch-commit'>[];
  /** Override / bypass events that pushed or merged one of this change's commits. */
  readonly overrides: readonly EvidenceItem<'override'>[];
  /**
   * What says how the change reached the branch: repository activity (`push` vs `pr_merge`),
   * GitHub's PR association alone (activity out of reach), an override event, or nothing.
   */
  readonly arrival: 'activity' | 'association' | 'override' | 'unknown';
  /** For a direct push: the PR GitHub lists as merged with it (its head pushed straight to the base). */
  readonly markedMergedPullRequest: number | null;
  /** For a `production_deploy`: the deployment of code that never reached the default branch. */
  readonly deployment?: EvidenceItem<'deployment'>;
}

/** The evidence objects that describe the change itself (its PR, else its commits). */
export function changeEvidence(change: Change): EvidenceRef[] {
  const refs: EvidenceRef[] = [];
  if (change.pullRequest) refs.push(change.pullRequest.ref);
  if (change.deployment) refs.push(change.deployment.ref);
  for (const commit of change.branchCommits) refs.push(commit.ref);
  return refs;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

export function describeChange(change: Change): string {
  if (change.type === 'production_deploy') return `deployment of ${shortSha(change.commitSha)} to production`;
  return change.prNumber !== null
    ? `PR #${change.prNumber}`
    : `commit ${shortSha(change.commitSha)} pushed directly`;
}

/** All commit SHAs that belong to the change on the default branch, plus its merge commit. */
export function changeCommitShas(change: Change): Set<string> {
  const shas = new Set<string>([change.commitSha]);
  for (const commit of change.branchCommits) shas.add(commit.doc.data.commit.sha);
  const merge = change.pullRequest?.doc.data.mergeCommit;
  if (merge) shas.add(merge.sha);
  return shas;
}
