/**
 * The `github-world/1` file format: one JSON file describing a GitHub organisation, from which the
 * emulator answers GitHub's GraphQL and REST calls. The schema follows the project's world
 * specification field by field; a few optional extensions (`repos[].workflowRuns`,
 * `repos[].deployments[].performedViaApp`, `users[].type`) are accepted as well.
 *
 * `parseWorld` refuses a malformed file with an `InputError` naming the path of the first bad
 * field (`repos[2].pullRequests[5].mergedAt: not an ISO-8601 time`), then checks the
 * cross-references a schema cannot see: every SHA a branch, pull request, review or check names
 * exists in the repository's `commits`; numbers and ids are unique.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError } from '../lambdas/errors.ts';
import { betterStackSectionSchema, checkServiceSections, linearSectionSchema } from './service-sections.ts';

export const WORLD_FORMAT = 'github-world/1';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const SHA = /^[0-9a-f]{40}$/;
// GitHub logins: alphanumerics and single hyphens, at most 39 characters; apps appear as `name[bot]`.
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(\[bot\])?$/;

export function isIsoTime(value: string): boolean {
  return ISO_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

const isoTime = z.string({ error: 'not an ISO-8601 time' }).refine(isIsoTime, 'not an ISO-8601 time');
const sha = z
  .string({ error: 'not a SHA (40 lowercase hex characters)' })
  .regex(SHA, 'not a SHA (40 lowercase hex characters)');
const login = z.string({ error: 'not a GitHub login' }).regex(LOGIN, 'not a GitHub login');
const nonEmpty = z.string().min(1, 'must not be empty');
const count = z.number().int('not an integer').nonnegative('must not be negative');
const positiveId = z.number().int('not an integer').positive('must be a positive integer');

const userSchema = z.object({
  login,
  name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  /** Extension: `Bot` for apps and machine users; defaults to `User`. */
  type: z.enum(['User', 'Bot', 'Organization']).default('User'),
});

/** A required check: a context any source may report, or one tied to the app of this slug. */
const requiredCheckSchema = z.union([nonEmpty, z.object({ context: nonEmpty, app: nonEmpty })]);

const protectionSchema = z
  .object({
    requiredStatusChecks: z.array(requiredCheckSchema).default([]),
    requiredApprovingReviewCount: count.default(0),
    requireSignedCommits: z.boolean().default(false),
    enforceAdmins: z.boolean().default(false),
    requireCodeOwnerReviews: z.boolean().optional(),
    dismissStaleReviews: z.boolean().optional(),
    strictStatusChecks: z.boolean().optional(),
    requireLinearHistory: z.boolean().optional(),
    allowForcePushes: z.boolean().optional(),
    allowDeletions: z.boolean().optional(),
  })
  .transform(({ requiredStatusChecks, ...rest }) => ({
    ...rest,
    /** Every required context, as GitHub's `contexts` lists them. */
    requiredStatusChecks: requiredStatusChecks.map((check) =>
      typeof check === 'string' ? check : check.context,
    ),
    /** The required checks tied to an app (GitHub's `checks[].app_id`). */
    requiredCheckApps: requiredStatusChecks.flatMap((check) => (typeof check === 'string' ? [] : [check])),
  }));

const rulesetRuleSchema = z.union([
  nonEmpty,
  z.object({ type: nonEmpty, parameters: z.record(z.string(), z.unknown()).optional() }),
]);

const bypassActorSchema = z.object({
  login: login.optional(),
  team: nonEmpty.optional(),
  app: nonEmpty.optional(),
  role: nonEmpty.optional(),
  actorType: z
    .enum(['Integration', 'OrganizationAdmin', 'RepositoryRole', 'Team', 'DeployKey', 'User'])
    .optional(),
  actorId: z.number().int().nullable().optional(),
  mode: z.enum(['always', 'pull_request', 'exempt']).default('always'),
});

const rulesetSchema = z.object({
  id: positiveId,
  name: nonEmpty,
  enforcement: z.enum(['active', 'evaluate', 'disabled']),
  target: z.union([nonEmpty, z.array(nonEmpty)]).default('~DEFAULT_BRANCH'),
  exclude: z.array(nonEmpty).default([]),
  rules: z.array(rulesetRuleSchema).default([]),
  bypassActors: z.array(bypassActorSchema).default([]),
  createdAt: isoTime.optional(),
  updatedAt: isoTime.optional(),
});

