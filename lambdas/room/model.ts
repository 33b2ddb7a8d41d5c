import type { RetentionStatus, StoredObject } from '../evidence/ports.ts';
import type { PackSummary } from '../pack/pack-summary.ts';
import type { PACK_FILE_SUFFIXES } from '../pack/seal.ts';

/**
 * What the evidence room read from a store: the packs with their checked seals, the sealed files'
 * rows and the signed summaries. The pages are pure functions of these values.
 */
export type SealStatus = 'verified' | 'broken' | 'unsealed';

export interface RoomFile {
  /** `pdf`, `population`, `exceptions`, `manifest`, … */
  readonly role: keyof typeof PACK_FILE_SUFFIXES | 'summary' | 'summarySignature';
  /** `packs/<period>/<name>` */
  readonly key: string;
  readonly name: string;
  readonly versionId: string;
  readonly size: number;
}

export interface RoomException {
  readonly repo: string;
  readonly changeType: string;
  readonly prNumber: number | null;
  readonly commitSha: string;
  readonly control: string;
  readonly reason: string;
  readonly evidenceKey: string;
  readonly evidenceVersion: string;
}

export interface RoomEvidenceEntry {
  readonly key: string;
  readonly versionId: string;
  readonly sha256: string;
  readonly retainUntil: string;
}

export interface RoomPack {
  /** `cm01-<org>-<period>-<profile>[-INCOMPLETE]` */
  readonly stem: string;
  /** `2026-10`, or `2026-10-01_2026-10-16` for a window that is not a month. */
  readonly period: string;
  /** From the manifest; `null` when the pack has no readable manifest. */
  readonly org: string | null;
  readonly profileId: string | null;
  readonly profileName: string | null;
  readonly generatedAt: string | null;
  readonly incomplete: boolean;
  /** Stored issues of the PDF (1 unless re-issued; every issue stays retained). */
  readonly issues: number;
  readonly lastModified: string;
  readonly files: readonly RoomFile[];
  readonly seal: {
    readonly status: SealStatus;
    readonly sha256: string | null;
    readonly publicKeySha256: string | null;
    /** What does not hold, one line each (empty when verified). */
    readonly problems: readonly string[];
  };
  readonly controlIds: readonly string[];
  /** Changes in the population (rows of population.csv). */
  readonly population: number;
  /** Unknown verdicts in population.csv, per control id. */
  readonly unknownByControl: Readonly<Record<string, number>>;
  readonly unknownTotal: number;
  readonly exceptions: readonly RoomException[];
  /** The evidence objects the manifest names, by `key\u0000version`. */
  readonly evidence: ReadonlyMap<string, RoomEvidenceEntry>;
  /** The signed summary when it checks out; otherwise why its figures are not shown. */
  readonly summary: PackSummary | null;
  readonly summaryProblem: string | null;
}

export interface Room {
  readonly location: string;
  /** When the room was read (its seal checks are as of this time). */
  readonly readAt: string;
  /** Sorted by period, then organisation, then profile. */
  readonly packs: readonly RoomPack[];
  /** The store's retention settings read now, as the auditor's role can read them. */
  readonly storeRetention: RetentionStatus | null;
  readonly storeRetentionProblem: string | null;
}

export function evidenceRefKey(key: string, versionId: string): string {
  return `${key}\u0000${versionId}`;
}

export interface RoomEvidenceObject {
  readonly key: string;
  readonly versionId: string;
  readonly bytes: Uint8Array;
  /** SHA-256 of the bytes read now. */
  readonly sha256: string;
  /** What the citing packs' manifests record. */
  readonly manifest: RoomEvidenceEntry;
  readonly matchesManifest: boolean;
  /** The version as the store describes it now (retain-until, lock mode, write time). */
  readonly stored: StoredObject;
  /** Stems of the packs whose manifest names this version. */
  readonly citedBy: readonly string[];
}
