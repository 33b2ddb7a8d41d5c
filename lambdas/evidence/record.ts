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

/** Store one document (idempotently) and index it. */
export async function recordEvidence<K extends DocumentKind>(
  store: EvidenceStore,
  index: EvidenceIndex,
  doc: EvidenceDocument<K>,
  attributes?: IndexEntry['attributes'],
): Promise<RecordedEvidence> {
  const key = evidenceKey(doc.kind, doc.repo, doc.occurredAt, doc.itemId);
  const contentHash = contentHashOf(doc);
  const kept = await richerStoredVersion(store, key, doc, contentHash);
  if (kept) {
    const entry = indexEntryOf(doc, key, kept.object, attributes);
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
  const entry = indexEntryOf(doc, key, stored, attributes);
  await index.put([entry]);
  return { entry, written: stored.written };
}

function indexEntryOf(
  doc: EvidenceDocument,
  key: string,
  stored: Pick<StoredObject, 'versionId' | 'sha256' | 'contentHash' | 'retainUntil'>,
  attributes: IndexEntry['attributes'] | undefined,
): IndexEntry {
  return {
    kind: doc.kind,
    period: periodOf(doc.occurredAt),
    repo: doc.repo,
    itemId: doc.itemId,
    occurredAt: doc.occurredAt,
    key,
    versionId: stored.versionId,
    sha256: stored.sha256,
    contentHash: stored.contentHash,
    retainUntil: stored.retainUntil,
    ...(attributes ? { attributes } : {}),
  };
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
