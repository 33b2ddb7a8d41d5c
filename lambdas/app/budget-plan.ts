import { describeBucket, type GitHubClient, type RateBudget } from '../adapters/github/client.ts';
import type { CollectKind } from '../collect/context.ts';
import type { EvidenceIndex, IndexEntry } from '../evidence/ports.ts';

/**
 * The budget planner: before a collection, what it is expected to cost (from the index: what
 * each kind of each repository cost in the latest recorded run), against what GitHub's rate
 * limits leave now (read from GitHub, never assumed: a GitHub App installation's limit is higher
 * than a user's). A run the remaining budget will not cover is split at the reset: on AWS the
 * repository's fan-out item waits in Step Functions; on one machine the command line says why
 * and counts down. The estimate never decides what is collected, only when.
 */

/** Requests (REST, the `core` bucket) and points (the `graphql` bucket) a collection is expected to cost. */
export interface CostEstimate {
  /** REST requests: GitHub's `core` bucket. */
  readonly restRequests: number;
  readonly graphqlPoints: number;
  /** Repository kinds (`org/name pull-requests`, `organisation teams`) no recorded run tells the cost of. */
  readonly unknown: readonly string[];
  /** The recorded runs the figures come from. */
  readonly runsRead: number;
}

export interface BudgetShortfall {
  readonly budget: RateBudget;
  /** What the collection is expected to spend from this bucket. */
  readonly needed: number;
}

export interface BudgetPlan {
  readonly estimate: CostEstimate;
  readonly budgets: { readonly core: RateBudget; readonly graphql: RateBudget };
  /** Buckets whose remaining budget will not cover the estimate; empty when the run fits. */
  readonly short: readonly BudgetShortfall[];
  /** When every short bucket has reset (the earliest the whole run can go on); absent when none is short. */
  readonly resumeAt?: string;
  /** False when even a full hour of some bucket is less than the estimate: the run spans several resets. */
  readonly fitsInOneWindow: boolean;
}

/** Kinds read once per organisation rather than per repository. */
const ORGANISATION_KINDS: ReadonlySet<CollectKind> = new Set(['teams']);

/**
 * The expected cost of collecting `kinds` of `repos` (full names; `all` = every repository a
 * recorded run read), from the `collection-run` rows of the index of this month and the one
 * before: per repository and kind, the latest run that read it, its cost of that kind shared
 * equally over the repositories it read.
 */
export async function estimateCollectionCost(
  index: EvidenceIndex,
  request: {
    readonly org: string;
    readonly repos: readonly string[] | 'all';
    readonly kinds: readonly CollectKind[];
    readonly now: Date;
  },
): Promise<CostEstimate> {
  const periods = [monthOf(request.now, -1), monthOf(request.now, 0)];
  const rows = (await Promise.all(periods.map((period) => index.queryPeriod('collection-run', period))))
    .flat()
    // A run cut short by the budget or a failure spent less than the kind costs: not a measure.
    .filter((row) => row.repo === request.org && row.attributes?.status === 'succeeded')
    .sort((a, b) => finishedAtOf(b).localeCompare(finishedAtOf(a)));
  const runs = rows.map(runOf);
  const repos =
    request.repos === 'all'
      ? [...new Set(runs.flatMap((run) => run.repos))].sort()
      : request.repos.map((repo) => repo.toLowerCase());
  let restRequests = 0;
  let graphqlPoints = 0;
  const unknown: string[] = [];
  for (const kind of request.kinds) {
    const scopes: (string | null)[] = ORGANISATION_KINDS.has(kind) ? [null] : repos;
    for (const repo of scopes) {
      const latest = runs.find((run) => run.costs.has(kind) && (repo === null || run.repos.includes(repo)));
      const cost = latest?.costs.get(kind);
      if (!latest || !cost) {
        unknown.push(`${repo ?? 'organisation'} ${kind}`);
        continue;
      }
      const share = repo === null ? 1 : Math.max(1, latest.repos.length);
      restRequests += cost.restRequests / share;
      graphqlPoints += cost.graphqlPoints / share;
    }
  }
  return {
    restRequests: Math.ceil(restRequests),
    graphqlPoints: Math.ceil(graphqlPoints),
    unknown,
    runsRead: rows.length,
  };
}

