import type { PullRequestData } from '../evidence/documents.ts';
import { type EvaluationContext, type RuleResult, result, withheld } from './controls/rule.ts';
import type { EvidenceItem } from './period-evidence.ts';
import type { ProfileParameters } from './profile.ts';

/**
 * Which ticket keys a PR names (the profile's patterns, its ticket keys and non-ticket keys,
 * Linear's branch shape), and TICKET-LINKED with the Linear source configured (controls.md): a
 * reference that matches the pattern is not enough, the ticket must exist in Linear. Pure: reads
 * the PR and the stored `linear-ticket` answers only.
 */

type TicketParameters = Pick<
  ProfileParameters,
  'ticketPattern' | 'linearLinkPattern' | 'ticketKeys' | 'nonTicketKeys'
>;

/** The key part (`ENG-123`) of a match, whether the match is a bare key or a link ending in one. */
export function keyOf(match: string): string {
  return /([A-Za-z][A-Za-z0-9]*-[0-9]+)$/.exec(match)?.[1]?.toUpperCase() ?? match.toUpperCase();
}

/** Whether a match is a ticket of this profile: its listed keys, or any key but a standard's (SHA-256). */
export function isTicketKey(match: string, parameters: TicketParameters): boolean {
  const prefix = keyOf(match).split('-')[0] ?? '';
  if (parameters.ticketKeys) return parameters.ticketKeys.includes(prefix);
  return !parameters.nonTicketKeys.some((excluded) => excluded.toUpperCase() === prefix);
}

/** Every match of the pattern in the text that is a ticket key of the profile, in order. */
export function ticketsIn(
  text: string,
  parameters: TicketParameters,
  pattern = parameters.ticketPattern,
): string[] {
  return [...text.matchAll(new RegExp(pattern, 'g'))]
    .map((match) => match[0])
    .filter((match) => isTicketKey(match, parameters));
}

/**
 * Linear names branches `<user>/<key>-<number>-<title>` in lower case: a key right after a `/`,
 * followed by `-` or the end, counts in any case. Upper-cased.
 */
export function linearBranchTickets(branch: string, parameters: TicketParameters): string[] {
  const keys: string[] = [];
  for (const match of branch.matchAll(/\/([A-Za-z][A-Za-z0-9]{1,9}-[0-9]+)(?=-|$)/g)) {
    const key = match[1]!.toUpperCase();
    if (new RegExp(parameters.ticketPattern).test(key) && isTicketKey(key, parameters)) keys.push(key);
  }
  return keys;
}

/**
 * Every ticket key a PR names, as TICKET-LINKED reads it: in the title, in the head branch (also
 * in Linear's lower-case shape) and in Linear links in the body. Upper-cased, sorted, each once.
 */
export function referencedTicketKeys(
  data: Pick<PullRequestData, 'title' | 'headRef' | 'body'>,
  parameters: TicketParameters,
): string[] {
  const keys = new Set<string>();
  for (const match of ticketsIn(data.title, parameters)) keys.add(keyOf(match));
  for (const match of ticketsIn(data.headRef, parameters)) keys.add(keyOf(match));
  for (const key of linearBranchTickets(data.headRef, parameters)) keys.add(key);
  for (const match of ticketsIn(data.body, parameters, parameters.linearLinkPattern)) keys.add(keyOf(match));
  return [...keys].sort();
}

/**
 * The TICKET-LINKED verdict once the reference matched: unchanged when Linear is not configured;
 * otherwise pass only when a named ticket exists in Linear, fail when Linear knows none of them
 * (naming the keys), unknown when a named key was never looked up (a `linear-tickets` gap, or
 * a key the collector was not asked about).
 */
export function confirmTicketsInLinear(
  matched: RuleResult,
  pr: EvidenceItem<'pull-request'>,
  { facts, parameters }: Pick<EvaluationContext, 'facts' | 'parameters'>,
): RuleResult {
  if (matched.verdict !== 'pass' || !facts.sources.linear.configured) return matched;
  const data = pr.doc.data;
  const keys = referencedTicketKeys(data, parameters);
  if (keys.length === 0) return matched;
  const answers = keys.map((key) => ({ key, item: facts.sources.ticket(key) }));
  const refs = answers.flatMap((answer) => (answer.item ? [answer.item.ref] : []));
  const found = answers.find((answer) => answer.item?.doc.data.exists);
  if (found?.item) {
    const issue = found.item.doc.data.issue;
    const createdAfterMerge = issue !== null && Date.parse(issue.createdAt) > Date.parse(data.mergedAt);
    return result(
      'pass',
      [
        ...matched.reasons,
        issue
          ? `ticket ${issue.identifier} exists in Linear: "${issue.title}" (team ${issue.team.key}, ${issue.state.name}, created ${issue.createdAt}${createdAfterMerge ? ', after the merge' : ''})`
          : `ticket ${found.key} exists in Linear`,
      ],
      [pr.ref, found.item.ref],
    );
  }
  const notLookedUp = answers.filter((answer) => !answer.item).map((answer) => answer.key);
  if (notLookedUp.length > 0) {
    const atMerge = { from: data.mergedAt, to: new Date(Date.parse(data.mergedAt) + 1).toISOString() };
    const gaps = facts.gapsFor(['linear-tickets'], pr.doc.repo, atMerge);
    const named = `PR #${data.number} names ${notLookedUp.join(', ')}`;
    if (gaps.length > 0)
      return withheld(gaps, [pr.ref, ...refs], [`${named}, which Linear could not be asked about`]);
    return result(
      'unknown',
      [`${named}, which was not looked up in Linear (collect the tickets kind for the period)`],
      [pr.ref, ...refs],
    );
  }
  return result(
    'fail',
    [
      `PR #${data.number} names ${keys.join(', ')}, but Linear has no ticket ${keys.length > 1 ? 'of these keys' : 'of that key'} ` +
        `(asked at ${answers[0]?.item?.doc.provenance.fetchedAt ?? 'collection'})`,
    ],
    [...refs, pr.ref],
  );
}
