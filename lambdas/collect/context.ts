import type { GitHubClient, GitHubCost } from '../adapters/github/client.ts';
import { sha256Hex } from '../evidence/canonical-json.ts';
import type { DocumentKind, EvidenceDocument, Gap, Provenance } from '../evidence/documents.ts';
import { EVIDENCE_SCHEMA } from '../evidence/documents.ts';
import type { GapInput } from '../evidence/gaps.ts';
import type { EvidenceIndex, EvidenceStore } from '../evidence/ports.ts';
import { type RecordedEvidence, recordEvidence } from '../evidence/record.ts';

/**
 * What every collector receives: the ports, the GitHub client, and the bookkeeping of one run
 * (gaps, counts, progress). Collectors fetch and store; they apply no policy.
 */

/** The `--kinds` of the command line. */
export const COLLECT_KINDS = [
  'pull-requests',
  'commits',
  'deployments',
  'overrides',
  'protection',
  'teams',
  /** Linear: the ticket keys the window's PRs name (when a Linear source is configured). */
  'tickets',
  /** Better Stack: incidents and on-call calendars (when a Better Stack source is configured). */
  'incidents',
] as const;
export type CollectKind = (typeof COLLECT_KINDS)[number];

/** One repository as the collectors need it. */
export interface RepoRef {
  readonly owner: string;
  readonly name: string;
  /** `owner/name`, the `repo` of every index entry. */
  readonly fullName: string;
  readonly defaultBranch: string;
  /** A fork of another repository (GitHub's search may leave forks out of an `org:` search). */
  readonly fork?: boolean;
}

/** A re-reading that was poorer than the stored version (see evidence/richer.ts). */
export interface KeptRicher {
  readonly kind: DocumentKind;
  readonly repo: string;
  readonly itemId: string;
  /** What the new reading lacked, e.g. `no repository-activity event`. */
  readonly lacks: string;
}

export type CollectProgress =
  | { readonly type: 'repo-started'; readonly repo: string; readonly index: number; readonly total: number }
  | { readonly type: 'kind-started'; readonly repo: string; readonly kind: CollectKind }
  | {
      readonly type: 'kind-finished';
      readonly repo: string;
      readonly kind: CollectKind;
      readonly written: number;
      readonly unchanged: number;
    }
  | { readonly type: 'item'; readonly repo: string; readonly kind: CollectKind; readonly itemId: string }
  | { readonly type: 'gap'; readonly gap: Gap }
  | { readonly type: 'repo-finished'; readonly repo: string; readonly index: number; readonly total: number }
  | { readonly type: 'repo-failed'; readonly repo: string; readonly message: string };

export interface CollectContext {
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
  readonly github: GitHubClient;
  readonly org: string;
  readonly clock: () => Date;
  /** `TOOL_ID` from lambdas/version.ts. */
  readonly toolVersion: string;
  /** `login` or `app/<slug>`, resolved once per run. */
  readonly tokenIdentity: string;
  /** A source that could not be read (plan, permission, retention): reported, never silent. */
  recordGap(gap: GapInput): void;
  /** One evidence document stored (`written`) or found unchanged, per evidence kind. */
  count(kind: DocumentKind, written: boolean): void;
  /** A re-reading poorer than the stored version: kept out, recorded in the run. */
  noteKeptRicher?(attempt: KeptRicher): void;
  progress(event: CollectProgress): void;
}

/** `GraphQL <OperationName> sha256:<hex of the query text>`: names the exact query that was sent. */
export function graphqlRequestName(operationName: string, query: string): string {
  // Named in every document's provenance (tens of thousands a month) from a few fixed queries:
  // each query is hashed once.
  let hash = queryHashes.get(query);
  if (hash === undefined) {
    hash = sha256Hex(query);
    queryHashes.set(query, hash);
  }
  return `GraphQL ${operationName} sha256:${hash}`;
}

/**
 * Query text → its SHA-256. Bounded by the queries the collectors build: fixed texts, plus the
 * follow-up and batch queries whose shape depends only on how many aliases they hold.
 */
const queryHashes = new Map<string, string>();

export function provenanceOf(
  ctx: CollectContext,
  fields: {
    source: Provenance['source'];
    request: string;
    parameters: Record<string, unknown>;
    apiCost: { requests: number; graphqlPoints: number };
    fetchedAt?: string;
  },
): Provenance {
  return {
    source: fields.source,
    request: fields.request,
    parameters: fields.parameters,
    tokenIdentity: ctx.tokenIdentity,
    toolVersion: ctx.toolVersion,
    fetchedAt: fields.fetchedAt ?? ctx.clock().toISOString(),
    apiCost: {
      requests: Math.max(0, Math.round(fields.apiCost.requests)),
      graphqlPoints: Math.max(0, Math.round(fields.apiCost.graphqlPoints)),
    },
  };
}

/** Cost spent between two readings of `github.cost`. */
export function costSince(
  before: GitHubCost,
  after: GitHubCost,
): { requests: number; graphqlPoints: number } {
  return {
    requests: after.requests - before.requests,
    graphqlPoints: after.graphqlPoints - before.graphqlPoints,
  };
}

/** Share a page's cost over the items it produced, so per-item provenance sums to the page. */
export function shareOfCost(
  cost: { requests: number; graphqlPoints: number },
  items: number,
  position: number,
): { requests: number; graphqlPoints: number } {
  if (items <= 0) return { requests: 0, graphqlPoints: 0 };
  const share = (total: number) => Math.floor(total / items) + (position < total % items ? 1 : 0);
  return { requests: share(cost.requests), graphqlPoints: share(cost.graphqlPoints) };
}

/** Build the envelope, store it idempotently, index it (the row derived from the document), and count it. */
export async function storeEvidence<K extends DocumentKind>(
  ctx: CollectContext,
  fields: {
    kind: K;
    repo: string;
    itemId: string;
    occurredAt: string;
    provenance: Provenance;
    data: EvidenceDocument<K>['data'];
  },
): Promise<RecordedEvidence> {
  const doc: EvidenceDocument<K> = {
    schema: EVIDENCE_SCHEMA,
    kind: fields.kind,
    org: ctx.org,
    repo: fields.repo,
    itemId: fields.itemId,
    occurredAt: fields.occurredAt,
    provenance: fields.provenance,
    data: fields.data,
  };
  const recorded = await recordEvidence(ctx.store, ctx.index, doc);
  ctx.count(fields.kind, recorded.written);
  if (recorded.keptRicher !== undefined) {
    ctx.noteKeptRicher?.({
      kind: fields.kind,
      repo: fields.repo,
      itemId: fields.itemId,
      lacks: recorded.keptRicher,
    });
  }
  return recorded;
}