const GIT_SIGNATURE_STATES = [
  'BAD_CERT',
  'BAD_EMAIL',
  'EXPIRED_KEY',
  'GPGVERIFY_ERROR',
  'GPGVERIFY_UNAVAILABLE',
  'INVALID',
  'MALFORMED_SIG',
  'NOT_SIGNING_KEY',
  'NO_USER',
  'OCSP_ERROR',
  'OCSP_PENDING',
  'OCSP_REVOKED',
  'UNKNOWN_KEY',
  'UNKNOWN_SIG_TYPE',
  'UNSIGNED',
  'UNVERIFIED_EMAIL',
  'VALID',
] as const;

const signatureSchema = z.object({
  valid: z.boolean(),
  state: z.enum(GIT_SIGNATURE_STATES),
  signer: login.nullable().optional(),
  /** Extension: GpgSignature (default), SshSignature or SmimeSignature. */
  kind: z.enum(['gpg', 'ssh', 'smime']).default('gpg'),
});

const commitSchema = z.object({
  sha,
  parents: z.array(sha).default([]),
  message: z.string(),
  author: login.nullable(),
  committer: login.nullable(),
  authoredAt: isoTime,
  committedAt: isoTime,
  /** Extension: the git author/committer name and e-mail when they differ from the user's. */
  authorName: z.string().optional(),
  authorEmail: z.string().optional(),
  signature: signatureSchema.nullable().default(null),
  /** Who pushed it to its branch; default: the committer. */
  pushedBy: login.nullable().optional(),
});

const changeTypes = ['ADDED', 'CHANGED', 'COPIED', 'DELETED', 'MODIFIED', 'RENAMED'] as const;
const reviewStates = ['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED', 'PENDING'] as const;

const pullRequestSchema = z.object({
  number: positiveId,
  title: z.string(),
  body: z.string().default(''),
  /** The last edit of the body; null: never edited after the PR was opened. */
  bodyEditedAt: isoTime.nullable().default(null),
  author: login.nullable(),
  baseRef: nonEmpty,
  headRef: nonEmpty,
  createdAt: isoTime,
  closedAt: isoTime.nullable().default(null),
  mergedAt: isoTime.nullable().default(null),
  mergedBy: login.nullable().default(null),
  mergeCommit: sha.nullable().default(null),
  commits: z.array(sha).min(1, 'a pull request has at least one commit'),
  files: z
    .array(
      z.object({
        path: nonEmpty,
        additions: count,
        deletions: count,
        changeType: z.enum(changeTypes).default('MODIFIED'),
      }),
    )
    .default([]),
  labels: z
    .array(
      z.object({
        name: nonEmpty,
        addedBy: login.nullable().default(null),
        addedAt: isoTime,
        removedAt: isoTime.nullable().default(null),
        /** Extension: who removed the label; defaults to `addedBy`. */
        removedBy: login.nullable().optional(),
      }),
    )
    .default([]),
  reviews: z
    .array(
      z.object({
        author: login.nullable(),
        state: z.enum(reviewStates),
        submittedAt: isoTime,
        commit: sha,
        body: z.string().default(''),
        dismissedAt: isoTime.nullable().default(null),
        dismissedBy: login.nullable().default(null),
        previousState: z.enum(['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED']).nullable().default(null),
      }),
    )
    .default([]),
  comments: z.array(z.object({ author: login.nullable(), createdAt: isoTime, body: z.string() })).default([]),
});

const CHECK_STATUSES = ['COMPLETED', 'IN_PROGRESS', 'PENDING', 'QUEUED', 'REQUESTED', 'WAITING'] as const;
const CHECK_CONCLUSIONS = [
  'ACTION_REQUIRED',
  'CANCELLED',
  'FAILURE',
  'NEUTRAL',
  'SKIPPED',
  'STALE',
  'STARTUP_FAILURE',
  'SUCCESS',
  'TIMED_OUT',
] as const;
const STATUS_STATES = ['SUCCESS', 'FAILURE', 'ERROR', 'PENDING', 'EXPECTED'] as const;

const checkSchema = z
  .object({
    commit: sha,
    name: nonEmpty,
    kind: z.enum(['check_run', 'status']),
    app: nonEmpty.nullable().default(null),
    status: z.enum(CHECK_STATUSES).default('COMPLETED'),
    conclusion: z.string().nullable().default(null),
    startedAt: isoTime.nullable().default(null),
    completedAt: isoTime.nullable().default(null),
    /** Extension: who posted a commit status; defaults to the app's bot. */
    creator: login.nullable().optional(),
    detailsUrl: z.string().nullable().optional(),
  })
  .superRefine((check, ctx) => {
    const allowed: readonly string[] = check.kind === 'status' ? STATUS_STATES : CHECK_CONCLUSIONS;
    if (check.conclusion !== null && !allowed.includes(check.conclusion)) {
      ctx.addIssue({
        code: 'custom',
        path: ['conclusion'],
        message: `not a ${check.kind} conclusion (one of ${allowed.join(', ')})`,
      });
    }
    if (check.kind === 'status' && check.startedAt === null && check.completedAt === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['startedAt'],
        message: 'a status needs startedAt or completedAt',
      });
    }
  });

