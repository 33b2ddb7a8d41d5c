import { shortSha } from '../change.ts';
import { readApprovals, unverifiedApprovals } from './approvals.ts';
import { emergencyExemption } from './emergency.ts';
import {
  type ControlRule,
  incompleteLists,
  labelAtMerge,
  noPullRequest,
  pullRequestEvidenceMissing,
  result,
} from './rule.ts';

/** Clerk v1.0 mandatory, v1.1 optional (§3.3); Clicki: "at least one other qualified individual". */
export const peerReview: ControlRule = {
  id: 'PEER-REVIEW',
  title: 'Reviewed by someone other than the author',
  howDecided:
    'At least one APPROVED review, not dismissed, submitted at or before the merge, on the merged head commit (or, when ' +
    'the review names no commit, with no commit made after it), by an independent person: not the PR author, not a bot ' +
    'or app account, and not the author, committer, co-author (Co-authored-by) or pusher (as repository activity of the PR branch names them) of any commit of the PR. Where the profile ' +
    'exempts standard changes, a PR carrying the standard-change label when merged is not applicable. An incomplete ' +
    "review list without a qualifying approval gives unknown. When who pushed some of the PR's commits is not known (repository activity out of reach), an approval that would count gives unknown: its author may have pushed code of their own. Where the profile lets emergencies bypass approval " +
    '(Clicki), a change whose EMERGENCY verdict is pass is not applicable. A direct push fails.',
  evaluate(change, context) {
    const { parameters, version } = context;
    const emergencyBypass = emergencyExemption(change, context);
    if (emergencyBypass) return emergencyBypass;
    if (change.type === 'direct_push') return noPullRequest(change, 'nobody reviewed it');
    const pr = change.pullRequest;
    if (!pr) return pullRequestEvidenceMissing(change);
    const data = pr.doc.data;
    const exempt = version.controls['PEER-REVIEW']?.exemptStandardChanges ?? false;
    if (exempt && labelAtMerge(pr, parameters.standardChangeLabel)) {
      return result(
        'not_applicable',
        [
          `PR #${data.number} carried the ${parameters.standardChangeLabel} label when merged: a standard change`,
        ],
        [pr.ref],
      );
    }
    const { counted, refused, unverified, unverifiedBecause } = readApprovals(pr);
    const onHead = counted[0];
    if (onHead) {
      return result(
        'pass',
        [
          `approved by ${onHead.author} at ${onHead.submittedAt} on ${onHead.commitSha ? `head commit ${shortSha(onHead.commitSha)}` : 'the merged code'}, ` +
            `before the merge at ${data.mergedAt}`,
        ],
        [pr.ref],
      );
    }
    if (unverified.length > 0) return unverifiedApprovals(unverified, unverifiedBecause, [pr.ref]);
    const incomplete = incompleteLists(pr, 'reviews');
    if (incomplete.length > 0) return result('unknown', incomplete, [pr.ref]);
    const author = data.author?.login ?? 'an unknown author';
    const reasons = [...refused];
    return result(
      'fail',
      [
        `PR #${data.number} by ${author} was merged at ${data.mergedAt} without an approval by anyone else on the merged code`,
        ...reasons,
      ],
      [pr.ref],
    );
  },
};
