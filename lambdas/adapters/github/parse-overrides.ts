import { z } from 'zod';
import type { CommitData } from '../../evidence/documents.ts';
import { isoUtc } from './parse-deployments.ts';

/**
 * Parsers for the three GitHub sources that can show a protected-branch override or ruleset
 * bypass — the organisation audit log, rule suites, repository activity — and for the commit
 * an override pushed. Each returns a domain value; raw JSON stops here.
 */

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-character lowercase hex SHA');
/** The audit log sends epoch milliseconds (`created_at`, `@timestamp`); other APIs send ISO strings. */
const anyTime = z.union([
  z.number(),
  z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO-8601 time'),
]);

export interface OverrideReason {
  readonly code: string;
  readonly message: string;
}

/** What one source saw of one push to a branch. */
export interface OverrideSighting {
  readonly source: 'audit-log' | 'rule-suite' | 'activity';
  /** Full ref, `refs/heads/<branch>`. */
  readonly ref: string;
  readonly actor: string | null;
  readonly at: string;
  readonly beforeSha: string | null;
  readonly afterSha: string;
  readonly reasons: readonly OverrideReason[];
  /**
   * Whether this sighting alone makes the push an override candidate: audit-log overrides,
   * rule-suite bypasses and direct (force) pushes do; a `pr_merge` or merge-queue activity only
   * corroborates a push another source reported, since a normal merge is no override.
   */
  readonly candidate: boolean;
}

/** Activity types that move a branch without a PR merge: every one is an override candidate. */
export const DIRECT_PUSH_TYPES: readonly string[] = ['push', 'force_push'];
/** Activity types that corroborate an override another source saw; branch creation/deletion do not. */
const CORROBORATING_TYPES: readonly string[] = ['pr_merge', 'merge_queue_merge'];

/** `refs/heads/main` for `main`; leaves a full ref alone. */
export function fullRef(branchOrRef: string): string {
  return branchOrRef.startsWith('refs/') ? branchOrRef : `refs/heads/${branchOrRef}`;
}

/** A SHA of all zeros means "no commit" (branch creation or deletion). */
function realSha(value: string | null | undefined): string | null {
  return value && !/^0{40}$/.test(value) ? value : null;
}

const auditLogEntrySchema = z.object({
  action: z.string(),
  actor: z.string().nullable().optional(),
  repo: z.string().nullable().optional(),
  branch: z.string().nullable().optional(),
  created_at: anyTime.optional(),
  '@timestamp': anyTime.optional(),
  after: sha.nullable().optional(),
  before: z.string().nullable().optional(),
  reasons: z.array(z.object({ code: z.string(), message: z.string().nullable().optional() })).optional(),
  _document_id: z.string().optional(),
});

/**
 * `GET /orgs/{org}/audit-log` entries for `protected_branch.policy_override` of `repo` (`org/name`). Entries without the
 * SHA the override let through cannot be tied to a commit; they are returned apart so the
 * collector can report them rather than drop them.
 */
export function parseAuditLogOverrides(
  json: unknown,
  repo: string,
  /** For a reading of the whole organisation: an entry must name this repository to be its evidence. */
  options: { readonly requireRepo?: boolean } = {},
): {
  sightings: OverrideSighting[];
  unattributable: { readonly documentId: string | null; readonly at: string | null }[];
} {
  const entries = z.array(auditLogEntrySchema).parse(json);
  const sightings: OverrideSighting[] = [];
  const unattributable: { documentId: string | null; at: string | null }[] = [];
  for (const entry of entries) {
    const time = entry.created_at ?? entry['@timestamp'];
    const at = time === undefined ? null : isoUtc(time);
    // The phrase already asks for this repository; an entry naming another is not its evidence.
    if (entry.action !== 'protected_branch.policy_override') continue;
    if (entry.repo && entry.repo.toLowerCase() !== repo.toLowerCase()) continue;
    if (!entry.repo && options.requireRepo) continue;
    if (!entry.after || at === null) {
      unattributable.push({ documentId: entry._document_id ?? null, at });
      continue;
    }
    sightings.push({
      source: 'audit-log',
      ref: fullRef(entry.branch ?? 'unknown'),
      actor: entry.actor ?? null,
      at,
      beforeSha: realSha(entry.before),
      afterSha: entry.after,
      reasons: (entry.reasons ?? []).map((r) => ({ code: r.code, message: r.message ?? '' })),
      candidate: true,
    });
  }
  return { sightings, unattributable };
}

