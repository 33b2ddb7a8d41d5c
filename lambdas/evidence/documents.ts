import { z } from 'zod';
import { gapSchema } from './gaps.ts';
import { EVIDENCE_KINDS } from './ports.ts';
import { compileCheck, REFUSED, type ValueCheck } from './schema-check.ts';

/**
 * The stored evidence documents: the contract between collectors (which write them from
 * GitHub's answers, applying no policy) and the evaluation (which reads only these).
 * Every document is an envelope `{ schema, kind, org, repo, itemId, occurredAt, provenance, data }`.
 * Lists that GitHub caps or that a collector could not read whole say so in `completeness`.
 */

const isoTime = z.iso.datetime({ offset: true });
const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-character lowercase hex SHA');

export const provenanceSchema = z.object({
  /**
   * `github-graphql`, `github-rest`, `linear-graphql`, `better-stack-rest`, or `cm01` for
   * records the tool makes itself.
   */
  source: z.enum(['github-graphql', 'github-rest', 'linear-graphql', 'better-stack-rest', 'cm01']),
  /** GraphQL operation name + query SHA-256, or `GET /repos/{owner}/{repo}/deployments`. */
  request: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  /** `login` of the token's user, or `app/<slug>` for a GitHub App installation. */
  tokenIdentity: z.string(),
  toolVersion: z.string(),
  fetchedAt: isoTime,
  apiCost: z.object({
    requests: z.number().int().nonnegative(),
    graphqlPoints: z.number().int().nonnegative(),
  }),
});
export type Provenance = z.infer<typeof provenanceSchema>;

export const actorSchema = z.object({
  login: z.string(),
  /** `User`, `Bot` (GitHub's `__typename` / REST `type`). */
  type: z.string().default('User'),
});
export type Actor = z.infer<typeof actorSchema>;

export const signatureSchema = z
  .object({ isValid: z.boolean(), state: z.string(), signer: z.string().nullable() })
  .nullable();
export type Signature = z.infer<typeof signatureSchema>;

/** Where a list may be incomplete: the collector read `collected` of GitHub's `total`. */
export const completenessSchema = z.object({
  field: z.string(),
  collected: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  reason: z.string(),
});

export const commitSchema = z.object({
  sha,
  message: z.string(),
  author: z.string().nullable(),
  committer: z.string().nullable(),
  authoredAt: isoTime,
  committedAt: isoTime,
  parents: z.array(sha),
  signature: signatureSchema,
  /** Logins GitHub lists as the commit's authors beyond the first (`Co-authored-by:` trailers it resolved); absent = none. */
  coAuthors: z.array(z.string()).optional(),
  /** Who pushed the commit to its branch, where repository activity shows it; absent = not known. */
  pushedBy: z.string().optional(),
});
export type CommitData = z.infer<typeof commitSchema>;

export const reviewSchema = z.object({
  id: z.string(),
  author: z.string().nullable(),
  /** `User` (absent) or `Bot` (GitHub's `__typename` of the review's author): a Bot's approval is nobody's. */
  authorType: z.string().optional(),
  /** APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING */
  state: z.string(),
  /** For a DISMISSED review, what it was before dismissal (e.g. APPROVED), where known. */
  previousState: z.string().nullable().default(null),
  submittedAt: isoTime.nullable(),
  commitSha: sha.nullable(),
  dismissedAt: isoTime.nullable().default(null),
  dismissedBy: z.string().nullable().default(null),
});
export type ReviewData = z.infer<typeof reviewSchema>;

export const checkSchema = z.object({
  name: z.string(),
  kind: z.enum(['check_run', 'status']),
  /** App slug for check runs (e.g. `github-actions`), creator login for statuses. */
  app: z.string().nullable(),
  /** The app's id for check runs (what protection's `app_id` / a ruleset's `integration_id` names); absent when not read. */
  appId: z.number().int().optional(),
  /** For statuses: `Bot` when a bot or app posted it (absent: a person, or not read). */
  creatorType: z.string().optional(),
  /** The check suite the run belongs to (re-runs of one suite share it), where read. */
  suiteId: z.string().optional(),
  /** GitHub's id of this one run or posted status (each re-run has its own), where read through REST. */
  runId: z.number().int().optional(),
  commitSha: sha,
  /** QUEUED | IN_PROGRESS | COMPLETED (statuses: COMPLETED unless PENDING). */
  status: z.string(),
  /** SUCCESS | FAILURE | NEUTRAL | CANCELLED | SKIPPED | TIMED_OUT | ACTION_REQUIRED | ERROR | PENDING | null */
  conclusion: z.string().nullable(),
  startedAt: isoTime.nullable(),
  completedAt: isoTime.nullable(),
});
export type CheckData = z.infer<typeof checkSchema>;