const deploymentStatusSchema = z.object({
  state: z.enum(['error', 'failure', 'inactive', 'pending', 'success', 'queued', 'in_progress']),
  createdAt: isoTime,
  creator: login.nullable(),
  logUrl: z.string().nullable().default(null),
  targetUrl: z.string().nullable().optional(),
  environmentUrl: z.string().nullable().optional(),
  description: z.string().default(''),
});

const deploymentSchema = z.object({
  id: positiveId,
  sha,
  ref: nonEmpty,
  environment: nonEmpty,
  productionEnvironment: z.boolean().default(false),
  transientEnvironment: z.boolean().default(false),
  task: z.string().default('deploy'),
  description: z.string().nullable().default(null),
  creator: login.nullable(),
  createdAt: isoTime,
  /** Extension: the GitHub App that made the deployment, e.g. `github-actions`. */
  performedViaApp: nonEmpty.nullable().default(null),
  statuses: z.array(deploymentStatusSchema).default([]),
});

const ruleSuiteSchema = z.object({
  id: positiveId,
  actor: login.nullable(),
  ref: nonEmpty,
  beforeSha: sha,
  afterSha: sha,
  pushedAt: isoTime,
  result: z.enum(['pass', 'fail', 'bypass']),
  evaluationResult: z.enum(['pass', 'fail', 'bypass']).nullable().default(null),
  /** Extension: the rule evaluations behind the suite; defaults to the active rulesets' rules. */
  ruleEvaluations: z
    .array(
      z.object({
        rulesetId: positiveId.nullable(),
        ruleType: nonEmpty,
        result: z.enum(['pass', 'fail']),
        enforcement: z.enum(['active', 'evaluate', 'deleted ruleset']).default('active'),
        details: z.string().nullable().default(null),
      }),
    )
    .optional(),
});

const activitySchema = z.object({
  id: positiveId,
  ref: nonEmpty,
  before: sha,
  after: sha,
  timestamp: isoTime,
  activityType: z.enum([
    'push',
    'force_push',
    'pr_merge',
    'merge_queue_merge',
    'branch_creation',
    'branch_deletion',
  ]),
  actor: login.nullable(),
});

const workflowRunSchema = z.object({
  id: positiveId,
  name: nonEmpty,
  headSha: sha,
  headBranch: z.string().nullable().optional(),
  event: nonEmpty,
  status: z.enum(['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending']),
  conclusion: z
    .enum(['success', 'failure', 'neutral', 'cancelled', 'skipped', 'timed_out', 'action_required', 'stale'])
    .nullable()
    .default(null),
  actor: login.nullable(),
  triggeringActor: login.nullable().optional(),
  runAttempt: positiveId.default(1),
  runNumber: positiveId.optional(),
  path: z.string().optional(),
  createdAt: isoTime,
  updatedAt: isoTime,
  jobs: z
    .array(
      z.object({
        id: positiveId.optional(),
        name: nonEmpty,
        status: z.enum(['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending']),
        conclusion: z
          .enum(['success', 'failure', 'neutral', 'cancelled', 'skipped', 'timed_out', 'action_required'])
          .nullable()
          .default(null),
        startedAt: isoTime,
        completedAt: isoTime.nullable().default(null),
      }),
    )
    .default([]),
});

const repoSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'not a repository name'),
  defaultBranch: nonEmpty,
  private: z.boolean().default(true),
  /** Extension: an archived repository (read-only; its history is still served). */
  archived: z.boolean().default(false),
  /** Extension: a fork of another repository. */
  fork: z.boolean().default(false),
  branches: z.record(z.string(), sha),
  protection: protectionSchema.nullable().default(null),
  rulesets: z.array(rulesetSchema).default([]),
  commits: z.array(commitSchema),
  pullRequests: z.array(pullRequestSchema).default([]),
  checks: z.array(checkSchema).default([]),
  deployments: z.array(deploymentSchema).default([]),
  ruleSuites: z.array(ruleSuiteSchema).default([]),
  activity: z.array(activitySchema).default([]),
  /** Extension: GitHub Actions runs, linked from deployment statuses' `logUrl`. */
  workflowRuns: z.array(workflowRunSchema).default([]),
  /**
   * Extension: the logins with admin rights on the repository; absent = every token is admin.
   * GitHub answers branch protection with 404 to a token without them, as if unprotected.
   */
  admins: z.array(login).optional(),
  /** Files on the default branch head (path -> text), e.g. `CODEOWNERS`, `cdk.json`. */
  files: z.record(nonEmpty, z.string()).default({}),
});

