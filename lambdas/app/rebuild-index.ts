import pLimit from 'p-limit';
import { InputError } from '../errors.ts';
import { type DocumentKind, dataSchemas } from '../evidence/documents.ts';
import type { EvidenceIndex, EvidenceStore, IndexEntry } from '../evidence/ports.ts';
import { readStoredEvidence } from '../evidence/record.ts';

/**
 * The index is a cache of the bucket: this use-case recreates it from the bucket alone.
 *
 * One paged listing of each organisation's `evidence/<org>/` gives every key's current version;
 * each version is read, parsed as the document its key names, and turned into its row by the
 * same function the collectors use (`indexEntryOf`), so the rebuilt rows are the rows the
 * collectors wrote. Rows are written with the index's conditional put: a row already there at
 * the same version is left alone, so a rebuild can be run again, or while collectors run.
 */

export interface RebuildIndexOptions {
  /** Rebuild one organisation's evidence only; default every organisation in the bucket. */
  readonly org?: string;
  /** Called after each object read, with the objects read so far and the total listed. */
  readonly onProgress?: (progress: { readonly read: number; readonly total: number }) => void;
  /** Objects read at once; default 16. */
  readonly concurrency?: number;
}

export interface RebuildIndexResult {
  readonly orgs: readonly string[];
  /** Objects listed and read. */
  readonly read: number;
  /** Rows written because the index lacked them or named another version. */
  readonly written: number;
  /** Rows the index already held at the same version. */
  readonly unchanged: number;
  /** Objects under `evidence/` that are not an evidence document of their key: no row is made. */
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
}

/** Rows handed to the index per call: large enough for its per-partition pre-read to pay off. */
const ROWS_PER_PUT = 500;
const ORGANISATION = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export async function rebuildIndex(
  deps: { readonly store: EvidenceStore; readonly index: EvidenceIndex },
  options: RebuildIndexOptions = {},
): Promise<RebuildIndexResult> {
  const { store, index } = deps;
  if (options.org !== undefined && !ORGANISATION.test(options.org)) {
    throw new InputError('--org', `"${options.org}" is not an organisation name`);
  }
  const orgs = options.org !== undefined ? [options.org] : await store.listFolders('evidence/');
  const listed = (await Promise.all(orgs.map((org) => store.listCurrentVersions(`evidence/${org}/`)))).flat();

  const limit = pLimit(options.concurrency ?? 16);
  let read = 0;
  const skipped: { key: string; reason: string }[] = [];
  const entries: IndexEntry[] = [];
  await Promise.all(
    listed.map(({ key, versionId }) =>
      limit(async () => {
        const outcome = await rowOfStoredDocument(store, key, versionId);
        read++;
        if ('entry' in outcome) entries.push(outcome.entry);
        else skipped.push({ key, reason: outcome.reason });
        options.onProgress?.({ read, total: listed.length });
      }),
    ),
  );

  // Sorted, so the partitions reach the index in order and the result does not depend on timing.
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let written = 0;
  let unchanged = 0;
  for (let start = 0; start < entries.length; start += ROWS_PER_PUT) {
    const counts = await index.put(entries.slice(start, start + ROWS_PER_PUT));
    written += counts.written;
    unchanged += counts.unchanged;
  }
  skipped.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { orgs, read, written, unchanged, skipped };
}

/** `evidence/<org>/<repo>/<kind>/<yyyy>/<mm>/<item>.json` → its kind, when the key has that shape. */
function kindOfKey(key: string): DocumentKind | undefined {
  const segments = key.split('/');
  const kind = segments[3];
  if (segments.length !== 7 || segments[0] !== 'evidence' || kind === undefined) return undefined;
  return Object.hasOwn(dataSchemas, kind) ? (kind as DocumentKind) : undefined;
}

async function rowOfStoredDocument(
  store: EvidenceStore,
  key: string,
  versionId: string,
): Promise<{ entry: IndexEntry } | { reason: string }> {
  const kind = kindOfKey(key);
  if (kind === undefined)
    return { reason: 'not an evidence key (evidence/<org>/<repo>/<kind>/<yyyy>/<mm>/…)' };
  const stored = await readStoredEvidence(store, kind, key, versionId);
  return stored.usable ? { entry: stored.entry } : { reason: `version ${versionId}: ${stored.problem}` };
}