const ruleSuiteSchema = z.object({
  id: z.number().int(),
  actor_name: z.string().nullable().optional(),
  before_sha: z.string().nullable().optional(),
  after_sha: sha,
  ref: z.string(),
  pushed_at: anyTime,
  result: z.string(),
  evaluation_result: z.string().nullable().optional(),
});

export interface RuleSuiteSummary {
  readonly id: number;
  readonly sighting: OverrideSighting;
  readonly result: string;
}

/** `GET /repos/{owner}/{repo}/rulesets/rule-suites?rule_suite_result=bypass`, all pages. */
export function parseRuleSuites(json: unknown): RuleSuiteSummary[] {
  return z
    .array(ruleSuiteSchema)
    .parse(json)
    .map((suite) => ({
      id: suite.id,
      result: suite.result,
      sighting: {
        source: 'rule-suite',
        ref: fullRef(suite.ref),
        actor: suite.actor_name ?? null,
        at: isoUtc(suite.pushed_at),
        beforeSha: realSha(suite.before_sha),
        afterSha: suite.after_sha,
        reasons: [
          {
            code: `rule-suite:${suite.result}`,
            message: `rule suite ${suite.id}: result ${suite.result}, evaluation ${suite.evaluation_result ?? 'n/a'}`,
          },
        ],
        candidate: suite.result === 'bypass',
      },
    }));
}

const ruleSuiteDetailSchema = z.object({
  id: z.number().int(),
  rule_evaluations: z
    .array(
      z.object({
        rule_source: z
          .object({
            type: z.string().nullable().optional(),
            id: z.number().nullable().optional(),
            name: z.string().nullable().optional(),
          })
          .nullable()
          .optional(),
        enforcement: z.string().nullable().optional(),
        result: z.string().nullable().optional(),
        rule_type: z.string().nullable().optional(),
        details: z.string().nullable().optional(),
      }),
    )
    .nullable()
    .optional(),
});

/**
 * `GET /repos/{owner}/{repo}/rulesets/rule-suites/{id}`: the rules that failed and were bypassed,
 * as reasons (`rule:<type>`), so the evidence says *what* the bypass skipped.
 */
export function parseRuleSuiteBypassedRules(json: unknown): OverrideReason[] {
  const detail = ruleSuiteDetailSchema.parse(json);
  return (detail.rule_evaluations ?? [])
    .filter((evaluation) => evaluation.result === 'fail')
    .map((evaluation) => {
      const source = evaluation.rule_source;
      const where = source?.name ? `${source.type ?? 'ruleset'} ${source.name}` : (source?.type ?? 'ruleset');
      const details = evaluation.details ? `: ${evaluation.details}` : '';
      return {
        code: `rule:${evaluation.rule_type ?? 'unknown'}`,
        message: `rule suite ${detail.id}: ${where} (${evaluation.enforcement ?? 'active'}) failed${details}`,
      };
    });
}

const activitySchema = z.object({
  id: z.number().int(),
  before: z.string().nullable().optional(),
  after: z.string(),
  ref: z.string(),
  timestamp: anyTime,
  activity_type: z.string(),
  actor: z.object({ login: z.string() }).nullable().optional(),
});

/**
 * `GET /repos/{owner}/{repo}/activity`, all pages: direct pushes and force pushes as candidates,
 * PR and merge-queue merges as corroboration; branch creation and deletion are left out.
 */
export function parseActivity(json: unknown): OverrideSighting[] {
  const sightings: OverrideSighting[] = [];
  for (const item of z.array(activitySchema).parse(json)) {
    const candidate = DIRECT_PUSH_TYPES.includes(item.activity_type);
    if (!candidate && !CORROBORATING_TYPES.includes(item.activity_type)) continue;
    const after = realSha(item.after);
    if (after === null || !/^[0-9a-f]{40}$/.test(after)) continue;
    const actor = item.actor?.login ?? null;
    sightings.push({
      source: 'activity',
      ref: fullRef(item.ref),
      actor,
      at: isoUtc(item.timestamp),
      beforeSha: realSha(item.before),
      afterSha: after,
      reasons: [
        {
          code: `activity:${item.activity_type}`,
          message: `activity ${item.id}: ${item.activity_type} by ${actor ?? 'unknown'}`,
        },
      ],
      candidate,
    });
  }
  return sightings;
}

/** The GraphQL selection `parseOverrideCommit` reads; field names exactly as in GitHub's schema. */
export const OVERRIDE_COMMIT_QUERY = `query OverrideCommit($owner: String!, $name: String!, $oid: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    object(oid: $oid) {
      __typename
      ... on Commit {
        oid
        message
        committedDate
        authoredDate
        author { user { login } name }
        committer { user { login } name }
        parents(first: 10) { totalCount nodes { oid } }
        signature { isValid state signer { login } }
        associatedPullRequests(first: 10) { nodes { number mergedAt baseRefName mergeCommit { oid } } }
      }
    }
  }
  rateLimit { cost }
}`;

