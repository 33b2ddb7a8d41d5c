import { z } from 'zod';
import { EVIDENCE_KINDS } from './ports.ts';

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