export const fileSchema = z.object({
  path: z.string(),
  additions: z.number().int(),
  deletions: z.number().int(),
  changeType: z.string(),
});

export const labelEventSchema = z.object({
  name: z.string(),
  action: z.enum(['added', 'removed']),
  actor: z.string().nullable(),
  at: isoTime,
});
export type LabelEvent = z.infer<typeof labelEventSchema>;

export const commentSchema = z.object({
  author: z.string().nullable(),
  createdAt: isoTime,
  body: z.string(),
  url: z.string().nullable().default(null),
});
export type CommentData = z.infer<typeof commentSchema>;

export const pullRequestDataSchema = z.object({
  number: z.number().int().positive(),
  url: z.string(),
  title: z.string(),
  body: z.string(),
  /** When the body was last edited (GitHub's `lastEditedAt`); absent or null when never edited. */
  bodyEditedAt: isoTime.nullable().optional(),
  author: actorSchema.nullable(),
  baseRef: z.string(),
  headRef: z.string(),
  headSha: sha,
  createdAt: isoTime,
  mergedAt: isoTime,
  mergedBy: actorSchema.nullable(),
  mergeCommit: commitSchema.nullable(),
  commits: z.array(commitSchema),
  reviews: z.array(reviewSchema),
  /** Check runs and statuses on the PR's head commit, as they stood at collection. */
  checks: z.array(checkSchema),
  files: z.array(fileSchema),
  labels: z.array(z.string()),
  labelEvents: z.array(labelEventSchema),
  comments: z.array(commentSchema),
  /** Lists GitHub itself capped or the collector could not read whole; empty when complete. */
  completeness: z.array(completenessSchema),
});
export type PullRequestData = z.infer<typeof pullRequestDataSchema>;

/** A commit on a protected default branch, and how it got there. */
export const branchCommitDataSchema = z.object({
  branch: z.string(),
  commit: commitSchema,
  /** Merged PRs into this branch whose merge commit is this SHA or that contain it. */
  associatedPullRequests: z.array(
    z.object({
      number: z.number().int(),
      mergedAt: isoTime.nullable(),
      mergeCommitSha: sha.nullable(),
      baseRef: z.string(),
    }),
  ),
  /** The repository-activity event that moved the branch to (or past) this commit, where known. */
  activity: z
    .object({
      id: z.number().int(),
      activityType: z.string(),
      actor: z.string().nullable(),
      timestamp: isoTime,
      before: sha.nullable(),
      after: sha,
    })
    .nullable(),
});
export type BranchCommitData = z.infer<typeof branchCommitDataSchema>;

export const deploymentStatusSchema = z.object({
  state: z.string(),
  createdAt: isoTime,
  creator: actorSchema.nullable(),
  logUrl: z.string().nullable(),
  description: z.string().nullable().default(null),
});

export const workflowRunSchema = z.object({
  id: z.number().int(),
  name: z.string().nullable(),
  runAttempt: z.number().int(),
  actor: z.string().nullable(),
  triggeringActor: z.string().nullable(),
  event: z.string().nullable(),
  status: z.string().nullable(),
  conclusion: z.string().nullable(),
  headSha: sha,
  createdAt: isoTime,
  updatedAt: isoTime,
  jobs: z.array(
    z.object({
      name: z.string(),
      status: z.string().nullable(),
      conclusion: z.string().nullable(),
      startedAt: isoTime.nullable(),
      completedAt: isoTime.nullable(),
    }),
  ),
});

export const deploymentDataSchema = z.object({
  id: z.number().int(),
  sha,
  ref: z.string(),
  environment: z.string(),
  productionEnvironment: z.boolean(),
  creator: actorSchema.nullable(),
  /** The GitHub App that created it (e.g. `github-actions`), where GitHub reports one. */
  performedViaApp: z.string().nullable().default(null),
  createdAt: isoTime,
  statuses: z.array(deploymentStatusSchema),
  workflowRun: workflowRunSchema.nullable(),
});
export type DeploymentData = z.infer<typeof deploymentDataSchema>;

export const overrideSourceSchema = z.enum(['audit-log', 'rule-suite', 'activity']);
export type OverrideSource = z.infer<typeof overrideSourceSchema>;

/** One override / bypass event, merged from every source that saw it. */
export const overrideDataSchema = z.object({
  branch: z.string(),
  actor: z.string().nullable(),
  at: isoTime,
  beforeSha: sha.nullable(),
  afterSha: sha,
  sources: z.array(overrideSourceSchema).min(1),
  /** e.g. audit-log reasons `{ code, message }`; rule-suite ids; activity types. */
  reasons: z.array(z.object({ code: z.string(), message: z.string() })),
  /** The commit the override pushed or merged, with its message (justification, Approved-by). */
  commit: commitSchema.nullable(),
  /** The merged PR this commit belongs to, when there is one. */
  pullRequest: z.number().int().nullable(),
});
export type OverrideData = z.infer<typeof overrideDataSchema>;

