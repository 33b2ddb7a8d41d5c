import type { Change } from '../change.ts';
import { shortSha } from '../change.ts';
import { onCallGrant } from '../on-call.ts';
import type { EvidenceItem } from '../period-evidence.ts';
import {
  type ControlRule,
  combine,
  type EvaluationContext,
  hoursAfter,
  incompleteLists,
  labelsOf,
  pullRequestEvidenceMissing,
  type RuleResult,
  result,
  withheld,
} from './rule.ts';

/** Clerk §4/§4.1: emergency label granted by an Incident Commander, record in 24 h, post-mortem in 5 days. */
export const emergency: ControlRule = {
  id: 'EMERGENCY',
  title: 'Emergency changes are documented and reviewed after the fact',
  howDecided:
    'Applies to a PR that ever carried the emergency label and to any change covered by an override. The label must ' +
    'have been added by a member of the Incident Commanders team (as snapshotted nearest the merge) or, with Better Stack ' +
    "configured, by whoever was on call in the profile's Incident Commanders calendar when it was added; a PR comment " +
    "matching the retrospective pattern must be created within the profile's retrospective hours (24) after the merge; " +
    'and a PR comment created within the post-mortem hours (120) after the merge, or the PR body, must hold a post-mortem ' +
    'link (the body counts only if it was last edited within those hours). A direct push has no PR to carry these records and fails them. While a deadline had not passed when the PR ' +
    'was collected, a missing record is unknown. Other changes are not applicable.',
  evaluate(change, context) {
    const judged = judgeEmergency(change, context);
    return (
      judged ??
      result('not_applicable', ['not labelled as an emergency change and not covered by an override'], [])
    );
  },
};

/**
 * Clicki: an emergency change "may bypass standard approval steps". Where the profile says so, a
 * change whose EMERGENCY verdict is pass needs no approval: the not-applicable verdict, else undefined.
 */
export function emergencyExemption(change: Change, context: EvaluationContext): RuleResult | undefined {
  if (!context.parameters.emergencyExemptsApproval) return undefined;
  const judged = judgeEmergency(change, context);
  if (judged?.verdict !== 'pass') return undefined;
  return result(
    'not_applicable',
    [
      `an emergency change documented and reviewed as the policy asks (EMERGENCY passes), which may bypass approval`,
    ],
    judged.evidence,
  );
}

/** The emergency verdict, or undefined when the change is no emergency change. */
export function judgeEmergency(change: Change, context: EvaluationContext): RuleResult | undefined {
  const { parameters } = context;
  const pr = change.pullRequest;
  const overridden = change.overrides.length > 0;
  const labelled = pr ? labelsOf(pr).has(parameters.emergencyLabel) : false;
  if (!labelled && !overridden) {
    if (change.type === 'pull_request' && !pr) return pullRequestEvidenceMissing(change);
    return undefined;
  }
  const overrideRefs = change.overrides.map((item) => item.ref);
  if (!pr) {
    return result(
      'fail',
      [
        `commit ${shortSha(change.commitSha)} was pushed under an override at ${change.overrides[0]?.doc.data.at ?? change.mergedAt}, ` +
          'but without a pull request there is no retrospective record or post-mortem link',
      ],
      [...overrideRefs, ...change.branchCommits.map((commit) => commit.ref)],
    );
  }
  const data = pr.doc.data;
  const parts: RuleResult[] = [];
  if (labelled) parts.push(judgeLabelGrant(pr, context));
  parts.push(
    judgeRecord(pr, {
      what: 'retrospective record',
      pattern: new RegExp(parameters.retrospectivePattern, 'i'),
      hours: parameters.retrospectiveHours,
      includeBody: false,
    }),
  );
  parts.push(
    judgeRecord(pr, {
      what: 'post-mortem link',
      pattern: new RegExp(parameters.postMortemPattern, 'i'),
      hours: parameters.postMortemHours,
      includeBody: true,
    }),
  );
  const judged = combine(parts, result('unknown', [], [pr.ref]));
  const why = labelled
    ? `PR #${data.number} is an emergency change`
    : `PR #${data.number} was merged under an override`;
  return result(judged.verdict, [why, ...judged.reasons], [...judged.evidence, ...overrideRefs]);
}

