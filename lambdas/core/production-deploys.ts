import type { Change } from './change.ts';
import { isProductionDeployment, type PeriodFacts } from './facts.ts';
import type { EvidenceItem, PeriodEvidence } from './period-evidence.ts';
import { defaultBranchByRepo } from './population.ts';
import type { ProfileParameters } from './profile.ts';
import { inWindow, type Window } from './window.ts';

/**
 * Production deployments of code that never reached the default branch (an unmerged branch, a
 * local build): each is a population item of its own, `production_deploy`. Deploying unreviewed
 * code is what both policies forbid, so it is judged by PR-REQUIRED, CD-PIPELINE and SEGREGATION.
 *
 * A deployment counts as one when its SHA is no collected default-branch commit, no merged PR's
 * commit or merge commit, and its ref is not the default branch.
 */
export function productionDeployChanges(
  evidence: PeriodEvidence,
  window: Pick<Window, 'from' | 'to'>,
  facts: PeriodFacts,
  parameters: ProfileParameters,
): Change[] {
  const branches = defaultBranchByRepo(evidence);
  const merged = new Set<string>();
  for (const pr of evidence.pullRequests) {
    const data = pr.doc.data;
    if (data.mergeCommit) merged.add(`${pr.doc.repo}@${data.mergeCommit.sha}`);
    for (const commit of data.commits) merged.add(`${pr.doc.repo}@${commit.sha}`);
  }
  const seen = new Set<string>();
  const changes: Change[] = [];
  for (const item of evidence.deployments) {
    const { repo } = item.doc;
    const data = item.doc.data;
    if (!isProductionDeployment(item, parameters) || !inWindow(data.createdAt, window)) continue;
    const branch = branches.get(repo);
    if (branch === undefined) continue; // nothing known of the default branch: cannot tell
    const ref = data.ref.replace(/^refs\/heads\//, '');
    if (ref === branch || facts.onDefaultBranch(repo, data.sha) || merged.has(`${repo}@${data.sha}`))
      continue;
    const key = `${repo}@${data.sha}!deploy`;
    if (seen.has(key)) continue;
    seen.add(key);
    changes.push(deployChange(item, branch));
  }
  return changes;
}

function deployChange(item: EvidenceItem<'deployment'>, branch: string): Change {
  const data = item.doc.data;
  const repo = item.doc.repo;
  return {
    id: `${repo}@${data.sha}!deployment-${data.id}`,
    repo,
    type: 'production_deploy',
    prNumber: null,
    commitSha: data.sha,
    mergedAt: data.createdAt,
    author: data.creator?.login ?? null,
    title: `deployment ${data.id} of ${data.ref} to ${data.environment}`,
    url: `https://github.com/${repo}/commit/${data.sha}`,
    branch,
    pullRequest: null,
    branchCommits: [],
    overrides: [],
    arrival: 'unknown',
    markedMergedPullRequest: null,
    deployment: item,
  };
}
