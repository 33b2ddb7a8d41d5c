import { z } from 'zod';

/**
 * The typed gap vocabulary: every gap a collector records names the evidence it withholds,
 * the repository (null: the whole organisation) and the stretch of time it covers. Rules ask for
 * gaps by that type, never by matching the name of a collector or an endpoint, so a failed
 * collection and a source the plan cannot serve reach the same verdicts. docs/gaps.md lists each
 * type, what it withholds and how a user fixes it.
 */
export const WITHHELD_EVIDENCE = [
  /** Merged pull requests and everything read with them: reviews, checks, files, commits, labels. */
  'pull-requests',
  /** The default-branch history: which commits reached the branch (the population). */
  'default-branch-commits',
  /** Repository activity: how each commit arrived (`push` or `pr_merge`) and when. */
  'repository-activity',
  /** Deployments and their statuses (CD-PIPELINE, ROLLBACK, CHANGE-FAILURE-RATE). */
  'deployments',
  /** The workflow run behind a deployment (who triggered it). */
  'workflow-runs',
  /** The organisation audit log: `protected_branch.policy_override` events. */
  'audit-log',
  /** Rule-suite evaluations: ruleset bypasses of pushes. */
  'rule-suites',
  /** Classic branch protection of the default branch (required checks, signed commits). */
  'branch-protection',
  /** The rulesets and branch rules that apply to the default branch. */
  'rulesets',
  /** Membership of a team the profile names (Security Champs, SRE, approvers). */
  'team-membership',
  /** CODEOWNERS and `cdk.json` of the default branch (SECURITY-REVIEW and IAC-SIGNOFF paths). */
  'default-branch-files',
  /** Linear's answer for the ticket keys the period's PRs name (TICKET-LINKED, when Linear is configured). */
  'linear-tickets',
  /** Better Stack incidents of the period (CHANGE-FAILURE-RATE, when Better Stack is configured). */
  'better-stack-incidents',
  /** Better Stack on-call calendars: who was Incident Commander when (EMERGENCY). */
  'better-stack-on-call',
] as const;
export type WithheldEvidence = (typeof WITHHELD_EVIDENCE)[number];

const isoTime = z.iso.datetime({ offset: true });

export const gapWindowSchema = z.object({ from: isoTime, to: isoTime });
export type GapWindow = z.infer<typeof gapWindowSchema>;

const typedGapSchema = z.object({
  withholds: z.enum(WITHHELD_EVIDENCE),
  /** `org/name`, or null for organisation-wide evidence (audit log, teams). */
  repo: z.string().nullable(),
  /** The half-open stretch of time whose evidence is withheld; null: the whole run's window. */
  window: gapWindowSchema.nullable().default(null),
  reason: z.string(),
});

/**
 * Collection runs written before gaps were typed carry `source` (the collector's word for what it
 * could not read); those words map onto the vocabulary here, at the edge, and nowhere else.
 */
const LEGACY_SOURCES: Readonly<Record<string, WithheldEvidence>> = {
  activity: 'repository-activity',
  'audit-log': 'audit-log',
  'branch-protection': 'branch-protection',
  deployments: 'deployments',
  'rule-suites': 'rule-suites',
  rulesets: 'rulesets',
  teams: 'team-membership',
  'workflow-runs': 'workflow-runs',
  checks: 'pull-requests',
};

export const gapSchema = z.preprocess((value) => {
  if (value && typeof value === 'object' && !('withholds' in value) && 'source' in value) {
    const { source, ...rest } = value as { source: unknown };
    return { ...rest, withholds: typeof source === 'string' ? (LEGACY_SOURCES[source] ?? source) : source };
  }
  return value;
}, typedGapSchema);
export type Gap = z.infer<typeof typedGapSchema>;
/** A gap as a collector writes it (the window defaults to the run's window). */
export type GapInput = Omit<Gap, 'window'> & { readonly window?: GapWindow | null };