/** Files of the default branch that decide specialist paths: CODEOWNERS and a root `cdk.json`. */
export const defaultBranchFilesSchema = z.object({
  /** The CODEOWNERS GitHub uses (first of `.github/`, root, `docs/`), or null when there is none. */
  codeowners: z.object({ path: z.string(), text: z.string() }).nullable(),
  cdkJsonAtRoot: z.boolean(),
});
export type DefaultBranchFiles = z.infer<typeof defaultBranchFilesSchema>;

export const branchProtectionDataSchema = z.object({
  branch: z.string(),
  /** Read with the snapshot; absent in snapshots taken before it was collected, or when unreadable. */
  defaultBranchFiles: defaultBranchFilesSchema.optional(),
  /** Classic protection, or null when the branch has none. */
  protection: z
    .object({
      requiredStatusChecks: z.array(z.string()),
      requiredApprovingReviewCount: z.number().int(),
      requireSignedCommits: z.boolean(),
      enforceAdmins: z.boolean(),
      /** Required checks tied to an app (`checks[].app_id`): only that app's check run meets them. */
      requiredCheckApps: z.array(z.object({ context: z.string(), appId: z.number().int() })).optional(),
    })
    .nullable(),
  rulesets: z.array(
    z.object({
      id: z.number().int(),
      name: z.string(),
      enforcement: z.string(),
      rules: z.array(
        z.object({ type: z.string(), parameters: z.record(z.string(), z.unknown()).optional() }),
      ),
      bypassActors: z.array(z.object({ actor: z.string(), mode: z.string() })),
    }),
  ),
});
export type BranchProtectionData = z.infer<typeof branchProtectionDataSchema>;

export const teamMembershipDataSchema = z.object({
  team: z.string(),
  members: z.array(z.string()),
});
export type TeamMembershipData = z.infer<typeof teamMembershipDataSchema>;

/**
 * One ticket key looked up in Linear: the issue as Linear answered it, or `exists: false` when
 * Linear knows no issue of that key (evidence of absence, with the query that asked).
 */
export const linearTicketDataSchema = z.object({
  key: z.string(),
  exists: z.boolean(),
  issue: z
    .object({
      id: z.string(),
      identifier: z.string(),
      title: z.string(),
      url: z.string(),
      team: z.object({ key: z.string(), name: z.string() }),
      state: z.object({ name: z.string(), type: z.string() }),
      createdAt: isoTime,
      archivedAt: isoTime.nullable(),
    })
    .nullable(),
});
export type LinearTicketData = z.infer<typeof linearTicketDataSchema>;

/** A Better Stack incident as its Uptime API describes it, with what it names as its cause. */
export const incidentDataSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  cause: z.string().nullable(),
  status: z.string().nullable(),
  startedAt: isoTime,
  acknowledgedAt: isoTime.nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: isoTime.nullable(),
  resolvedBy: z.string().nullable(),
  teamName: z.string().nullable(),
  /** Better Stack's free-form `metadata` (key -> text): where references to a change are written. */
  metadata: z.record(z.string(), z.string()),
});
export type IncidentData = z.infer<typeof incidentDataSchema>;

/** One Better Stack on-call calendar and its events that overlap the collection window. */
export const onCallDataSchema = z.object({
  calendarId: z.string(),
  calendarName: z.string().nullable(),
  teamName: z.string().nullable(),
  defaultCalendar: z.boolean(),
  window: z.object({ from: isoTime, to: isoTime }),
  events: z.array(
    z.object({
      id: z.string(),
      /** E-mail addresses of the Better Stack users on call. */
      users: z.array(z.string()),
      startsAt: isoTime,
      endsAt: isoTime,
      override: z.boolean(),
    }),
  ),
});
export type OnCallData = z.infer<typeof onCallDataSchema>;

/** A source beyond GitHub that a collection run was configured to read, and whether it answered. */
export const enricherRunSchema = z.object({
  source: z.enum(['linear', 'better-stack']),
  /** The API endpoint asked (never a credential). */
  endpoint: z.string(),
  status: z.enum(['consulted', 'unreachable']),
});
export type EnricherRun = z.infer<typeof enricherRunSchema>;

export { type Gap, gapSchema } from './gaps.ts';