const auditEventSchema = z
  .looseObject({
    action: nonEmpty,
    actor: login.nullable(),
    repo: z.string().nullable().optional(),
    createdAt: isoTime,
  })
  .transform(({ action, actor, repo, createdAt, ...details }) => ({
    action,
    actor,
    repo: repo ?? null,
    createdAt,
    details: details as Record<string, unknown>,
  }));

export const worldSchema = z.object({
  format: z.literal(WORLD_FORMAT, { error: `not "${WORLD_FORMAT}"` }),
  org: login,
  plan: z.enum(['enterprise', 'team', 'free'], { error: 'not one of "enterprise", "team", "free"' }),
  now: isoTime,
  users: z.array(userSchema).default([]),
  /** Apps that post checks or deploy, with their ids (what protection's `app_id` names). */
  apps: z.array(z.object({ slug: nonEmpty, id: positiveId })).default([]),
  teams: z.record(z.string(), z.array(login)).default({}),
  repos: z.array(repoSchema),
  auditLog: z.array(auditEventSchema).default([]),
  /** Served as Linear's GraphQL API at `/linear/graphql`; absent = not configured. */
  linear: linearSectionSchema.optional(),
  /** Served as Better Stack's Uptime API v2 at `/better-stack/api/v2`; absent = not configured. */
  betterStack: betterStackSectionSchema.optional(),
});

/** A parsed, cross-checked world: every default filled in. */
export type World = z.output<typeof worldSchema>;
/** What a world file may contain: fields with defaults are optional here. */
export type WorldInput = z.input<typeof worldSchema>;
export type WorldUser = World['users'][number];
export type WorldRepo = World['repos'][number];
export type WorldCommit = WorldRepo['commits'][number];
export type WorldPullRequest = WorldRepo['pullRequests'][number];
export type WorldReview = WorldPullRequest['reviews'][number];
export type WorldLabel = WorldPullRequest['labels'][number];
export type WorldComment = WorldPullRequest['comments'][number];
export type WorldFile = WorldPullRequest['files'][number];
export type WorldCheck = WorldRepo['checks'][number];
export type WorldDeployment = WorldRepo['deployments'][number];
export type WorldDeploymentStatus = WorldDeployment['statuses'][number];
export type WorldRuleset = WorldRepo['rulesets'][number];
export type WorldRuleSuite = WorldRepo['ruleSuites'][number];
export type WorldActivity = WorldRepo['activity'][number];
export type WorldWorkflowRun = WorldRepo['workflowRuns'][number];
export type WorldAuditEvent = World['auditLog'][number];
export type WorldProtection = NonNullable<WorldRepo['protection']>;

/** `['repos', 2, 'pullRequests', 5, 'mergedAt']` -> `repos[2].pullRequests[5].mergedAt`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? '(world)' : text;
}

/** Parse and cross-check a world; throws `InputError` naming the bad field's path. */
export function parseWorld(json: unknown): World {
  const parsed = worldSchema.safeParse(json);
  if (!parsed.success) {
    const [first, ...rest] = parsed.error.issues;
    if (!first) throw new InputError('(world)', 'not a github-world/1 document');
    const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
    throw new InputError(formatPath(first.path), `${simplify(first.message)}${more}`, {
      cause: parsed.error,
    });
  }
  checkCrossReferences(parsed.data);
  const sectionProblem = checkServiceSections(parsed.data);
  if (sectionProblem) fail(sectionProblem.path, sectionProblem.message);
  return parsed.data;
}

