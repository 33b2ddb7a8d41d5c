import type { Change } from './change.ts';
import { shortSha } from './change.ts';
import type { PeriodFacts } from './facts.ts';
import { shippingDeployments } from './facts.ts';
import type { CompletenessReport } from './pack-model.ts';
import type { EvidenceItem } from './period-evidence.ts';
import { compareText } from './population.ts';
import type { ProfileParameters } from './profile.ts';

type Difference = CompletenessReport['differences'][number];

/**
 * Reconcile the three views of the period — default-branch commits, merged PRs and production
 * deployments — and say in plain words where they disagree.
 */
export function reconcilePopulation(
  changes: readonly Change[],
  defaultBranchCommits: number,
  productionDeployments: readonly EvidenceItem<'deployment'>[],
  facts: PeriodFacts,
  parameters: ProfileParameters,
): CompletenessReport {
  const differences: Difference[] = [];
  const mergeShas = new Set<string>();
  for (const change of changes) {
    if (change.commitSha) mergeShas.add(`${change.repo}@${change.commitSha}`);
    const branch = change.branch ?? 'the default branch';
    if (change.type === 'pull_request' && change.prNumber !== null && change.branchCommits.length === 0) {
      differences.push({
        repo: change.repo,
        ref: `#${change.prNumber}`,
        note:
          `merged PR #${change.prNumber}'s merge commit ${change.commitSha ? shortSha(change.commitSha) : '(unknown)'} ` +
          `is not in the ${branch} history collected for the period`,
      });
    }
    if (change.type === 'pull_request' && change.prNumber === null) {
      differences.push({
        repo: change.repo,
        ref: shortSha(change.commitSha),
        note: `commit ${shortSha(change.commitSha)} reached ${branch} through a PR merge that the evidence does not name`,
      });
    }
    if (change.type === 'direct_push') {
      const covered = change.overrides.length > 0 ? ', under an override' : ' without a pull request';
      differences.push({
        repo: change.repo,
        ref: shortSha(change.commitSha),
        note: `commit ${shortSha(change.commitSha)} was pushed directly to ${branch} by ${change.author ?? 'an unknown user'} at ${change.mergedAt}${covered}`,
      });
    }
  }

  const reposWithProduction = new Set(productionDeployments.map((item) => item.doc.repo));
  for (const item of productionDeployments) {
    const d = item.doc.data;
    if (!facts.onDefaultBranch(item.doc.repo, d.sha) && !mergeShas.has(`${item.doc.repo}@${d.sha}`)) {
      differences.push({
        repo: item.doc.repo,
        ref: `deployment ${d.id}`,
        note:
          `production deployment ${d.id} at ${d.createdAt} deployed ${shortSha(d.sha)}, which is not among the ` +
          'default-branch commits of the period (an older commit, or one not on the default branch)',
      });
    }
  }

  const undeployedByRepo = new Map<string, Change[]>();
  for (const change of changes) {
    if (shippingDeployments(change, facts, parameters).shipped) continue;
    const list = undeployedByRepo.get(change.repo) ?? [];
    list.push(change);
    undeployedByRepo.set(change.repo, list);
  }
  for (const [repo, undeployed] of undeployedByRepo) {
    if (!reposWithProduction.has(repo)) {
      differences.push({
        repo,
        ref: repo,
        note: `not shipped in the period: no production deployment of ${repo} was recorded up to the settle time ${facts.settleAt}; its ${undeployed.length} change(s) were not deployed`,
      });
      continue;
    }
    for (const change of undeployed) {
      const name =
        change.prNumber !== null ? `PR #${change.prNumber}` : `commit ${shortSha(change.commitSha)}`;
      differences.push({
        repo,
        ref: change.prNumber !== null ? `#${change.prNumber}` : shortSha(change.commitSha),
        note: `not shipped in the period: ${name} (${shortSha(change.commitSha)}) was not deployed to production successfully by the settle time ${facts.settleAt}`,
      });
    }
  }

  differences.sort(
    (a, b) => compareText(a.repo, b.repo) || compareText(a.ref, b.ref) || compareText(a.note, b.note),
  );
  return {
    defaultBranchCommits,
    mergedPullRequests: changes.filter((change) => change.type === 'pull_request' && change.prNumber !== null)
      .length,
    directPushes: changes.filter((change) => change.type === 'direct_push').length,
    productionDeployments: productionDeployments.length,
    differences,
  };
}
