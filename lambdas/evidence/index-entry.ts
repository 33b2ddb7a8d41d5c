import { z } from 'zod';
import { EVIDENCE_KINDS, type IndexEntry } from './ports.ts';

/** An `IndexEntry` as the index adapters read it back: validated, never trusted as stored. */
export const indexEntrySchema = z.object({
  kind: z.enum(EVIDENCE_KINDS),
  period: z.string(),
  repo: z.string(),
  itemId: z.string(),
  occurredAt: z.string(),
  key: z.string(),
  versionId: z.string(),
  sha256: z.string(),
  contentHash: z.string(),
  retainUntil: z.string(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

/** The entry's own fields in a fixed order, nothing more: what both index adapters store. */
export function indexEntryFields(entry: IndexEntry): IndexEntry {
  return {
    kind: entry.kind,
    period: entry.period,
    repo: entry.repo,
    itemId: entry.itemId,
    occurredAt: entry.occurredAt,
    key: entry.key,
    versionId: entry.versionId,
    sha256: entry.sha256,
    contentHash: entry.contentHash,
    retainUntil: entry.retainUntil,
    ...(entry.attributes ? { attributes: { ...entry.attributes } } : {}),
  };
}
