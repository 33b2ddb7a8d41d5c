import type { EvidenceStore } from '../evidence/ports.ts';
import { PACK_FILE_SUFFIXES, type PackSeal, parseSeal, sealDigest } from './seal.ts';

export interface ListedPack {
  /** `packs/<period>/<stem>.pdf` */
  readonly key: string;
  /** Every stored issue of the pack, oldest first: a re-issue never hides the first. */
  readonly issues: readonly {
    readonly versionId: string;
    readonly lastModified: string;
    readonly sha256: string;
    readonly sealSha256?: string;
    readonly supersedes?: PackSeal['supersedes'];
  }[];
}

/** Every pack in the store with all its retained issues and what each seal says it supersedes. */
export async function listPacks(store: EvidenceStore): Promise<ListedPack[]> {
  const keys = (await store.listKeys('packs/')).filter((key) => key.endsWith(PACK_FILE_SUFFIXES.pdf));
  const packs: ListedPack[] = [];
  for (const key of keys) {
    const pdfVersions = (await store.listVersions(key)).reverse();
    const sealKey = key.replace(/\.pdf$/, PACK_FILE_SUFFIXES.seal);
    const seals: { sha256: string; seal: PackSeal | undefined }[] = [];
    for (const version of (await store.listVersions(sealKey)).reverse()) {
      const { body } = await store.get(sealKey, version.versionId);
      seals.push({ sha256: sealDigest(body), seal: safeSeal(body) });
    }
    packs.push({
      key,
      issues: pdfVersions.map((v, i) => {
        // Seal and PDF are written together, one new version each per issue; packs stored before
        // sealing existed are the oldest PDF versions, without a seal.
        const seal = seals[i - (pdfVersions.length - seals.length)];
        return {
          versionId: v.versionId,
          lastModified: v.lastModified,
          sha256: v.sha256,
          ...(seal ? { sealSha256: seal.sha256 } : {}),
          ...(seal?.seal?.supersedes ? { supersedes: seal.seal.supersedes } : {}),
        };
      }),
    });
  }
  return packs;
}

function safeSeal(bytes: Uint8Array): PackSeal | undefined {
  try {
    return parseSeal(bytes);
  } catch {
    return undefined;
  }
}
