import type { Change } from './change.ts';
import type { EvidenceItem, PeriodEvidence } from './period-evidence.ts';
import type { Window } from './window.ts';
import { inWindow } from './window.ts';

/**
 * The population: every change that reached a protected default branch of an in-scope
 * repository during the window. Default-branch commits that are the merge, squash or rebase
 * result of a merged PR form one `pull_request` change per PR; every other default-branch
 * commit is a `direct_push` change of its own. Merged PRs whose commits were not collected are
 * still in the population (the completeness report names them).
 */
export function buildPopulation(evidence: PeriodEvidence, window: Pick<Window, 'from' | 'to'>): Change[] {
  const defaultBranches = defaultBranchByRepo(evidence);
  const pullRequests = evidence.pullRequests.filter((pr) => {
    if (!inWindow(pr.doc.data.mergedAt, window)) return false;
    const branch = defaultBranches.get(pr.doc.repo);
    // A PR into another branch did not reach the protected default branch.
    return branch === undefined || pr.doc.data.baseRef === branch;
  });
  // A change is dated by when it reached the branch (the push or merge), never by its commit date:
  // a commit made on 29 September and pushed on 2 October is an October change.
  const branchCommits = evidence.branchCommits.filter((commit) => inWindow(arrivalTime(commit), window));

  const prByKey = new Map<string, EvidenceItem<'pull-request'>>();
  const prByMergeSha = new Map<string, number>();
  const prByOwnCommit = new Map<string, number>();
  for (const pr of pullRequests) {
    const { repo } = pr.doc;
    const data = pr.doc.data;
    prByKey.set(prKey(repo, data.number), pr);
    if (data.mergeCommit) prByMergeSha.set(shaKey(repo, data.mergeCommit.sha), data.number);
    for (const commit of data.commits) prByOwnCommit.set(shaKey(repo, commit.sha), data.number);
  }

  // Commits that repository activity says were pushed: a PR GitHub marked merged because its head
  // was pushed straight to the base is not a PR change (GitHub's "merged" is no review path).
  const pushedShas = new Set<string>();
  for (const item of branchCommits) {
    if (item.doc.data.activity && isPushActivity(item.doc.data.activity.activityType)) {
      pushedShas.add(shaKey(item.doc.repo, item.doc.data.commit.sha));
    }
  }

  /** PR number per commit, or `null` for a commit the evidence says a PR merge made but names no PR. */
  const groups = new Map<
    string,
    { repo: string; prNumber: number | null; commits: EvidenceItem<'branch-commit'>[] }
  >();
  for (const item of branchCommits) {
    const repo = item.doc.repo;
    const data = item.doc.data;
    const sha = data.commit.sha;
    const prNumber = pullRequestOf(repo, data, prByMergeSha, prByOwnCommit);
    let key: string;
    if (prNumber !== undefined) key = prKey(repo, prNumber);
    else if (data.activity && isMergeActivity(data.activity.activityType))
      key = `${repo}!activity-${data.activity.id}`;
    else key = shaKey(repo, sha);
    const group = groups.get(key) ?? {
      repo,
      prNumber: prNumber ?? null,
      commits: [],
    };
    group.commits.push(item);
    groups.set(key, group);
  }

  const overridesByCommit = new Map<string, EvidenceItem<'override'>[]>();
  const overridesByPr = new Map<string, EvidenceItem<'override'>[]>();
  for (const override of evidence.overrides.filter(isConfirmedOverride)) {
    const { repo } = override.doc;
    pushTo(overridesByCommit, shaKey(repo, override.doc.data.afterSha), override);
    if (override.doc.data.commit)
      pushTo(overridesByCommit, shaKey(repo, override.doc.data.commit.sha), override);
    if (override.doc.data.pullRequest !== null) {
      pushTo(overridesByPr, prKey(repo, override.doc.data.pullRequest), override);
    }
  }

  const changes: Change[] = [];
  const seenPrs = new Set<string>();
  for (const [key, group] of groups) {
    const commits = group.commits.sort(compareCommits);
    const pr = group.prNumber !== null ? prByKey.get(prKey(group.repo, group.prNumber)) : undefined;
    if (group.prNumber !== null) seenPrs.add(prKey(group.repo, group.prNumber));
    const last = commits[commits.length - 1]!;
    const isPr = group.prNumber !== null || key.includes('!activity-');
    changes.push(
      makeChange({
        repo: group.repo,
        prNumber: group.prNumber,
        isPullRequest: isPr,
        pullRequest: pr ?? null,
        commits,
        lastCommit: last,
        overridesByCommit,
        overridesByPr,
      }),
    );
  }
  for (const pr of pullRequests) {
    const key = prKey(pr.doc.repo, pr.doc.data.number);
    if (seenPrs.has(key)) continue;
    const landed = pr.doc.data.mergeCommit?.sha ?? pr.doc.data.headSha;
    if (
      pushedShas.has(shaKey(pr.doc.repo, landed)) ||
      pushedShas.has(shaKey(pr.doc.repo, pr.doc.data.headSha))
    ) {
      continue;
    }
    changes.push(
      makeChange({
        repo: pr.doc.repo,
        prNumber: pr.doc.data.number,
        isPullRequest: true,
        pullRequest: pr,
        commits: [],
        lastCommit: undefined,
        overridesByCommit,
        overridesByPr,
      }),
    );
  }
  return changes.sort(compareChanges);
}

