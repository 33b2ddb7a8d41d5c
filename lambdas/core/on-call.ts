import type { Gap } from '../evidence/gaps.ts';
import { type EvaluationContext, type RuleResult, result } from './controls/rule.ts';
import type { EvidenceRef } from './pack-model.ts';
import type { EvidenceItem } from './period-evidence.ts';
import type { ProfileParameters } from './profile.ts';

/**
 * EMERGENCY with Better Stack configured (controls.md, "Incident Commanders"): the emergency
 * label is also valid when added by whoever was on call in the Incident Commanders' calendar at
 * that moment. Pure: reads the stored `on-call` snapshots only.
 */
export interface OnCallGrant {
  /** A pass: some grant was made by the commander on call at the time. */
  readonly granted?: RuleResult;
  /** Why no grant was an on-call commander, to add to a failing reason. */
  readonly note?: string;
  /** Better Stack is configured but its calendar could not be read: no fail may rest on it. */
  readonly unreadable?: { readonly gaps: readonly Gap[]; readonly reason?: string };
  readonly evidence: readonly EvidenceRef[];
}

/** The GitHub login a Better Stack user is: the profile's map, else the address's local part. */
export function loginOfOnCallUser(
  email: string,
  parameters: Pick<ProfileParameters, 'onCallLogins'>,
): { login: string; how: string } {
  const mapped = Object.entries(parameters.onCallLogins).find(
    ([address]) => address.toLowerCase() === email.toLowerCase(),
  );
  if (mapped) return { login: mapped[1], how: `${email} is ${mapped[1]} by the profile's onCallLogins` };
  const local = email.split('@')[0] ?? email;
  return { login: local, how: `${email} taken as login ${local}` };
}

export function onCallGrant(
  grants: readonly { actor: string | null; at: string }[],
  pr: EvidenceItem<'pull-request'>,
  { facts, parameters }: Pick<EvaluationContext, 'facts' | 'parameters'>,
): OnCallGrant {
  const betterStack = facts.sources.betterStack;
  if (!betterStack.configured) return { evidence: [] };
  const calendar = parameters.incidentCommanderCalendar;
  const label = parameters.emergencyLabel;
  // On-call gaps over any moment a grant was made: who was on call then cannot be known.
  const gaps = facts.gapsFor(
    ['better-stack-on-call'],
    null,
    grants.length === 0
      ? facts.window
      : {
          from: grants.map((grant) => grant.at).sort()[0]!,
          to: new Date(Math.max(...grants.map((grant) => Date.parse(grant.at))) + 1).toISOString(),
        },
  );
  if (!facts.sources.hasCalendar(calendar)) {
    return {
      unreadable:
        gaps.length > 0
          ? { gaps }
          : {
              gaps: [],
              reason: `Better Stack holds no on-call calendar named "${calendar}" (profile parameter incidentCommanderCalendar)`,
            },
      evidence: [],
    };
  }
  const onCallRefs: EvidenceRef[] = [];
  const seenOnCall: string[] = [];
  for (const grant of grants) {
    const shifts = facts.sources.onCallAt(calendar, grant.at);
    onCallRefs.push(...shifts.map((shift) => shift.item.ref));
    seenOnCall.push(...shifts.map((shift) => `${shift.email} at ${grant.at}`));
    if (grant.actor === null) continue;
    const actor = grant.actor.toLowerCase();
    for (const shift of shifts) {
      const who = loginOfOnCallUser(shift.email, parameters);
      if (who.login.toLowerCase() !== actor) continue;
      return {
        granted: result(
          'pass',
          [
            `the ${label} label was added by ${grant.actor} at ${grant.at}, the Incident Commander on call in Better Stack's ` +
              `"${shift.calendar}" calendar from ${shift.startsAt} to ${shift.endsAt} (${who.how})`,
          ],
          [pr.ref, shift.item.ref],
        ),
        evidence: [shift.item.ref],
      };
    }
  }
  if (gaps.length > 0) return { unreadable: { gaps }, evidence: onCallRefs };
  return {
    note:
      seenOnCall.length > 0
        ? `nor by the Incident Commander on call in Better Stack's "${calendar}" calendar (${seenOnCall.join(', ')})`
        : `nor by an Incident Commander on call: nobody was on call in Better Stack's "${calendar}" calendar then`,
    evidence: onCallRefs,
  };
}
