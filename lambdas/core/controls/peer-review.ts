import { shortSha } from '../change.ts';
import {
  approvalCoversHead,
  approvalsBeforeMerge,
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
    'At least one APPROVED review, not dismissed, by a user other than the PR author, submitted at or before the merge, ' +
    'on the merged head commit (or, when the review names no commit, with no commit made after it). Where the profile ' +
    'exempts standard changes, a PR carrying the standard-change label when merged is not applicable. An incomplete ' +
    'review list without a qualifying approval gives unknown. A direct push fails.',
  evaluate(change, { parameters, version }) {
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
    const approvals = approvalsBeforeMerge(pr);
    const onHead = approvals.find((review) => approvalCoversHead(pr, review));
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
    const incomplete = incompleteLists(pr, 'reviews');
    if (incomplete.length > 0) return result('unknown', incomplete, [pr.ref]);
    const author = data.author?.login ?? 'an unknown author';
    const reasons: string[] = [];
    for (const stale of approvals) {
      reasons.push(
        `${stale.author} approved ${stale.commitSha ? `commit ${shortSha(stale.commitSha)}` : 'an earlier version'} at ${stale.submittedAt}, ` +
          `but code was pushed after it (merged head ${shortSha(data.headSha)})`,
      );
    }
    const dismissed = data.reviews.filter(
      (review) => review.state === 'DISMISSED' || review.dismissedAt !== null,
    );
    for (const review of dismissed) {
      reasons.push(
        `the review by ${review.author ?? 'an unknown user'} was dismissed${review.dismissedBy ? ` by ${review.dismissedBy}` : ''}` +
          `${review.dismissedAt ? ` at ${review.dismissedAt}` : ''}`,
      );
    }
    const late = data.reviews.filter(
      (review) =>
        review.state === 'APPROVED' &&
        review.author !== author &&
        review.submittedAt !== null &&
        Date.parse(review.submittedAt) > Date.parse(data.mergedAt),
    );
    for (const review of late)
      reasons.push(`${review.author} approved only after the merge, at ${review.submittedAt}`);
    if (data.reviews.some((review) => review.state === 'APPROVED' && review.author === author)) {
      reasons.push(`the only approval is by the author ${author}`);
    }
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
