import type { ProfileParameters } from '../profile.ts';
import { type ControlRule, noPullRequest, pullRequestEvidenceMissing, result } from './rule.ts';

/** Clerk §3: the PR references a Linear ticket. */
export const ticketLinked: ControlRule = {
  id: 'TICKET-LINKED',
  title: 'The pull request references a ticket',
  howDecided:
    "The PR title or head branch must contain a match of the profile's ticket pattern (a Linear key such as ENG-123), " +
    'or the PR body must contain a link matching its Linear link pattern (https://linear.app/<workspace>/issue/ENG-123). ' +
    'When the profile lists its ticket keys (ENG, CHK), only those count; otherwise a key whose prefix names a standard ' +
    '(SHA-256, UTF-8, ISO-8601 and the like, listed in the profile) is not a ticket, so "Switch to SHA-256 digests" ' +
    "names none. Head branches match case-insensitively in Linear's own shape (alice/eng-12-refunds). Whether the " +
    'ticket exists is not checked unless a ticket source is configured. A direct push has no PR and fails.',
  evaluate(change, { parameters }) {
    if (change.type === 'direct_push') return noPullRequest(change, 'no ticket is referenced');
    const pr = change.pullRequest;
    if (!pr) return pullRequestEvidenceMissing(change);
    const data = pr.doc.data;
    const inTitle = ticketIn(data.title, parameters);
    if (inTitle) return result('pass', [`PR #${data.number} title names ticket ${inTitle}`], [pr.ref]);
    const inBranch = ticketIn(data.headRef, parameters) ?? linearBranchTicket(data.headRef, parameters);
    if (inBranch) {
      return result(
        'pass',
        [`PR #${data.number} head branch ${data.headRef} names ticket ${inBranch}`],
        [pr.ref],
      );
    }
    const inBody = ticketIn(data.body, parameters, parameters.linearLinkPattern);
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
  },
};

/** The key part (`ENG-123`) of a match, whether the match is a bare key or a link ending in one. */
function keyOf(match: string): string {
  return /([A-Za-z][A-Za-z0-9]*-[0-9]+)$/.exec(match)?.[1]?.toUpperCase() ?? match.toUpperCase();
}

function isTicketKey(match: string, parameters: ProfileParameters): boolean {
  const prefix = keyOf(match).split('-')[0] ?? '';
  if (parameters.ticketKeys) return parameters.ticketKeys.includes(prefix);
  return !parameters.nonTicketKeys.some((excluded) => excluded.toUpperCase() === prefix);
}

/** The first match of the pattern in the text that is a ticket key of the profile. */
function ticketIn(
  text: string,
  parameters: ProfileParameters,
  pattern = parameters.ticketPattern,
): string | undefined {
  for (const match of text.matchAll(new RegExp(pattern, 'g'))) {
    if (isTicketKey(match[0], parameters)) return match[0];
  }
  return undefined;
}

/**
 * Linear names branches `<user>/<key>-<number>-<title>` in lower case: a key right after a `/`,
 * followed by `-` or the end, counts in any case.
 */
function linearBranchTicket(branch: string, parameters: ProfileParameters): string | undefined {
  for (const match of branch.matchAll(/\/([A-Za-z][A-Za-z0-9]{1,9}-[0-9]+)(?=-|$)/g)) {
    const key = match[1]!.toUpperCase();
    if (new RegExp(parameters.ticketPattern).test(key) && isTicketKey(key, parameters)) return key;
  }
  return undefined;
}