/** Read and parse a world file. */
export async function loadWorld(path: string): Promise<World> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    throw new InputError(path, 'cannot read the world file', { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    throw new InputError(path, `not JSON: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return parseWorld(json);
}

// zod words a missing field as "Invalid input: expected string, received undefined".
function simplify(message: string): string {
  if (/received undefined$/.test(message)) return 'missing';
  return message;
}

function fail(path: readonly PropertyKey[], message: string): never {
  throw new InputError(formatPath(path), message);
}

function checkCrossReferences(world: World): void {
  const userLogins = new Set(world.users.map((user) => user.login.toLowerCase()));
  const seenUsers = new Set<string>();
  world.users.forEach((user, i) => {
    const key = user.login.toLowerCase();
    if (seenUsers.has(key)) fail(['users', i, 'login'], `duplicate login "${user.login}"`);
    seenUsers.add(key);
  });
  // Teams are sets of organisation members, so each member must be a known user.
  for (const [slug, members] of Object.entries(world.teams)) {
    members.forEach((member, i) => {
      if (!userLogins.has(member.toLowerCase())) {
        fail(['teams', slug, i], `unknown login "${member}" (not in users)`);
      }
    });
  }
  const repoNames = new Set<string>();
  world.repos.forEach((repo, r) => {
    const at = (...rest: PropertyKey[]): PropertyKey[] => ['repos', r, ...rest];
    if (repoNames.has(repo.name.toLowerCase())) fail(at('name'), `duplicate repository "${repo.name}"`);
    repoNames.add(repo.name.toLowerCase());
    const shas = new Set<string>();
    repo.commits.forEach((commit, c) => {
      if (shas.has(commit.sha)) fail(at('commits', c, 'sha'), `duplicate commit ${commit.sha}`);
      shas.add(commit.sha);
    });
    const known = (sha: string, path: PropertyKey[]): void => {
      if (!shas.has(sha)) fail(path, `commit ${sha} is not in repos[${r}].commits`);
    };
    repo.commits.forEach((commit, c) => {
      commit.parents.forEach((parent, p) => {
        known(parent, at('commits', c, 'parents', p));
      });
    });
    if (!(repo.defaultBranch in repo.branches)) {
      fail(at('defaultBranch'), `branch "${repo.defaultBranch}" is not in branches`);
    }
    for (const [branch, head] of Object.entries(repo.branches)) known(head, at('branches', branch));

    const numbers = new Set<number>();
    repo.pullRequests.forEach((pr, p) => {
      const prAt = (...rest: PropertyKey[]): PropertyKey[] => at('pullRequests', p, ...rest);
      if (numbers.has(pr.number)) fail(prAt('number'), `duplicate pull request number ${pr.number}`);
      numbers.add(pr.number);
      pr.commits.forEach((sha, c) => {
        known(sha, prAt('commits', c));
      });
      if (pr.mergeCommit !== null) known(pr.mergeCommit, prAt('mergeCommit'));
      if (pr.mergedAt !== null && pr.mergeCommit === null) {
        fail(prAt('mergeCommit'), 'a merged pull request needs its merge commit');
      }
      if (pr.mergedAt !== null && Date.parse(pr.mergedAt) < Date.parse(pr.createdAt)) {
        fail(prAt('mergedAt'), 'before createdAt');
      }
      pr.reviews.forEach((review, v) => {
        known(review.commit, prAt('reviews', v, 'commit'));
        if (review.state === 'DISMISSED') {
          if (review.previousState === null)
            fail(prAt('reviews', v, 'previousState'), 'a dismissed review needs it');
          if (review.dismissedAt === null)
            fail(prAt('reviews', v, 'dismissedAt'), 'a dismissed review needs it');
        }
      });
    });
    repo.checks.forEach((check, c) => {
      known(check.commit, at('checks', c, 'commit'));
    });
    const unique = <T>(
      items: readonly T[],
      idOf: (item: T) => number,
      field: string,
      idName = 'id',
    ): void => {
      const ids = new Set<number>();
      items.forEach((item, i) => {
        const id = idOf(item);
        if (ids.has(id)) fail(at(field, i, idName), `duplicate ${idName} ${id}`);
        ids.add(id);
      });
    };
    unique(repo.rulesets, (ruleset) => ruleset.id, 'rulesets');
    unique(repo.deployments, (deployment) => deployment.id, 'deployments');
    unique(repo.ruleSuites, (suite) => suite.id, 'ruleSuites');
    unique(repo.activity, (event) => event.id, 'activity');
    unique(repo.workflowRuns, (run) => run.id, 'workflowRuns');
  });
}

/** GitHub Actions' app id on github.com. */
export const GITHUB_ACTIONS_APP_ID = 15368;

/** The id of an app by slug: the world's `apps`, GitHub Actions' real id, else a stable number. */
export function appIdOf(
  world: Pick<World, 'apps'>,
  slug: string,
  fallback: (slug: string) => number,
): number {
  const declared = world.apps.find((app) => app.slug === slug);
  if (declared) return declared.id;
  return slug === 'github-actions' ? GITHUB_ACTIONS_APP_ID : fallback(slug);
}
