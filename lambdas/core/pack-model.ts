import type { Gap, WithheldEvidence } from '../evidence/gaps.ts';

/**
 * The pack model: everything the evaluation decided, in the shape the renderer lays out.
 * Built by the pure core from stored evidence and a profile; the PDF and its CSV/JSON
 * attachments are renderings of this value and nothing else, so two renders of the same model
 * are byte-identical.
 */

export const VERDICTS = ['pass', 'fail', 'not_applicable', 'unknown'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** `production_deploy`: a production deployment of code that never reached the default branch. */
export type ChangeType = 'pull_request' | 'direct_push' | 'production_deploy';

/** The stored object a verdict rests on. */
export interface EvidenceRef {
  readonly key: string;
  readonly versionId: string;
}

export interface ControlVerdict {
  readonly control: string;
  readonly verdict: Verdict;
  /** Plain-language reasons, e.g. "approved by bob at 2026-10-03T10:00:00Z on the merged head". */
  readonly reasons: readonly string[];
  readonly evidence: readonly EvidenceRef[];
}

export interface PopulationRow {
  /** `org/name` */
  readonly repo: string;
  readonly changeType: ChangeType;
  readonly prNumber: number | null;
  readonly commitSha: string;
  /** Merge time for a PR, commit (push) time for a direct push. */
  readonly mergedAt: string;
  readonly author: string;
  readonly title: string;
  readonly url: string;
  /** Profile version that judged it, e.g. `v1.0`. */
  readonly profileVersion: string;
  /** One verdict per control id of the profile, in the profile's control order. */
  readonly verdicts: Readonly<Record<string, Verdict>>;
}

export interface ExceptionRow {
  /** `org/name`, or the organisation for a period-level exception. */
  readonly repo: string;
  /** `period` for a control judged once for the whole period (RETENTION, CHANGE-FAILURE-RATE). */
  readonly changeType: ChangeType | 'period';
  readonly prNumber: number | null;
  readonly commitSha: string;
  readonly url: string;
  readonly control: string;
  readonly reason: string;
  readonly evidenceKey: string;
  readonly evidenceVersion: string;
}

export interface ControlSummary {
  readonly id: string;
  readonly title: string;
  /** Per profile version in force during the period, e.g. `required (v1.0) / informational (v1.1)`. */
  readonly requirement: string;
  readonly pass: number;
  readonly fail: number;
  readonly notApplicable: number;
  readonly unknown: number;
  /** Failures that are exceptions (required at the time of the change). */
  readonly exceptions: number;
  /** How the control is decided, in plain words (the appendix). */
  readonly howDecided: string;
}

export interface MetricResult {
  readonly id: string;
  readonly title: string;
  readonly numerator: number;
  readonly denominator: number;
  /** Fraction 0..1, or null when the denominator is 0. */
  readonly rate: number | null;
  readonly threshold: number;
  readonly verdict: Verdict;
  readonly detail: readonly string[];
  /** Set when the figure stands in for the one the policy names (no incident source): says so. */
  readonly proxy?: string;
}

export interface CompletenessReport {
  readonly defaultBranchCommits: number;
  readonly mergedPullRequests: number;
  readonly directPushes: number;
  readonly productionDeployments: number;
  /** Differences found reconciling commits, PRs and deployments, each in plain words. */
  readonly differences: readonly { readonly repo: string; readonly ref: string; readonly note: string }[];
}

/** A gap that stands for the period, typed by the evidence it withholds (evidence/gaps.ts). */
export type GapRow = Gap;

/** What made verdicts unknown: a gap type, or evidence absent from the store with no gap recorded. */
export type UnknownCause = WithheldEvidence | 'not-collected';

/** Unknown verdicts counted per cause and per control, and how a user closes each cause. */
export interface UnknownSummary {
  /** Unknown verdicts in the population (changes × controls). */
  readonly total: number;
  readonly byCause: readonly {
    readonly cause: UnknownCause;
    /** Plain words: what is missing. */
    readonly title: string;
    readonly count: number;
    /** Unknown verdicts of this cause per control id. */
    readonly controls: Readonly<Record<string, number>>;
    readonly fix: string;
  }[];
  /**
   * Whether every change of the population is evidenced: false when a verdict is unknown or a
   * gap stands (a gap in the default-branch history can hide changes from the population itself).
   */
  readonly fullyEvidenced: boolean;
  /** The sources to fix, one line each (gap types standing or causing unknowns), for the cover. */
  readonly sourcesToFix: readonly string[];
}

export interface RetentionSummary {
  readonly location: string;
  readonly immutable: boolean;
  readonly versioning: string;
  readonly lockMode: string;
  readonly defaultRetentionDays: number | null;
  readonly verdict: Verdict;
  readonly notes: readonly string[];
}

export interface OverrideRow {
  readonly repo: string;
  readonly at: string;
  readonly actor: string;
  readonly commitSha: string;
  readonly sources: readonly string[];
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
}

export interface EmergencyRow {
  readonly repo: string;
  readonly prNumber: number;
  readonly mergedAt: string;
  readonly labelledBy: string;
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
}

/** A source the collection could not read, listed on an INCOMPLETE pack. */
export interface MissingSource {
  /** `org/name`, or null for organisation-wide evidence (teams). */
  readonly repo: string | null;
  /** The kind of evidence (`pull-requests`, …, `teams`), or `repository` for a whole repository. */
  readonly source: string;
  readonly reason: string;
}

export interface ManifestEntry {
  readonly key: string;
  readonly versionId: string;
  readonly sha256: string;
  readonly retainUntil: string;
}

/**
 * What the pack found comparing the index with a listing of the bucket (the truth): objects the
 * index lacked (read and used), index rows whose object is gone, and objects it could not use.
 */
export interface IndexCrossCheck {
  /** Key prefixes listed (one per kind, repository and month), and the object keys they held. */
  readonly prefixesListed: number;
  readonly objectsListed: number;
  /** Sorted by key; empty when the index and the bucket agree. */
  readonly findings: readonly IndexCrossCheckFinding[];
}

export type IndexCrossCheckKind =
  /** The bucket holds the object; the index has no row for it. Read and used. */
  | 'not-indexed'
  /** The bucket's current version is newer than the one the index names. The current one is used. */
  | 'newer-than-index'
  /** The index names an object version the bucket does not hold. Not used. */
  | 'missing-from-bucket'
  /** An object the index lacks (or its newer version) is not a valid document of its key. Not used. */
  | 'unusable';

export interface IndexCrossCheckFinding {
  readonly finding: IndexCrossCheckKind;
  readonly key: string;
  /** The version the pack used, or null when it used none of this key. */
  readonly usedVersionId: string | null;
  /** The version the index names, or null when it has no row for the key. */
  readonly indexedVersionId: string | null;
  /** In plain words, for the auditor. */
  readonly note: string;
}

export const EMPTY_INDEX_CROSS_CHECK: IndexCrossCheck = { prefixesListed: 0, objectsListed: 0, findings: [] };

export interface PackModel {
  readonly org: string;
  readonly period: { readonly label: string; readonly from: string; readonly to: string };
  readonly profile: {
    readonly id: string;
    readonly name: string;
    /** Versions in force during the period, e.g. `[{ version: 'v1.0', effectiveFrom: '…' }]`. */
    readonly versions: readonly { readonly version: string; readonly effectiveFrom: string }[];
    /** The profile as data, printed in the appendix. */
    readonly source: string;
  };
  /** Deterministic: the latest write time among the evidence, never the wall clock. */
  readonly generatedAt: string;
  readonly toolVersion: string;
  /** The control ids of the profile, in order: the population columns. */
  readonly controlIds: readonly string[];
  readonly evidenceCounts: Readonly<Record<string, number>>;
  readonly controls: readonly ControlSummary[];
  readonly metrics: readonly MetricResult[];
  readonly completeness: CompletenessReport;
  readonly gaps: readonly GapRow[];
  readonly unknowns: UnknownSummary;
  readonly sourcesConsulted: readonly string[];
  readonly sourcesNotConfigured: readonly string[];
  readonly retention: RetentionSummary;
  readonly population: readonly PopulationRow[];
  readonly exceptions: readonly ExceptionRow[];
  readonly overrides: readonly OverrideRow[];
  readonly emergencies: readonly EmergencyRow[];
  readonly manifest: readonly ManifestEntry[];
  /** The index checked against a listing of the bucket; what the index lacked is in the manifest too. */
  readonly indexCrossCheck: IndexCrossCheck;
  /** SHA-256 of the canonical manifest JSON, printed on the cover. */
  readonly manifestDigest: string;
  /**
   * Present only on a pack rendered although its collection failed (`--allow-incomplete`):
   * marked INCOMPLETE on its cover, in its manifest and its name, with every missing source.
   */
  readonly incomplete?: { readonly missing: readonly MissingSource[] };
}