export const collectionRunDataSchema = z.object({
  runId: z.string(),
  collector: z.string(),
  window: z.object({ from: isoTime, to: isoTime }),
  repos: z.array(z.string()),
  status: z.enum(['succeeded', 'partial', 'failed']),
  /** The `--kinds` the run was asked for (runs written before this field: read from provenance). */
  kinds: z.array(z.string()).optional(),
  startedAt: isoTime,
  finishedAt: isoTime,
  counts: z.record(z.string(), z.number().int().nonnegative()),
  gaps: z.array(gapSchema),
  errors: z.array(z.object({ repo: z.string().nullable(), message: z.string() })),
  /** Re-readings poorer than the stored version: not written, the richer version stays current. */
  keptRicher: z
    .array(z.object({ kind: z.string(), repo: z.string(), itemId: z.string(), lacks: z.string() }))
    .optional(),
  apiCost: z.object({
    requests: z.number().int().nonnegative(),
    graphqlPoints: z.number().int().nonnegative(),
  }),
  /** Linear / Better Stack, when the run was configured to read them; absent = not configured. */
  enrichers: z.array(enricherRunSchema).optional(),
  /** What each asked-for kind cost (runs written before this field: absent); the budget planner reads it. */
  costByKind: z
    .record(
      z.string(),
      z.object({
        /** REST requests: what GitHub's `core` bucket counts. */
        restRequests: z.number().int().nonnegative(),
        graphqlPoints: z.number().int().nonnegative(),
      }),
    )
    .optional(),
});
export type CollectionRunData = z.infer<typeof collectionRunDataSchema>;

export const dataSchemas = {
  'pull-request': pullRequestDataSchema,
  'branch-commit': branchCommitDataSchema,
  deployment: deploymentDataSchema,
  override: overrideDataSchema,
  'branch-protection': branchProtectionDataSchema,
  'team-membership': teamMembershipDataSchema,
  'linear-ticket': linearTicketDataSchema,
  incident: incidentDataSchema,
  'on-call': onCallDataSchema,
  'collection-run': collectionRunDataSchema,
} as const;
export type DocumentKind = keyof typeof dataSchemas;
export type DataOf<K extends DocumentKind> = z.infer<(typeof dataSchemas)[K]>;

export const EVIDENCE_SCHEMA = 'cm01.evidence/1';

export interface EvidenceDocument<K extends DocumentKind = DocumentKind> {
  readonly schema: typeof EVIDENCE_SCHEMA;
  readonly kind: K;
  readonly org: string;
  /** `org/name`, or `org` for organisation-wide evidence. */
  readonly repo: string;
  readonly itemId: string;
  readonly occurredAt: string;
  readonly provenance: Provenance;
  readonly data: DataOf<K>;
}

export const envelopeSchema = z.object({
  schema: z.literal(EVIDENCE_SCHEMA),
  kind: z.enum(EVIDENCE_KINDS),
  org: z.string(),
  repo: z.string(),
  itemId: z.string(),
  occurredAt: isoTime,
  provenance: provenanceSchema,
  data: z.unknown(),
});

/** Parse stored bytes into a typed document, naming the bad field when it does not fit. */
export function parseEvidenceDocument<K extends DocumentKind>(kind: K, json: unknown): EvidenceDocument<K> {
  const envelope = envelopeSchema.parse(json);
  if (envelope.kind !== kind) throw new Error(`expected evidence of kind ${kind}, got ${envelope.kind}`);
  const data = dataSchemas[kind].parse(envelope.data) as DataOf<K>;
  return { ...envelope, kind, data } as EvidenceDocument<K>;
}

const checkEnvelope = compileCheck(envelopeSchema);
const checkData = Object.fromEntries(
  Object.entries(dataSchemas).map(([kind, schema]) => [kind, compileCheck(schema)]),
) as Readonly<Record<DocumentKind, ValueCheck>>;

/**
 * `parseEvidenceDocument` of a stored document's text, for readers of many (a pack reads every
 * document of its month): the same document, or the same error naming the bad field. A document
 * that fits is checked in place, without zod's copy (see `compileCheck`); one that does not, or
 * that the quick check is not sure of, is parsed from its text again by zod, which decides.
 */
export function parseStoredEvidenceDocument<K extends DocumentKind>(
  kind: K,
  text: string,
): EvidenceDocument<K> {
  const json: unknown = JSON.parse(text);
  if (checkEnvelope(json) === json) {
    const envelope = json as { kind: unknown; data: unknown };
    if (envelope.kind === kind) {
      const data = checkData[kind](envelope.data);
      if (data !== REFUSED) {
        envelope.data = data;
        return json as EvidenceDocument<K>;
      }
    }
  }
  return parseEvidenceDocument(kind, JSON.parse(text));
}
