import type { Change } from '../change.ts';
import type { ProfileParameters } from '../profile.ts';
import { confirmTicketsInLinear, isTicketKey, linearBranchTickets, ticketsIn } from '../tickets.ts';
import {
  type ControlRule,
  noPullRequest,
  pullRequestEvidenceMissing,
  type RuleResult,
  result,
} from './rule.ts';

/** Clerk §3: the PR references a Linear ticket. */
export const ticketLinked: ControlRule = {
  id: 'TICKET-LINKED',
  title: 'The pull request references a ticket',
  howDecided:
    "The PR title or head branch must contain a match of the profile's ticket pattern (a Linear key such as ENG-123), " +
    'or the PR body must contain a link matching its Linear link pattern (https://linear.app/<workspace>/issue/ENG-123). ' +
    'When the profile lists its ticket keys (ENG, CHK), only those count; otherwise a key whose prefix names a standard ' +
    '(SHA-256, UTF-8, ISO-8601 and the like, listed in the profile) is not a ticket, so "Switch to SHA-256 digests" ' +
    "names none. Head branches match case-insensitively in Linear's own shape (alice/eng-12-refunds). The " +
    'ticket must then also exist in Linear when the Linear source is configured: a key Linear does not know fails, ' +
    'naming it; a key that could not be looked up is unknown. Without Linear, existence is not checked. A direct push ' +
    'has no PR and fails.',
  evaluate(change, context) {
    const matched = matchTicketReference(change, context.parameters);
    return change.pullRequest ? confirmTicketsInLinear(matched, change.pullRequest, context) : matched;
  },
};

/** Whether the PR names a ticket by the profile's patterns (Linear not consulted). */
function matchTicketReference(change: Change, parameters: ProfileParameters): RuleResult {
  if (change.type === 'direct_push') return noPullRequest(change, 'no ticket is referenced');
  const pr = change.pullRequest;
  if (!pr) return pullRequestEvidenceMissing(change);
  const data = pr.doc.data;
  const inTitle = ticketsIn(data.title, parameters)[0];
  if (inTitle) return result('pass', [`PR #${data.number} title names ticket ${inTitle}`], [pr.ref]);
  const inBranch = ticketsIn(data.headRef, parameters)[0] ?? linearBranchTickets(data.headRef, parameters)[0];
  if (inBranch) {
    return result(
      'pass',
      [`PR #${data.number} head branch ${data.headRef} names ticket ${inBranch}`],
      [pr.ref],
    );
  }
  const inBody = ticketsIn(data.body, parameters, parameters.linearLinkPattern)[0];
  if (inBody) return result('pass', [`PR #${data.number} body links ticket ${inBody}`], [pr.ref]);
  const refused = [data.title, data.headRef]
    .flatMap((text) => [...text.matchAll(new RegExp(parameters.ticketPattern, 'g'))].map((m) => m[0]))
    .filter((key) => !isTicketKey(key, parameters));
  return result(
    'fail',
    [
      `PR #${data.number} names no ticket: neither its title "${data.title}" nor its head branch ${data.headRef} ` +
        'contains a ticket key, and its body has no ticket link' +
        (refused.length > 0
          ? ` (${[...new Set(refused)].join(', ')} is not a ticket key of this profile)`
          : ''),
    ],
    [pr.ref],
  );
}
