import type { CommitData } from '../../evidence/documents.ts';
import { changeEvidence, shortSha } from '../change.ts';
import { type ControlRule, incompleteLists, result } from './rule.ts';

/** Clerk §5: branch protection enforces signed commits. */
export const signedCommits: ControlRule = {
  id: 'SIGNED-COMMITS',
  title: 'Commits are signed',
  howDecided:
    'Judges the commits that landed on the default branch: the squash or merge commit GitHub made (signed by web-flow), ' +
    'each rebased commit, the PR commits a merge commit brought onto the branch, and each commit pushed directly. Each ' +
    'must carry a signature GitHub verified as valid; an unsigned or invalid one fails. Unsigned commits of a PR branch ' +
    'that were squashed away never reached the branch: they are listed in the reason, not failed. An incomplete commit ' +
    'list without a failure gives unknown.',
  evaluate(change) {
    const landed = new Map<string, CommitData>();
    const pr = change.pullRequest;
    for (const item of change.branchCommits) landed.set(item.doc.data.commit.sha, item.doc.data.commit);
    const merge = pr?.doc.data.mergeCommit ?? null;
    if (merge) landed.set(merge.sha, merge);
    if (pr && change.branchCommits.length === 0) {
      // Without the branch's own record: a merge commit (two parents) or a fast-forward to the
      // head brings the PR's commits onto the branch; a squash leaves them behind.
      const data = pr.doc.data;
      const broughtIn = merge === null || merge.parents.length > 1 || merge.sha === data.headSha;
      if (broughtIn) for (const commit of data.commits) landed.set(commit.sha, commit);
    }
    const evidence = changeEvidence(change);
    if (landed.size === 0) {
      return result(
        'unknown',
        [`no commit of ${change.prNumber !== null ? `PR #${change.prNumber}` : 'the change'} was collected`],
        evidence,
      );
    }
    const squashedAway = (pr?.doc.data.commits ?? []).filter(
      (commit) => !landed.has(commit.sha) && !commit.signature?.isValid,
    );
    const note =
      squashedAway.length > 0
        ? [
            `unsigned commit(s) of the PR branch squashed away, never on the default branch: ${squashedAway
              .map((commit) => `${shortSha(commit.sha)} by ${commit.author ?? 'an unknown author'}`)
              .join(', ')}`,
          ]
        : [];
    const bad = [...landed.values()].filter((commit) => !commit.signature?.isValid);
    if (bad.length > 0) {
      return result(
        'fail',
        [
          ...bad.map((commit) =>
            commit.signature === null
              ? `commit ${shortSha(commit.sha)} by ${commit.author ?? 'an unknown author'} is not signed`
              : `commit ${shortSha(commit.sha)} by ${commit.author ?? 'an unknown author'} has a signature GitHub did not verify (${commit.signature.state})`,
          ),
          ...note,
        ],
        evidence,
      );
    }
    const incomplete = pr ? incompleteLists(pr, 'commits') : [];
    const prCommitsLanded = (pr?.doc.data.commits ?? []).some((commit) => landed.has(commit.sha));
    if (incomplete.length > 0 && prCommitsLanded) {
      return result('unknown', incomplete, evidence);
    }
    return result(
      'pass',
      [
        `all ${landed.size} commit(s) that landed on the default branch carry valid signatures: ${[...landed.keys()].map(shortSha).sort().join(', ')}`,
        ...note,
      ],
      evidence,
    );
  },
};
