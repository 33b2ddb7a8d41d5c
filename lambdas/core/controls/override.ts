import type { CommitData } from '../../evidence/documents.ts';
import type { Gap } from '../../evidence/gaps.ts';
import type { Change } from '../change.ts';
import { shortSha } from '../change.ts';
import type { PeriodFacts } from '../facts.ts';
import type { EvidenceItem } from '../period-evidence.ts';
import type { ProfileParameters } from '../profile.ts';
import { type ControlRule, combine, type RuleResult, result, withheld } from './rule.ts';

/** Clerk §4.1: overrides initiated or approved by the Head of Product or SRE Lead, justified in the commit. */
export const override: ControlRule = {
  id: 'OVERRIDE',
  title: 'Protected-branch and ruleset overrides are approved and justified',
  howDecided:
    'Applies when an override event (audit-log protected_branch.policy_override or a rule-suite bypass; a push seen ' +
    "only in repository activity is a direct push, not an override) pushed or merged one of the change's commits. Its actor must be on the override-approver team as " +
    'snapshotted nearest the event, or the commit it pushed must carry an "Approved-by: <login>" trailer naming one who ' +
    'also left a trace in GitHub on the change (a review or comment, or the actor of an override event): the trailer ' +
    'is the pusher\'s own claim, so without such a trace it fails as "approval not corroborated"; and ' +
    'that commit message must hold a non-empty "Justification:" line and a non-empty "Risk:" line. The override is then ' +
    'also judged as an emergency change (EMERGENCY). No override: not applicable — except a direct push while the ' +
    'audit log or the rule suites could not be read (a plan without the audit log, a token without access): unknown, ' +
    'naming the source.',
  evaluate(change, { facts, parameters }) {
    if (change.overrides.length === 0) {
      // A direct push whose override could only show in a source that was not read is not
      // "no override": it is unknown whether one covers it (controls.md "Direct pushes").
      const unread = change.type === 'direct_push' ? overrideSourceGaps(change, facts) : [];
      if (unread.length > 0) {
        return withheld(
          unread,
          change.branchCommits.map((commit) => commit.ref),
          [
            `commit ${shortSha(change.commitSha)} was pushed directly and no override event was found in the sources that were read`,
          ],
        );
      }
      return result('not_applicable', ['no override or bypass event covers this change'], []);
    }
    const traces = tracesOf(change);
    const judged = change.overrides.map((item) =>
      judgeOverride(item, facts, parameters, commitOfChange(change, item), traces),
    );
    return combine(judged, result('not_applicable', [], []));
  },
};

/** Gaps of the sources that show overrides (audit log, rule suites) at the time of the change. */
export function overrideSourceGaps(change: Change, facts: PeriodFacts): readonly Gap[] {
  const at = Date.parse(change.mergedAt);
  return facts.gapsFor(['audit-log', 'rule-suites'], change.repo, {
    from: new Date(at).toISOString(),
    to: new Date(at + 1).toISOString(),
  });
}

/**
 * Who left a trace in GitHub on the change: reviewers and commenters of its PR, and the actors of
 * the override events that cover it. An `Approved-by:` trailer is the pusher's own claim; it
 * counts only when the named approver is among these.
 */
export function tracesOf(change: Change): Set<string> {
  const logins = new Set<string>();
  const pr = change.pullRequest?.doc.data;
  for (const review of pr?.reviews ?? []) if (review.author) logins.add(review.author.toLowerCase());
  for (const comment of pr?.comments ?? []) if (comment.author) logins.add(comment.author.toLowerCase());
  for (const item of change.overrides) if (item.doc.data.actor) logins.add(item.doc.data.actor.toLowerCase());
  return logins;
}

function commitOfChange(change: Change, item: EvidenceItem<'override'>): CommitData | undefined {
  const wanted = item.doc.data.afterSha;
  const branchCommit = change.branchCommits.find((commit) => commit.doc.data.commit.sha === wanted);
  if (branchCommit) return branchCommit.doc.data.commit;
  const merge = change.pullRequest?.doc.data.mergeCommit;
  return merge?.sha === wanted ? merge : undefined;
}

const APPROVED_BY = /^\s*Approved-by:\s*@?([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?)/gim;

/** Judge one override event on its own; also used for the pack's overrides register. */
export function judgeOverride(
  item: EvidenceItem<'override'>,
  facts: PeriodFacts,
  parameters: ProfileParameters,
  fallbackCommit?: CommitData,
  /** Logins with a trace on the change (see `tracesOf`); by default only this event's actor. */
  traces: ReadonlySet<string> = new Set(item.doc.data.actor ? [item.doc.data.actor.toLowerCase()] : []),
): RuleResult {
  const o = item.doc.data;
  const what = `override by ${o.actor ?? 'an unknown actor'} at ${o.at} pushing ${shortSha(o.afterSha)} (${o.sources.join(', ')})`;
  const commit = o.commit ?? fallbackCommit ?? null;
  const approvers = facts.teamAt(parameters.teams.overrideApprovers, o.at);
  const evidence = approvers?.ref ? [item.ref, approvers.ref] : [item.ref];
  const parts: RuleResult[] = [];

  if (!commit) {
    parts.push(
      result(
        'unknown',
        [`${what}: the commit it pushed was not collected, so its message cannot be read`],
        evidence,
      ),
    );
  } else {
    const message = commit.message;
    const missing = [
      ...(/^\s*Justification:[ \t]*\S/im.test(message) ? [] : ['a "Justification:" line']),
      ...(/^\s*Risk:[ \t]*\S/im.test(message) ? [] : ['a "Risk:" line']),
    ];
    parts.push(
      missing.length > 0
        ? result(
            'fail',
            [`${what}: commit ${shortSha(commit.sha)} message lacks ${missing.join(' and ')}`],
            evidence,
          )
        : result(
            'pass',
            [`commit ${shortSha(commit.sha)} states a justification and a risk assessment`],
            evidence,
          ),
    );
  }

  const named = commit ? [...commit.message.matchAll(APPROVED_BY)].map((match) => match[1]!) : [];
  if (!approvers) {
    parts.push(
      result(
        'unknown',
        [
          `${what}: the override-approver team membership was not collected, so the approval cannot be checked`,
        ],
        evidence,
      ),
    );
  } else if (o.actor !== null && approvers.members.has(o.actor)) {
    parts.push(
      result('pass', [`${what}: ${o.actor} is an override approver (${approvers.description})`], evidence),
    );
  } else {
    const approver = named.find((login) => approvers.members.has(login) && traces.has(login.toLowerCase()));
    const uncorroborated = named.find((login) => approvers.members.has(login));
    parts.push(
      approver
        ? result(
            'pass',
            [
              `${what}: approved by ${approver} (Approved-by trailer, corroborated by ${approver}'s own review, comment or event on the change; ${approvers.description})`,
            ],
            evidence,
          )
        : uncorroborated
          ? result(
              'fail',
              [
                `${what}: approval not corroborated: the commit names ${uncorroborated} in an Approved-by trailer, ` +
                  `but ${uncorroborated} left no review, comment or override event on the change`,
              ],
              evidence,
            )
          : result(
              'fail',
              [
                `${what}: ${o.actor ?? 'the actor'} is not an override approver (${approvers.description}) and the commit names ` +
                  (named.length > 0
                    ? `only ${named.join(', ')} as approver`
                    : 'no approver in an Approved-by trailer'),
              ],
              evidence,
            ),
    );
  }
  return combine(parts, result('unknown', [what], evidence));
}
