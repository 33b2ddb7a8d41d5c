import { describeError } from '../errors.ts';
import { canonicalJson, sha256Hex } from './canonical-json.ts';
import { type DocumentKind, type EvidenceDocument, parseEvidenceDocument } from './documents.ts';
import type { EvidenceIndex, EvidenceKind, EvidenceStore, IndexEntry, StoredObject } from './ports.ts';
import { poorerThan } from './richer.ts';

/**
 * Predictable keys: `evidence/<org>/<repo>/<kind>/<yyyy>/<mm>/<itemId>.json`; organisation-wide
 * evidence uses `_org` as the repository. Item ids are made path-safe.
 */
export function evidenceKey(kind: EvidenceKind, repo: string, occurredAt: string, itemId: string): string {
  const [org, name] = repo.includes('/') ? (repo.split('/', 2) as [string, string]) : [repo, '_org'];
  const yyyy = occurredAt.slice(0, 4);
  const mm = occurredAt.slice(5, 7);
  return `evidence/${org}/${name}/${kind}/${yyyy}/${mm}/${safeSegment(itemId)}.json`;
}

export function packKey(period: string, fileName: string): string {
  return `packs/${period}/${fileName}`;
}

function safeSegment(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function periodOf(isoTime: string): string {
  return isoTime.slice(0, 7);
}

/**
 * The hash that decides whether a document is new: everything but its provenance, so that a
 * re-run fetching the same facts at a later time writes nothing.
 */
export function contentHashOf(doc: EvidenceDocument): string {
  return sha256Hex(
    canonicalJson({ kind: doc.kind, org: doc.org, repo: doc.repo, itemId: doc.itemId, data: doc.data }),
  );
}

export interface RecordedEvidence {
  readonly entry: IndexEntry;
  readonly written: boolean;
  /**
   * Set when the new reading was poorer than the stored version (see `poorerThan`): nothing was
   * written, the index stays on the richer version, and this says what the new one lacked.
   */
  readonly keptRicher?: string;
}

type AnyEvidenceDocument = { [K in DocumentKind]: EvidenceDocument<K> }[DocumentKind];

/**
 * The index row of one stored document version: the only place a row is derived, so the
 * collectors and `cm01 index rebuild` (which reads the documents back from the bucket) write
 * exactly the same rows. Everything in it comes from the document and the stored version.
 */
export function indexEntryOf(doc: EvidenceDocument, stored: StoredObject): IndexEntry {
  const attributes = indexAttributesOf(doc as AnyEvidenceDocument);
  return {
    kind: doc.kind,
    period: periodOf(doc.occurredAt),
    repo: doc.repo,
    itemId: doc.itemId,
    occurredAt: doc.occurredAt,
    key: stored.key,
    versionId: stored.versionId,
    sha256: stored.sha256,
    contentHash: stored.contentHash,
    retainUntil: stored.retainUntil,
    ...(attributes ? { attributes } : {}),
  };
}

/** Small scalar facts kept on the row for queries (a repository's direct pushes, failed deployments…). */
function indexAttributesOf(doc: AnyEvidenceDocument): IndexEntry['attributes'] {
  switch (doc.kind) {
    case 'pull-request': {
      const data = doc.data;
      return {
        number: data.number,
        headSha: data.headSha,
        ...(data.mergeCommit ? { mergeSha: data.mergeCommit.sha } : {}),
        ...(data.author ? { author: data.author.login } : {}),
        complete: data.completeness.length === 0,
      };
    }
    case 'branch-commit': {
      const data = doc.data;
      const mergedIntoBranch = data.associatedPullRequests.find(
        (pr) => pr.mergedAt !== null && pr.baseRef === data.branch,
      );
      return {
        sha: data.commit.sha,
        activityType: data.activity?.activityType ?? 'unknown',
        directPush: data.activity?.activityType === 'push' && mergedIntoBranch === undefined,
        ...(mergedIntoBranch ? { pullRequest: mergedIntoBranch.number } : {}),
        ...(data.commit.author ? { author: data.commit.author } : {}),
      };
    }
    case 'deployment': {
      const data = doc.data;
      const last = data.statuses.at(-1);
      return {
        environment: data.environment,
        production: data.productionEnvironment,
        sha: data.sha,
        state: last?.state ?? 'none',
        lastStatusAt: last?.createdAt ?? data.createdAt,
      };
    }
    case 'override':
      return {
        sources: doc.data.sources.join(','),
        actor: doc.data.actor ?? 'unknown',
        branch: doc.data.branch,
      };
    case 'team-membership':
      return { team: doc.data.team, day: doc.occurredAt.slice(0, 10), members: doc.data.members.length };
    case 'branch-protection':
      return {
        branch: doc.data.branch,
        classicProtection: doc.data.protection !== null,
        rulesets: doc.data.rulesets.length,
        ...(doc.data.protection ? { requireSignedCommits: doc.data.protection.requireSignedCommits } : {}),
      };
    case 'collection-run': {
      // What the budget planner needs to estimate the next run from the index alone, without
      // reading each run's document: what was asked, and what each kind cost.
      const data = doc.data;
      const costs: Record<string, number> = {};
      for (const [kind, cost] of Object.entries(data.costByKind ?? {})) {
        costs[`rest:${kind}`] = cost.restRequests;
        costs[`points:${kind}`] = cost.graphqlPoints;
      }
      return {
        status: data.status,
        repos: data.repos.join(','),
        ...(data.kinds ? { kinds: data.kinds.join(',') } : {}),
        windowFrom: data.window.from,
        windowTo: data.window.to,
        finishedAt: data.finishedAt,
        requests: data.apiCost.requests,
        graphqlPoints: data.apiCost.graphqlPoints,
        ...costs,
      };
    }
  }
}

/** Store one document (idempotently) and index it. */
export async function recordEvidence<K extends DocumentKind>(
  store: EvidenceStore,
  index: EvidenceIndex,
  doc: EvidenceDocument<K>,
): Promise<RecordedEvidence> {
  const key = evidenceKey(doc.kind, doc.repo, doc.occurredAt, doc.itemId);
  const contentHash = contentHashOf(doc);
  const kept = await richerStoredVersion(store, key, doc, contentHash);
  if (kept) {
    const entry = indexEntryOf(doc, kept.object);
    await index.put([entry]);
    return { entry, written: false, keptRicher: kept.lacks };
  }
  const body = new TextEncoder().encode(canonicalJson(doc));
  const stored = await store.put({
    key,
    body,
    contentType: 'application/json',
    contentHash,
  });
  const entry = indexEntryOf(doc, stored);
  await index.put([entry]);
  return { entry, written: stored.written };
}

/**
 * The stored current version when it is richer than `doc` (a re-collection that reached less);
 * read only when the content differs, so an unchanged re-run costs one HEAD.
 */
async function richerStoredVersion(
  store: EvidenceStore,
  key: string,
  doc: EvidenceDocument,
  contentHash: string,
): Promise<{ object: StoredObject; lacks: string } | undefined> {
  const current = await store.head(key);
  if (!current || current.contentHash === contentHash) return undefined;
  const { body, object } = await store.get(key, current.versionId);
  let stored: EvidenceDocument;
  try {
    stored = parseEvidenceDocument(doc.kind, JSON.parse(new TextDecoder().decode(body)));
  } catch {
    return undefined; // A version this tool cannot read is never preferred to a fresh reading.
  }
  const lacks = poorerThan(stored, doc);
  return lacks === undefined ? undefined : { object, lacks };
}

export type StoredEvidence =
  | {
      readonly usable: true;
      readonly doc: EvidenceDocument;
      /** The row the collectors would have written for this version. */
      readonly entry: IndexEntry;
      readonly object: StoredObject;
    }
  | { readonly usable: false; readonly problem: string };

/**
 * Read one stored version as the evidence document of `kind` its key names, and derive its
 * index row. Unusable (with the reason) when the bytes are not such a document or the document
 * belongs at another key; a store failure (absent version, corrupted bytes) is thrown.
 */
export async function readStoredEvidence(
  store: EvidenceStore,
  kind: DocumentKind,
  key: string,
  versionId: string,
): Promise<StoredEvidence> {
  const { body, object } = await store.get(key, versionId);
  let doc: EvidenceDocument;
  try {
    doc = parseEvidenceDocument(kind, JSON.parse(new TextDecoder().decode(body)));
  } catch (error: unknown) {
    return { usable: false, problem: `it is not a valid ${kind} document: ${describeError(error)}` };
  }
  if (evidenceKey(doc.kind, doc.repo, doc.occurredAt, doc.itemId) !== key) {
    return {
      usable: false,
      problem: `its content (${doc.repo} ${doc.kind} ${doc.itemId}) belongs at another key`,
    };
  }
  // The store checked the bytes against the SHA-256 in their metadata; an object written
  // without that metadata still gets its real digests.
  const sha256 = sha256Hex(body);
  const stored = { ...object, sha256, contentHash: object.contentHash || contentHashOf(doc) };
  return { usable: true, doc, entry: indexEntryOf(doc, stored), object: stored };
}