/** The estimate against the budgets GitHub reports now. */
export function planBudget(
  estimate: CostEstimate,
  budgets: { readonly core: RateBudget; readonly graphql: RateBudget },
): BudgetPlan {
  const needs: BudgetShortfall[] = [
    { budget: budgets.core, needed: estimate.restRequests },
    { budget: budgets.graphql, needed: estimate.graphqlPoints },
  ];
  const short = needs.filter((need) => need.needed > need.budget.remaining);
  const resumeAt = short
    .map((need) => need.budget.resetAt)
    .sort()
    .at(-1);
  return {
    estimate,
    budgets,
    short,
    ...(resumeAt !== undefined ? { resumeAt } : {}),
    fitsInOneWindow: needs.every((need) => need.needed <= need.budget.limit),
  };
}

/** Read GitHub's budgets (a free request) and plan the collection against them. */
export async function planCollectionBudget(
  deps: { readonly index: EvidenceIndex; readonly github: GitHubClient; readonly org: string },
  request: {
    readonly repos: readonly string[] | 'all';
    readonly kinds: readonly CollectKind[];
    readonly now: Date;
  },
): Promise<BudgetPlan> {
  const [estimate, budgets] = await Promise.all([
    estimateCollectionCost(deps.index, { org: deps.org, ...request }),
    deps.github.readBudget(),
  ]);
  return planBudget(estimate, budgets);
}

/** The plan in words, for a person (the command line) or a log line. */
export function describeBudgetPlan(plan: BudgetPlan): string {
  const { estimate } = plan;
  const need = `about ${count(estimate.restRequests)} REST requests and ${count(estimate.graphqlPoints)} GraphQL points`;
  const basis =
    estimate.unknown.length === 0
      ? 'from the recorded runs'
      : estimate.runsRead === 0
        ? 'no recorded run to estimate from yet'
        : `from the recorded runs; ${estimate.unknown.length} repository kind(s) never recorded are not counted`;
  const remaining = `${count(plan.budgets.core.remaining)} of ${count(plan.budgets.core.limit)} REST requests and ${count(plan.budgets.graphql.remaining)} of ${count(plan.budgets.graphql.limit)} GraphQL points remain`;
  if (plan.short.length === 0) return `budget: this collection needs ${need} (${basis}); ${remaining}`;
  const shortText = plan.short
    .map(
      (s) =>
        `${describeBucket(s.budget)} has ${count(s.budget.remaining)} left, resets at ${s.budget.resetAt}`,
    )
    .join('; ');
  const consequence = plan.fitsInOneWindow
    ? 'the collection waits for the reset when the budget runs out, then goes on'
    : 'the collection spans several resets, waiting for each';
  return `budget: this collection needs ${need} (${basis}), more than remains (${shortText}): ${consequence}`;
}

interface RecordedRun {
  readonly repos: readonly string[];
  readonly costs: ReadonlyMap<string, { restRequests: number; graphqlPoints: number }>;
}

function runOf(row: IndexEntry): RecordedRun {
  const attributes = row.attributes ?? {};
  const repos = String(attributes.repos ?? '')
    .split(',')
    .filter(Boolean)
    .map((repo) => repo.toLowerCase());
  const costs = new Map<string, { restRequests: number; graphqlPoints: number }>();
  for (const [name, value] of Object.entries(attributes)) {
    const kind = /^rest:(.+)$/.exec(name)?.[1];
    if (kind === undefined || typeof value !== 'number') continue;
    const points = attributes[`points:${kind}`];
    costs.set(kind, { restRequests: value, graphqlPoints: typeof points === 'number' ? points : 0 });
  }
  return { repos, costs };
}

function finishedAtOf(row: IndexEntry): string {
  const finishedAt = row.attributes?.finishedAt;
  return typeof finishedAt === 'string' ? finishedAt : row.occurredAt;
}

function monthOf(now: Date, offset: number): string {
  const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return date.toISOString().slice(0, 7);
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}
