import type { EvidenceStore } from '../evidence/ports.ts';
import { INCOMPLETE_SUFFIX } from '../pack/build-pack.ts';
import { type ListedPack, listPacks as listPackIssues } from '../pack/list-packs.ts';

/**
 * The packs a store holds, read from the store alone (an auditor's read-only role can list
 * objects but need not read the index). A pack rendered from a failed collection carries the
 * INCOMPLETE mark in its name, so the listing shows it.
 */
export interface PackListing {
  /** `packs/<period>/<name>.pdf` */
  readonly key: string;
  /** The window label: `2026-10` or `2026-10-01_2026-10-16`. */
  readonly period: string;
  /** `cm01-<org>-<period>-<profile>[-INCOMPLETE].pdf` */
  readonly name: string;
  readonly incomplete: boolean;
  /** Every stored issue of the pack, oldest first, with its seal: a re-issue never hides the first. */
  readonly issues: ListedPack['issues'];
}

const PACK_KEY = /^packs\/([^/]+)\/([^/]+\.pdf)$/;

export async function listPacks(store: EvidenceStore): Promise<PackListing[]> {
  const listings: PackListing[] = [];
  for (const { key, issues } of await listPackIssues(store)) {
    const match = PACK_KEY.exec(key);
    if (!match) continue;
    const name = match[2] as string;
    listings.push({
      key,
      period: match[1] as string,
      name,
      incomplete: name.endsWith(`${INCOMPLETE_SUFFIX}.pdf`),
      issues,
    });
  }
  return listings;
}
