import type { DocumentKind, EvidenceDocument } from '../evidence/documents.ts';
import type { EvidenceRef, ManifestEntry } from './pack-model.ts';

/** One stored, parsed evidence document and the object version it was read from. */
export interface EvidenceItem<K extends DocumentKind> {
  readonly doc: EvidenceDocument<K>;
  readonly ref: EvidenceRef;
}

/** Everything the evaluation of one window reads: parsed documents, never raw JSON. */
export interface PeriodEvidence {
  /** Merged PRs, merged inside the window. */
  readonly pullRequests: readonly EvidenceItem<'pull-request'>[];
  /** Commits on protected default branches that reached them inside the window. */
  readonly branchCommits: readonly EvidenceItem<'branch-commit'>[];
  /** Deployments created inside the window, and the day before it (rollback and pipeline context). */
  readonly deployments: readonly EvidenceItem<'deployment'>[];
  readonly overrides: readonly EvidenceItem<'override'>[];
  /** Branch-protection snapshots around the window; the one nearest each merge is used. */
  readonly branchProtection: readonly EvidenceItem<'branch-protection'>[];
  /** Team-membership snapshots around the window; the one nearest each merge is used. */
  readonly teams: readonly EvidenceItem<'team-membership'>[];
  /** Linear's answer for each ticket key the period's PRs name (absent when Linear was never read). */
  readonly linearTickets?: readonly EvidenceItem<'linear-ticket'>[];
  /** Better Stack incidents that started in the window. */
  readonly incidents?: readonly EvidenceItem<'incident'>[];
  /** Better Stack on-call calendars around the window. */
  readonly onCall?: readonly EvidenceItem<'on-call'>[];
  /** Collector runs whose window overlaps this one: gaps, errors, sources consulted. */
  readonly runs: readonly EvidenceItem<'collection-run'>[];
}

/** A manifest entry plus the time its version was written (for the RETENTION check). */
export interface StoredManifestEntry extends ManifestEntry {
  /** ISO-8601 time the object version was written (the store's `lastModified`). */
  readonly writtenAt?: string;
}

export const EMPTY_PERIOD_EVIDENCE: PeriodEvidence = {
  pullRequests: [],
  branchCommits: [],
  deployments: [],
  overrides: [],
  branchProtection: [],
  teams: [],
  runs: [],
};