/** The `--kinds` a collector run takes, and what a failure of each withholds. */
export const WITHHELD_BY_KIND = {
  'pull-requests': ['pull-requests'],
  commits: ['default-branch-commits', 'repository-activity'],
  deployments: ['deployments'],
  overrides: ['audit-log', 'rule-suites'],
  protection: ['branch-protection', 'rulesets'],
  teams: ['team-membership'],
  tickets: ['linear-tickets'],
  incidents: ['better-stack-incidents', 'better-stack-on-call'],
} as const satisfies Record<string, readonly WithheldEvidence[]>;

/** Plain words for each type, used in reasons and on the pack's cover. */
export const WITHHELD_TITLES: Readonly<Record<WithheldEvidence, string>> = {
  'pull-requests': 'merged pull requests (reviews, checks, files)',
  'default-branch-commits': 'default-branch commits',
  'repository-activity': 'repository activity (push or PR merge)',
  deployments: 'deployments and their statuses',
  'workflow-runs': 'workflow runs behind deployments',
  'audit-log': 'the organisation audit log (override events)',
  'rule-suites': 'rule suites (ruleset bypasses)',
  'branch-protection': 'branch protection of the default branch',
  rulesets: 'rulesets of the default branch',
  'team-membership': 'team membership',
  'default-branch-files': 'CODEOWNERS and cdk.json of the default branch',
  'linear-tickets': 'Linear tickets named by pull requests',
  'better-stack-incidents': 'Better Stack incidents',
  'better-stack-on-call': 'Better Stack on-call calendars (who was Incident Commander when)',
};

/** What a user does to close a gap of each type (the pack's cover and docs/gaps.md). */
export const GAP_FIXES: Readonly<Record<WithheldEvidence, string>> = {
  'pull-requests': 're-run the collection of pull requests for the repository and period',
  'default-branch-commits': 're-run the collection of commits for the repository and period',
  'repository-activity':
    'collect at least monthly (GitHub keeps repository activity for a limited time) with a token that can read the repository',
  deployments: 're-run the collection of deployments; the token needs deployments: read',
  'workflow-runs': 'give the token actions: read; runs deleted by retention cannot come back',
  'audit-log':
    'use GitHub Enterprise Cloud and a token of an organisation owner with read:audit_log, and collect within 180 days',
  'rule-suites': 'give the token administration: read on the repository and collect at least monthly',
  'branch-protection':
    'give the token administration: read (repository admin) so branch protection can be read',
  rulesets: 'give the token administration: read so every ruleset that applies to the branch can be read',
  'team-membership': 'create the team the profile names, or give the token members: read on the organisation',
  'default-branch-files': 'give the token contents: read on the repository',
  'linear-tickets':
    'check that Linear answers and that the API key (LINEAR_API_KEY or the secret named by cm01:linearSecretArn) is valid and reads the teams the tickets are in, then collect tickets again',
  'better-stack-incidents':
    'check that Better Stack answers and that the Uptime API token (BETTER_STACK_API_TOKEN or the secret named by cm01:betterStackSecretArn) is valid, then collect incidents again',
  'better-stack-on-call':
    'as for incidents: a valid Better Stack Uptime API token of the team whose on-call calendars hold the Incident Commanders, then collect incidents again',
};

/** Whether a gap covers some of `span` (half-open); a gap without a window covers all of it. */
export function gapOverlaps(gap: Pick<Gap, 'window'>, span: GapWindow | undefined): boolean {
  if (!span || !gap.window) return true;
  return (
    Date.parse(gap.window.from) < Date.parse(span.to) && Date.parse(span.from) < Date.parse(gap.window.to)
  );
}

/** `deployments of acme/api could not be read: <reason>` — the reason a verdict gives. */
export function describeGap(gap: Gap): string {
  const scope = gap.repo ? ` of ${gap.repo}` : '';
  const when = gap.window ? ` (${gap.window.from} to ${gap.window.to})` : '';
  return `${WITHHELD_TITLES[gap.withholds]}${scope}${when} could not be read whole: ${gap.reason}`;
}
