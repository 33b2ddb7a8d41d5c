import type { Window } from '../core/window.ts';
import { InputError } from '../errors.ts';
import type { EvidenceStore } from '../evidence/ports.ts';
import { INCOMPLETE_SUFFIX } from '../pack/build-pack.ts';
import { PACK_FILE_SUFFIXES } from '../pack/seal.ts';

/**
 * One stored pack's files (PDF, manifest, population, exceptions), each at its current
 * version: as bytes to write, or as time-limited URLs an auditor can open.
 */
export interface PackQuery {
  readonly window: Window;
  readonly profileId: string;
  /** Needed only when several organisations have a pack of the period. */
  readonly org?: string;
}

export interface DownloadedFile {
  readonly name: string;
  readonly key: string;
  readonly versionId: string;
  readonly bytes: Uint8Array;
}

/** Every file of a pack: the PDF, its attachments, its seal, signatures and public key. */
const PACK_FILE_EXTENSIONS = Object.values(PACK_FILE_SUFFIXES);
/** S3 signs a URL for at most seven days. */
export const MAX_URL_SECONDS = 604_800;

/** The keys of the pack's files; refuses an absent pack or an ambiguous organisation. */
async function packFileKeys(store: EvidenceStore, query: PackQuery): Promise<string[]> {
  const label = query.window.label;
  const prefix = `packs/${label}/`;
  const pdfKeys = (await store.listKeys(prefix)).filter(
    (key) =>
      key.endsWith(`-${label}-${query.profileId}.pdf`) &&
      (query.org === undefined || key.startsWith(`${prefix}cm01-${query.org}-`)),
  );
  if (pdfKeys.length === 0) {
    // An INCOMPLETE pack is never handed out in place of the period's pack; it is named instead.
    const incomplete = (await store.listKeys(prefix)).filter((key) =>
      key.endsWith(`-${label}-${query.profileId}${INCOMPLETE_SUFFIX}.pdf`),
    );
    throw new InputError(
      '--period',
      `no ${query.profileId} pack for ${label} in ${store.location} (cm01 packs list)` +
        (incomplete.length > 0 ? `; only an INCOMPLETE one: ${incomplete.join(', ')}` : ''),
    );
  }
  if (pdfKeys.length > 1) {
    throw new InputError('--org', `several organisations have packs for ${label}: name one`);
  }
  const pdfKey = pdfKeys[0] as string;
  return PACK_FILE_EXTENSIONS.map((ext) => pdfKey.replace(/\.pdf$/, ext));
}

export async function downloadPack(store: EvidenceStore, query: PackQuery): Promise<DownloadedFile[]> {
  const files: DownloadedFile[] = [];
  for (const key of await packFileKeys(store, query)) {
    const head = await store.head(key);
    if (!head) continue;
    const { body } = await store.get(key, head.versionId);
    files.push({ name: key.slice(key.lastIndexOf('/') + 1), key, versionId: head.versionId, bytes: body });
  }
  return files;
}

export async function packDownloadUrls(
  store: EvidenceStore,
  query: PackQuery,
  expiresSeconds: number,
): Promise<string[]> {
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_URL_SECONDS) {
    throw new InputError('--expires', `at most ${MAX_URL_SECONDS} seconds (7 days), as S3 allows`);
  }
  const urls: string[] = [];
  for (const key of await packFileKeys(store, query)) {
    const head = await store.head(key);
    if (!head) continue;
    const url = await store.presignGet(key, head.versionId, expiresSeconds);
    if (!url)
      throw new InputError('--url-only', `${store.location} cannot give URLs; download the files instead`);
    urls.push(url);
  }
  return urls;
}
