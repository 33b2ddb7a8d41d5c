import pLimit from 'p-limit';
import { manifestDigest } from '../core/evaluate-period.ts';
import type { ManifestEntry } from '../core/pack-model.ts';
import { describeError } from '../errors.ts';
import { sha256Hex } from '../evidence/canonical-json.ts';
import type { EvidenceStore } from '../evidence/ports.ts';

/** One object of a pack's manifest that the store no longer shows as the pack recorded it. */
export interface VerifyFinding {
  readonly key: string;
  readonly versionId: string;
  readonly problem: string;
}

export interface VerifyResult {
  readonly checked: number;
  readonly findings: readonly VerifyFinding[];
  /** Whether the manifest's own digest matches its entries. */
  readonly digestMatches: boolean;
}

/**
 * Re-read every object the pack's manifest names, by key and version, and compare its bytes
 * (SHA-256 recomputed here, not taken from metadata), its recorded SHA-256 and its retention
 * with what the pack recorded. Reads only objects (no index), so an auditor's read-only role
 * can run it.
 */
export async function verifyManifest(
  store: EvidenceStore,
  manifest: { readonly entries: readonly ManifestEntry[]; readonly digest: string },
  options: { concurrency?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<VerifyResult> {
  const findings: VerifyFinding[] = [];
  const entries = manifest.entries;
  let done = 0;
  await pLimit(options.concurrency ?? 16).map(entries, async (entry) => {
    const problem = await checkEntry(store, entry);
    if (problem) findings.push({ key: entry.key, versionId: entry.versionId, problem });
    options.onProgress?.(++done, entries.length);
  });
  findings.sort((a, b) => a.key.localeCompare(b.key) || a.versionId.localeCompare(b.versionId));
  return { checked: entries.length, findings, digestMatches: manifestDigest(entries) === manifest.digest };
}

async function checkEntry(store: EvidenceStore, entry: ManifestEntry): Promise<string | undefined> {
  try {
    const head = await store.head(entry.key, entry.versionId);
    if (!head) return 'missing: no such object version in the store';
    const { body } = await store.get(entry.key, entry.versionId);
    const actual = sha256Hex(body);
    if (actual !== entry.sha256)
      return `bytes altered: SHA-256 is ${actual}, the pack recorded ${entry.sha256}`;
    if (head.sha256 !== entry.sha256)
      return `recorded SHA-256 ${head.sha256} differs from the pack's ${entry.sha256}`;
    if (Date.parse(head.retainUntil) < Date.parse(entry.retainUntil)) {
      return `retention shortened: retained until ${head.retainUntil}, the pack recorded ${entry.retainUntil}`;
    }
    return undefined;
  } catch (error: unknown) {
    return `unreadable: ${describeError(error)}`;
  }
}
