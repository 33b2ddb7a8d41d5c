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
}

export interface CompletenessReport {
  readonly defaultBranchCommits: number;
  readonly mergedPullRequests: number;
  readonly directPushes: number;
  readonly productionDeployments: number;
  /** Differences found reconciling commits, PRs and deployments, each in plain words. */
  readonly differences: readonly { readonly repo: string; readonly ref: string; readonly note: string }[];
}

export interface GapRow {
  readonly source: string;
  readonly repo: string | null;
  readonly reason: string;
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

export interface ManifestEntry {
  readonly key: string;
  readonly versionId: string;
  readonly sha256: string;
  readonly retainUntil: string;
}

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
  readonly sourcesConsulted: readonly string[];
  readonly sourcesNotConfigured: readonly string[];
  readonly retention: RetentionSummary;
  readonly population: readonly PopulationRow[];
  readonly exceptions: readonly ExceptionRow[];
  readonly overrides: readonly OverrideRow[];
  readonly emergencies: readonly EmergencyRow[];
  readonly manifest: readonly ManifestEntry[];
  /** SHA-256 of the canonical manifest JSON, printed on the cover. */
  readonly manifestDigest: string;
}