/**
 * An override event proper: the audit log or a rule suite saw protection bypassed. The
 * collector also records every direct push seen only in repository activity as a candidate;
 * such a push is a direct push, not an approved override path, so it covers nothing.
 */
export function isConfirmedOverride(item: EvidenceItem<'override'>): boolean {
  return item.doc.data.sources.some((source) => source === 'audit-log' || source === 'rule-suite');
}

/** The default branch of each repository, as the branch-commit and protection evidence name it. */
export function defaultBranchByRepo(evidence: PeriodEvidence): Map<string, string> {
  const branches = new Map<string, string>();
  for (const item of evidence.branchProtection) branches.set(item.doc.repo, item.doc.data.branch);
  for (const item of evidence.branchCommits) branches.set(item.doc.repo, item.doc.data.branch);
  return branches;
}

export function compareChanges(a: Change, b: Change): number {
  return (
    compareText(a.repo, b.repo) ||
    compareText(a.mergedAt, b.mergedAt) ||
    (a.prNumber ?? 0) - (b.prNumber ?? 0) ||
    compareText(a.commitSha, b.commitSha)
  );
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isMergeActivity(activityType: string): boolean {
  return activityType === 'pr_merge' || activityType === 'merge_queue_merge';
}

function isPushActivity(activityType: string): boolean {
  return activityType === 'push' || activityType === 'force_push';
}

/** When a default-branch commit reached the branch: its activity event, else when it was stored as arriving. */
export function arrivalTime(item: EvidenceItem<'branch-commit'>): string {
  return item.doc.data.activity?.timestamp ?? item.doc.occurredAt;
}

function pullRequestOf(
  repo: string,
  data: EvidenceItem<'branch-commit'>['doc']['data'],
  prByMergeSha: Map<string, number>,
  prByOwnCommit: Map<string, number>,
): number | undefined {
  const sha = data.commit.sha;
  // Repository activity decides how a commit arrived: a push is a push even when GitHub lists a
  // "merged" PR for it (it marks a PR merged when its head is pushed straight to the base).
  if (data.activity && isPushActivity(data.activity.activityType)) return undefined;
  const byMerge = prByMergeSha.get(shaKey(repo, sha));
  if (byMerge !== undefined) return byMerge;
  const associated = data.associatedPullRequests
    .filter((pr) => pr.mergedAt !== null && pr.baseRef === data.branch)
    .sort((a, b) => compareText(a.mergedAt ?? '', b.mergedAt ?? '') || a.number - b.number);
  const exact = associated.find((pr) => pr.mergeCommitSha === sha);
  if (exact) return exact.number;
  // A merge-commit merge also brings the PR's own commits onto the branch; GitHub associates
  // them with the PR, and with the first PR that merged them when several did.
  const first = associated[0];
  if (first) return first.number;
  const byOwnCommit = prByOwnCommit.get(shaKey(repo, sha));
  if (byOwnCommit !== undefined) return byOwnCommit;
  if (data.activity && isMergeActivity(data.activity.activityType)) {
    return prByMergeSha.get(shaKey(repo, data.activity.after));
  }
  return undefined;
}

interface ChangeParts {
  readonly repo: string;
  readonly prNumber: number | null;
  readonly isPullRequest: boolean;
  readonly pullRequest: EvidenceItem<'pull-request'> | null;
  readonly commits: readonly EvidenceItem<'branch-commit'>[];
  readonly lastCommit: EvidenceItem<'branch-commit'> | undefined;
  readonly overridesByCommit: Map<string, EvidenceItem<'override'>[]>;
  readonly overridesByPr: Map<string, EvidenceItem<'override'>[]>;
}

function makeChange(parts: ChangeParts): Change {
  const { repo, prNumber, pullRequest, commits, lastCommit } = parts;
  const pr = pullRequest?.doc.data;
  const commitSha = pr?.mergeCommit?.sha ?? lastCommit?.doc.data.commit.sha ?? pr?.headSha ?? '';
  const pushActivity = lastCommit?.doc.data.activity;
  const author =
    pr?.author?.login ??
    (parts.isPullRequest ? null : (pushActivity?.actor ?? null)) ??
    lastCommit?.doc.data.commit.author ??
    lastCommit?.doc.data.commit.committer ??
    null;
  const subject = (lastCommit?.doc.data.commit.message ?? '').split('\n', 1)[0] ?? '';
  const overrides = new Map<string, EvidenceItem<'override'>>();
  const shas = new Set(commits.map((c) => c.doc.data.commit.sha));
  // One push of several commits is one activity event; an override of that push covers each of them.
  for (const commit of commits) if (commit.doc.data.activity) shas.add(commit.doc.data.activity.after);
  if (commitSha) shas.add(commitSha);
  for (const sha of shas) {
    for (const o of parts.overridesByCommit.get(shaKey(repo, sha)) ?? []) overrides.set(o.ref.key, o);
  }
  if (prNumber !== null) {
    for (const o of parts.overridesByPr.get(prKey(repo, prNumber)) ?? []) overrides.set(o.ref.key, o);
  }
  const sortedOverrides = [...overrides.values()].sort((a, b) => compareText(a.doc.data.at, b.doc.data.at));
  // Dated by when it reached the branch: the merge, the push (activity, or the override event
  // that let it through), and only failing both by when the collector saw it arrive.
  const mergedAt =
    pr?.mergedAt ??
    pushActivity?.timestamp ??
    sortedOverrides[0]?.doc.data.at ??
    lastCommit?.doc.occurredAt ??
    lastCommit?.doc.data.commit.committedAt ??
    '';
  const type = parts.isPullRequest ? 'pull_request' : 'direct_push';
  const arrival: Change['arrival'] = pushActivity
    ? 'activity'
    : pr || prNumber !== null
      ? 'association'
      : sortedOverrides.length > 0
        ? 'override'
        : 'unknown';
  const markedMerged = parts.isPullRequest
    ? null
    : (lastCommit?.doc.data.associatedPullRequests.find(
        (associated) => associated.mergedAt !== null && associated.baseRef === lastCommit.doc.data.branch,
      )?.number ?? null);
  return {
    arrival,
    markedMergedPullRequest: markedMerged,
    id: prNumber !== null ? prKey(repo, prNumber) : shaKey(repo, commitSha),
    repo,
    type,
    prNumber,
    commitSha,
    mergedAt,
    author,
    title: pr?.title ?? subject,
    url:
      pr?.url ??
      (prNumber !== null
        ? `https://github.com/${repo}/pull/${prNumber}`
        : `https://github.com/${repo}/commit/${commitSha}`),
    branch: lastCommit?.doc.data.branch ?? pr?.baseRef ?? null,
    pullRequest,
    branchCommits: commits,
    overrides: sortedOverrides,
  };
}

function compareCommits(a: EvidenceItem<'branch-commit'>, b: EvidenceItem<'branch-commit'>): number {
  return (
    compareText(a.doc.data.commit.committedAt, b.doc.data.commit.committedAt) ||
    compareText(a.doc.data.commit.sha, b.doc.data.commit.sha)
  );
}

function prKey(repo: string, number: number): string {
  return `${repo}#${number}`;
}

function shaKey(repo: string, sha: string): string {
  return `${repo}@${sha}`;
}

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