/** Up to this many override commits are read per request (aliases of one query). */
export const OVERRIDE_COMMITS_PER_QUERY = 20;

/**
 * The commits of several overrides in one request: `OVERRIDE_COMMIT_QUERY`'s selection once per
 * commit, under the aliases `c0`, `c1`, … (a commit GitHub no longer has answers null).
 */
export function overrideCommitsQuery(count: number): string {
  const selection = /object\(oid: \$oid\) \{([\s\S]*)\n {4}\}\n {2}\}\n {2}rateLimit/.exec(
    OVERRIDE_COMMIT_QUERY,
  )?.[1];
  if (!selection) throw new Error('OVERRIDE_COMMIT_QUERY has no object(oid:) selection');
  const declarations = Array.from({ length: count }, (_, i) => `$oid${i}: GitObjectID!`).join(', ');
  const objects = Array.from(
    { length: count },
    (_, i) => `c${i}: object(oid: $oid${i}) {${selection}\n    }`,
  );
  return `query OverrideCommits($owner: String!, $name: String!, ${declarations}) {
  repository(owner: $owner, name: $name) {
    ${objects.join('\n    ')}
  }
  rateLimit { cost }
}`;
}

/** One alias of an `overrideCommitsQuery` answer, in the shape `parseOverrideCommit` reads. */
export function overrideCommitAt(json: unknown, index: number): unknown {
  const repository = (json as { repository?: Record<string, unknown> | null } | null)?.repository;
  return { repository: repository ? { object: repository[`c${index}`] ?? null } : null };
}

const gitActorSchema = z
  .object({
    user: z.object({ login: z.string() }).nullable().optional(),
    name: z.string().nullable().optional(),
  })
  .nullable()
  .optional();

const overrideCommitAnswerSchema = z.object({
  repository: z
    .object({
      object: z
        .object({
          __typename: z.string(),
          oid: sha.optional(),
          message: z.string().optional(),
          committedDate: anyTime.optional(),
          authoredDate: anyTime.optional(),
          author: gitActorSchema,
          committer: gitActorSchema,
          parents: z.object({ nodes: z.array(z.object({ oid: sha })) }).optional(),
          signature: z
            .object({
              isValid: z.boolean(),
              state: z.string(),
              signer: z.object({ login: z.string() }).nullable().optional(),
            })
            .nullable()
            .optional(),
          associatedPullRequests: z
            .object({
              nodes: z.array(
                z.object({
                  number: z.number().int(),
                  mergedAt: anyTime.nullable().optional(),
                  baseRefName: z.string(),
                  mergeCommit: z.object({ oid: sha }).nullable().optional(),
                }),
              ),
            })
            .optional(),
        })
        .nullable(),
    })
    .nullable(),
});

export interface OverrideCommit {
  readonly commit: CommitData;
  /** The merged PR into `branch` this commit belongs to (its merge commit first), or null. */
  readonly pullRequest: number | null;
}

/**
 * The answer to `OVERRIDE_COMMIT_QUERY`, or undefined when GitHub no longer has the commit (a
 * force push can leave it unreachable). `branch` is the short branch name the override hit.
 */
export function parseOverrideCommit(json: unknown, branch: string): OverrideCommit | undefined {
  const object = overrideCommitAnswerSchema.parse(json).repository?.object;
  if (object?.__typename !== 'Commit' || !object.oid || object.message === undefined) return undefined;
  if (object.committedDate === undefined || object.authoredDate === undefined) return undefined;
  const merged = (object.associatedPullRequests?.nodes ?? []).filter(
    (pr) => pr.mergedAt !== null && pr.mergedAt !== undefined && pr.baseRefName === branch,
  );
  const ownMerge = merged.find((pr) => pr.mergeCommit?.oid === object.oid);
  const pullRequest = (ownMerge ?? merged[0])?.number ?? null;
  return {
    commit: {
      sha: object.oid,
      message: object.message,
      author: object.author?.user?.login ?? null,
      committer: object.committer?.user?.login ?? null,
      authoredAt: isoUtc(object.authoredDate),
      committedAt: isoUtc(object.committedDate),
      parents: (object.parents?.nodes ?? []).map((parent) => parent.oid),
      signature: object.signature
        ? {
            isValid: object.signature.isValid,
            state: object.signature.state,
            signer: object.signature.signer?.login ?? null,
          }
        : null,
    },
    pullRequest,
  };
}
