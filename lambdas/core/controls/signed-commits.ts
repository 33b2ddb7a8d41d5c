import type { CommitData } from '../../evidence/documents.ts';
import { changeEvidence, shortSha } from '../change.ts';
import { type ControlRule, incompleteLists, result } from './rule.ts';

/** Clerk §5: branch protection enforces signed commits. */
export const signedCommits: ControlRule = {
  id: 'SIGNED-COMMITS',
  title: 'Commits are signed',
  howDecided:
    'Every commit of the PR, its merge (or squash) commit, and every default-branch commit of the change must carry a ' +
    'signature GitHub verified as valid; for a direct push, the pushed commits. An unsigned or invalid commit fails; an ' +
    'incomplete commit list without a failure gives unknown.',
  evaluate(change) {
    const commits = new Map<string, CommitData>();
    const pr = change.pullRequest;
    if (pr) {
      for (const commit of pr.doc.data.commits) commits.set(commit.sha, commit);
      if (pr.doc.data.mergeCommit) commits.set(pr.doc.data.mergeCommit.sha, pr.doc.data.mergeCommit);
    }
    for (const item of change.branchCommits) commits.set(item.doc.data.commit.sha, item.doc.data.commit);
    const evidence = changeEvidence(change);
    if (commits.size === 0) {
      return result(
        'unknown',
        [`no commit of ${change.prNumber !== null ? `PR #${change.prNumber}` : 'the change'} was collected`],
        evidence,
      );
    }
    const bad = [...commits.values()].filter((commit) => !commit.signature?.isValid);
    if (bad.length > 0) {
      return result(
        'fail',
        bad.map((commit) =>
          commit.signature === null
            ? `commit ${shortSha(commit.sha)} by ${commit.author ?? 'an unknown author'} is not signed`
            : `commit ${shortSha(commit.sha)} by ${commit.author ?? 'an unknown author'} has a signature GitHub did not verify (${commit.signature.state})`,
        ),
        evidence,
      );
    }
    const incomplete = pr ? incompleteLists(pr, 'commits') : [];
    if (incomplete.length > 0) return result('unknown', incomplete, evidence);
    return result(
      'pass',
      [
        `all ${commits.size} commit(s) carry valid signatures: ${[...commits.keys()].map(shortSha).sort().join(', ')}`,
      ],
      evidence,
    );
  },
};
