import { inWindow, periodsOf, type Window } from '../core/window.ts';
import { type PullRequestData, parseEvidenceDocument } from '../evidence/documents.ts';
import type { TicketSource } from '../evidence/source-ports.ts';
import { type CollectContext, shareOfCost, storeEvidence } from './context.ts';

/**
 * Every ticket key the window's merged pull requests name, looked up in Linear in batches and
 * stored one `linear-ticket` document per key — found or not, since "Linear knows no such
 * ticket" is itself the evidence TICKET-LINKED fails on. Keys are read from the stored PR
 * evidence (collected before this runs), so this collector needs no GitHub call.
 */

/**
 * Candidates, not policy: any Linear-shaped key in the title or head branch (any case: Linear's
 * branch names are `alice/eng-12-…`) and any `linear.app/<workspace>/issue/<KEY>` link in the
 * body. The profile's own patterns decide later which of them a rule counts.
 */
const KEY = /\b([A-Za-z][A-Za-z0-9]{1,9}-[0-9]+)\b/g;
const LINK = /linear\.app\/[^/\s]+\/issue\/([A-Za-z][A-Za-z0-9]{1,9}-[0-9]+)/g;

export function candidateTicketKeys(pr: Pick<PullRequestData, 'title' | 'headRef' | 'body'>): string[] {
  const keys = new Set<string>();
  for (const text of [pr.title, pr.headRef]) {
    for (const match of text.matchAll(KEY)) keys.add((match[1] as string).toUpperCase());
  }
  for (const match of pr.body.matchAll(LINK)) keys.add((match[1] as string).toUpperCase());
  return [...keys].sort();
}

export interface LinearCollection {
  readonly keys: number;
  readonly found: number;
}

export async function collectLinearTickets(
  ctx: CollectContext,
  linear: TicketSource,
  window: Window,
): Promise<LinearCollection> {
  // The credential is checked first: a refused key is a gap before any document is written.
  const identity = await linear.identity();
  const keys = new Set<string>();
  for (const period of periodsOf(window)) {
    const rows = await ctx.index.queryPeriod('pull-request', period);
    for (const row of rows) {
      if (!inWindow(row.occurredAt, window) || !row.repo.startsWith(`${ctx.org}/`)) continue;
      const { body } = await ctx.store.get(row.key, row.versionId);
      const doc = parseEvidenceDocument('pull-request', JSON.parse(new TextDecoder().decode(body)));
      for (const key of candidateTicketKeys(doc.data)) keys.add(key);
    }
  }
  if (keys.size === 0) return { keys: 0, found: 0 };
  const fetchedAt = ctx.clock().toISOString();
  const lookup = await linear.lookupTickets([...keys]);
  const cost = { requests: lookup.provenance.requests, graphqlPoints: 0 };
  for (const [position, ticket] of lookup.tickets.entries()) {
    await storeEvidence(ctx, {
      kind: 'linear-ticket',
      repo: ctx.org,
      itemId: ticket.key,
      // Dated by the window it was asked for, so the pack of that window finds it.
      occurredAt: window.from,
      provenance: {
        source: 'linear-graphql',
        request: lookup.provenance.request,
        parameters: { ...lookup.provenance.parameters, endpoint: linear.endpoint },
        tokenIdentity: identity,
        toolVersion: ctx.toolVersion,
        fetchedAt,
        apiCost: shareOfCost(cost, lookup.tickets.length, position),
      },
      data: ticket,
    });
  }
  return { keys: lookup.tickets.length, found: lookup.tickets.filter((ticket) => ticket.exists).length };
}
