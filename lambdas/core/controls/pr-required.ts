import { describeGap } from '../../evidence/gaps.ts';
import { changeEvidence, shortSha } from '../change.ts';
import { overrideSourceGaps } from './override.ts';
import { type ControlRule, result } from './rule.ts';

/** Clerk §3/§5: PRs remain mandatory for every production change; Clicki: no undocumented changes. */
export const prRequired: ControlRule = {
  id: 'PR-REQUIRED',
  title: 'Every change flows through a merged pull request',
  howDecided:
    'Each default-branch commit of the period must be the merge, squash or rebase result of a merged pull request ' +
    '(repository activity records a pr_merge or merge_queue_merge). Repository activity decides: a commit it shows as a ' +
    'push or force push is a direct push even when GitHub lists a "merged" PR for it, because GitHub marks a PR merged ' +
    "when its head is pushed straight to the base branch. Where activity is out of reach, GitHub's PR association " +
    '(the PR names it as its merge commit) is used and the reason says so. A change is dated by when it reached the ' +
    'branch (merge or push), never by its commit date. A production deployment of code that never reached the ' +
    'default branch (an unmerged branch, a local build) is a change of its own and fails. A commit pushed directly passes only when an override event (audit log, rule-suite bypass) covers it; ' +
    'OVERRIDE and EMERGENCY then judge that override. Otherwise it fails; when the audit log or the rule suites ' +
    'could not be read, the reason names that source (OVERRIDE is then unknown).',
  evaluate(change, { facts }) {
    const evidence = changeEvidence(change);
    const byAssociation =
      change.arrival === 'association'
        ? ' (repository activity does not show how it arrived; GitHub associates the commit with the PR)'
        : '';
    if (change.type === 'production_deploy') {
      const d = change.deployment?.doc.data;
      return result(
        'fail',
        [
          `${shortSha(change.commitSha)} was deployed to production${d ? ` (deployment ${d.id} of ${d.ref} by ${d.creator?.login ?? 'an unknown user'} at ${d.createdAt})` : ''} ` +
            `without ever reaching ${change.branch ?? 'the default branch'} through a pull request`,
        ],
        evidence,
      );
    }
    if (change.type === 'pull_request') {
      const pr = change.pullRequest?.doc.data;
      if (!pr) {
        return result(
          'pass',
          [
            `commit ${shortSha(change.commitSha)} was merged from a pull request (repository evidence)${byAssociation}`,
          ],
          evidence,
        );
      }
      const mergedBy = pr.mergedBy ? ` by ${pr.mergedBy.login}` : '';
      const commit = pr.mergeCommit ? ` as ${shortSha(pr.mergeCommit.sha)}` : '';
      return result(
        'pass',
        [`merged through PR #${pr.number}${mergedBy} at ${pr.mergedAt}${commit}${byAssociation}`],
        evidence,
      );
    }
    const who = change.author ? ` by ${change.author}` : '';
    const marked =
      change.markedMergedPullRequest !== null
        ? ` (GitHub marks PR #${change.markedMergedPullRequest} merged because its head was pushed straight to the branch; repository activity shows a push, not a PR merge)`
        : '';
    const override = change.overrides[0];
    if (override) {
      const o = override.doc.data;
      return result(
        'pass',
        [
          `commit ${shortSha(change.commitSha)} was pushed directly${who} at ${change.mergedAt}, ` +
            `covered by an override by ${o.actor ?? 'an unknown actor'} at ${o.at} (${o.sources.join(', ')})${marked}`,
        ],
        [...change.overrides.map((item) => item.ref), ...evidence],
      );
    }
    const unread = overrideSourceGaps(change, facts);
    const unreadNote =
      unread.length > 0
        ? ` in the sources that were read; an override could show only in a source that was not: ${unread.map(describeGap).join('; ')}`
        : '';
    return result(
      'fail',
      [
        `commit ${shortSha(change.commitSha)} was pushed directly to ${change.branch ?? 'the default branch'}${who} ` +
          `at ${change.mergedAt} without a pull request, and no override event covers it${marked}${unreadNote}`,
      ],
      evidence,
    );
  },
};
