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
    '(GitHub associates it with the PR, the PR names it as its merge commit, or repository activity records a PR merge). ' +
    'A commit pushed directly passes only when an override event (audit log, rule-suite bypass) covers it; ' +
    'OVERRIDE and EMERGENCY then judge that override. Otherwise it fails; when the audit log or the rule suites ' +
    'could not be read, the reason names that source (OVERRIDE is then unknown).',
  evaluate(change, { facts }) {
    const evidence = changeEvidence(change);
    if (change.type === 'pull_request') {
      const pr = change.pullRequest?.doc.data;
      if (!pr) {
        return result(
          'pass',
          [`commit ${shortSha(change.commitSha)} was merged from a pull request (repository evidence)`],
          evidence,
        );
      }
      const mergedBy = pr.mergedBy ? ` by ${pr.mergedBy.login}` : '';
      const commit = pr.mergeCommit ? ` as ${shortSha(pr.mergeCommit.sha)}` : '';
      return result(
        'pass',
        [`merged through PR #${pr.number}${mergedBy} at ${pr.mergedAt}${commit}`],
        evidence,
      );
    }
    const who = change.author ? ` by ${change.author}` : '';
    const override = change.overrides[0];
    if (override) {
      const o = override.doc.data;
      return result(
        'pass',
        [
          `commit ${shortSha(change.commitSha)} was pushed directly${who} at ${change.mergedAt}, ` +
            `covered by an override by ${o.actor ?? 'an unknown actor'} at ${o.at} (${o.sources.join(', ')})`,
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
          `at ${change.mergedAt} without a pull request, and no override event covers it${unreadNote}`,
      ],
      evidence,
    );
  },
};
