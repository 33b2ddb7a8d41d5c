import { type ControlRule, noPullRequest, pullRequestEvidenceMissing, result } from './rule.ts';

/** Clerk §3: the PR references a Linear ticket. */
export const ticketLinked: ControlRule = {
  id: 'TICKET-LINKED',
  title: 'The pull request references a ticket',
  howDecided:
    "The PR title or head branch must contain a match of the profile's ticket pattern (a Linear key such as ENG-123), " +
    'or the PR body must contain a link matching its Linear link pattern (https://linear.app/<workspace>/issue/ENG-123). ' +
    'Whether the ticket exists is not checked unless a ticket source is configured. A direct push has no PR and fails.',
  evaluate(change, { parameters }) {
    if (change.type === 'direct_push') return noPullRequest(change, 'no ticket is referenced');
    const pr = change.pullRequest;
    if (!pr) return pullRequestEvidenceMissing(change);
    const data = pr.doc.data;
    const key = new RegExp(parameters.ticketPattern);
    const link = new RegExp(parameters.linearLinkPattern);
    const inTitle = key.exec(data.title);
    if (inTitle) return result('pass', [`PR #${data.number} title names ticket ${inTitle[0]}`], [pr.ref]);
    const inBranch = key.exec(data.headRef);
    if (inBranch) {
      return result(
        'pass',
        [`PR #${data.number} head branch ${data.headRef} names ticket ${inBranch[0]}`],
        [pr.ref],
      );
    }
    const inBody = link.exec(data.body);
    if (inBody) return result('pass', [`PR #${data.number} body links ticket ${inBody[0]}`], [pr.ref]);
    return result(
      'fail',
      [
        `PR #${data.number} names no ticket: neither its title "${data.title}" nor its head branch ${data.headRef} ` +
          'contains a ticket key, and its body has no ticket link',
      ],
      [pr.ref],
    );
  },
};
