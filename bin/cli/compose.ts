import { stat } from 'node:fs/promises';
import { openEvidenceStore, openStore, parseStoreUrl } from '../../lambdas/adapters/open-store.ts';
import { InputError } from '../../lambdas/errors.ts';
import type { EvidenceIndex, EvidenceStore } from '../../lambdas/evidence/ports.ts';
import { assertWritableFolder, type CreatedFolders } from './files.ts';

/**
 * Composition for the command line: the adapters a store URL names, opened at the edge so the
 * use-cases receive ports. A local store's folder is checked writable before anything is
 * collected, and remembered so a failed command leaves no empty folder behind.
 */
export async function openWritableStore(
  url: string,
  created: CreatedFolders,
): Promise<{ store: EvidenceStore; index: EvidenceIndex }> {
  const location = parseStoreUrl(url);
  if (location.kind === 'local') {
    await assertWritableFolder(location.dir, '--store');
    await created.watch(location.dir);
  }
  // S3 is checked by opening it: the bucket must exist with versioning and Object Lock, and
  // the table must answer; a bucket cannot be tested for writing without writing to it.
  return openStore(url, { requireImmutable: location.kind === 's3' });
}

/**
 * A store opened only to read objects (verify, packs): no bucket-level permission needed, and a
 * local folder that is not there is refused rather than created.
 */
export async function openReadableStore(url: string): Promise<EvidenceStore> {
  const location = parseStoreUrl(url);
  if (location.kind === 'local' && !(await stat(location.dir).catch(() => undefined))?.isDirectory()) {
    throw new InputError('--store', `no store at ${location.dir} (cm01 run or cm01 collect creates one)`);
  }
  return openEvidenceStore(url, { readOnly: true });
}