/** The logins that added the emergency label, with times, oldest first. */
export function emergencyLabelGrants(
  pr: EvidenceItem<'pull-request'>,
  label: string,
): { actor: string | null; at: string }[] {
  return pr.doc.data.labelEvents
    .filter((event) => event.name === label && event.action === 'added')
    .map((event) => ({ actor: event.actor, at: event.at }))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function judgeLabelGrant(
  pr: EvidenceItem<'pull-request'>,
  { facts, parameters }: EvaluationContext,
): RuleResult {
  const label = parameters.emergencyLabel;
  const grants = emergencyLabelGrants(pr, label);
  if (grants.length === 0) {
    return result('unknown', [`who added the ${label} label is not in the evidence`], [pr.ref]);
  }
  const onCall = onCallGrant(grants, pr, { facts, parameters });
  if (onCall.granted) return onCall.granted;
  const commanders = facts.teamAt(parameters.teams.incidentCommanders, pr.doc.data.mergedAt);
  if (!commanders) {
    return result(
      'unknown',
      [
        `the ${label} label was added by ${grants.map((g) => g.actor ?? 'unknown').join(', ')}, but the Incident Commander team membership was not collected`,
      ],
      [pr.ref],
    );
  }
  const evidence = [pr.ref, ...(commanders.ref ? [commanders.ref] : []), ...onCall.evidence];
  const valid = grants.find((grant) => grant.actor !== null && commanders.members.has(grant.actor));
  if (valid) {
    return result(
      'pass',
      [`the ${label} label was added by Incident Commander ${valid.actor} at ${valid.at}`],
      evidence,
    );
  }
  const notByCommander =
    `the ${label} label was added by ${grants.map((g) => `${g.actor ?? 'an unknown user'} at ${g.at}`).join(', ')}, ` +
    `not by an Incident Commander (${commanders.description})${onCall.note ? `, ${onCall.note}` : ''}`;
  if (onCall.unreadable) {
    const { gaps, reason } = onCall.unreadable;
    return gaps.length > 0
      ? withheld(gaps, evidence, [notByCommander])
      : result(
          'unknown',
          [notByCommander, reason ?? "Better Stack's on-call calendar was not read"],
          evidence,
        );
  }
  return result('fail', [notByCommander], evidence);
}

function judgeRecord(
  pr: EvidenceItem<'pull-request'>,
  rule: { what: string; pattern: RegExp; hours: number; includeBody: boolean },
): RuleResult {
  const data = pr.doc.data;
  const merged = Date.parse(data.mergedAt);
  const deadline = hoursAfter(data.mergedAt, rule.hours);
  const comment = data.comments.find((c) => {
    const created = Date.parse(c.createdAt);
    return created >= merged && created <= deadline && rule.pattern.test(c.body);
  });
  if (comment) {
    return result(
      'pass',
      [`a ${rule.what} was posted by ${comment.author ?? 'an unknown user'} at ${comment.createdAt}`],
      [pr.ref],
    );
  }
  // A link in the body counts only if the body was last edited within the deadline: an edit
  // after it may have added the link late, and then a comment must carry it.
  const bodyEdited = data.bodyEditedAt ?? null;
  const bodyInTime = bodyEdited === null || Date.parse(bodyEdited) <= deadline;
  if (rule.includeBody && rule.pattern.test(data.body)) {
    if (bodyInTime) {
      return result(
        'pass',
        [`the PR body holds a ${rule.what}${bodyEdited ? ` (body last edited at ${bodyEdited})` : ''}`],
        [pr.ref],
      );
    }
    return result(
      'fail',
      [
        `the PR body holds a ${rule.what}, but it was last edited at ${bodyEdited}, after the ${rule.hours} h deadline ` +
          `${new Date(deadline).toISOString()}, and no comment carries one in time`,
      ],
      [pr.ref],
    );
  }
  const deadlineIso = new Date(deadline).toISOString();
  if (Date.parse(pr.doc.provenance.fetchedAt) < deadline) {
    return result(
      'unknown',
      [
        `no ${rule.what} yet, but the PR was collected at ${pr.doc.provenance.fetchedAt}, before the deadline ${deadlineIso}`,
      ],
      [pr.ref],
    );
  }
  const incomplete = incompleteLists(pr, 'comments');
  if (incomplete.length > 0) return result('unknown', incomplete, [pr.ref]);
  return result(
    'fail',
    [`no ${rule.what} within ${rule.hours} h of the merge at ${data.mergedAt} (deadline ${deadlineIso})`],
    [pr.ref],
  );
}
