import { type CollectDeps, type CollectionDeferral, ORGANISATION_KINDS } from '../collect/collect.ts';
import type { CollectKind } from '../collect/context.ts';
import type { Profile } from '../core/profile.ts';
import type { SettleTime } from '../core/settle.ts';
import type { Window } from '../core/window.ts';
import { type BudgetPlan, describeBudgetPlan, planCollectionBudget } from './budget-plan.ts';
import { type CollectionOutcome, collectWindow } from './collect-window.ts';
import { CollectionFailedError } from './collection-failure.ts';

/**
 * A collection as a unit of work that never sleeps for GitHub's rate limit (a Lambda function
 * run by a state machine: one repository of a fan-out, or a single-function job's repositories):
 * plan the budget first; when what remains will not cover the work but a fresh window would, do
 * not start and say when to resume; when the budget runs out part-way, keep what was read and
 * say what is left and when to resume. Step Functions waits until then and calls again with
 * `resume` (the kinds left, and for a job of several repositories the repositories left; the
 * pull-request cursor in the index carries the position within a kind).
 */

/**
 * Where waiting work goes on: the kinds still to read, and how many waits came before; for a job
 * of several repositories also the repositories still to read (absent when they are all of the
 * request's, or when only organisation-wide kinds are left).
 */
export interface ResumePoint {
  readonly kinds: readonly CollectKind[];
  readonly repos?: readonly string[];
  readonly attempt: number;
}

/** Most budget waits one item may take: a day of hourly resets. */
export const MAX_BUDGET_WAITS = 24;

export interface CollectWithinBudgetRequest {
  readonly window: Window;
  readonly profile: Profile;
  /** `org/name` or `name`; default every repository of the organisation. */
  readonly repos?: readonly string[];
  /** Every kind this job collects. */
  readonly kinds: readonly CollectKind[];
  /** Set when resumed after a wait. */
  readonly resume?: ResumePoint;
  /** Deployments are read past the window up to its settle time (the pack job). */
  readonly settle?: SettleTime;
  /**
   * Sources that failed for another reason than the budget, or a deferral waiting cannot cure
   * (the bounds below), end the work as `collected` with them missing instead of failing it: the
   * pack job asked to render an INCOMPLETE pack. The budget is still waited for while waiting helps.
   * @default false
   */
  readonly allowIncomplete?: boolean;
  readonly onPlan?: (plan: BudgetPlan, text: string) => void;
}

export type WithinBudget =
  | { readonly state: 'collected'; readonly collection: CollectionOutcome; readonly plan: BudgetPlan }
  | {
      readonly state: 'waiting';
      /** When the budget resets (ISO-8601): the earliest moment to resume. */
      readonly resumeAt: string;
      readonly resume: ResumePoint;
      /** Why, in words: which budget, how much is left, what the estimate was. */
      readonly reason: string;
      /** What was read before the budget ran out (absent when the work did not start). */
      readonly collection?: CollectionOutcome;
      readonly plan: BudgetPlan;
    };

export async function collectWithinBudget(
  deps: CollectDeps,
  request: CollectWithinBudgetRequest,
): Promise<WithinBudget> {
  const kinds = request.resume
    ? request.kinds.filter((kind) => request.resume?.kinds.includes(kind))
    : [...request.kinds];
  const repos = request.resume?.repos ?? request.repos;
  const attempt = request.resume?.attempt ?? 0;
  const plan = await planCollectionBudget(deps, {
    repos: repos?.map((repo) => (repo.includes('/') ? repo : `${deps.org}/${repo}`)) ?? 'all',
    kinds,
    now: deps.clock(),
  });
  request.onPlan?.(plan, describeBudgetPlan(plan));

  // Not started: the remaining budget will not cover the work, a fresh window will. (Past the
  // last wait, work allowed to be incomplete reads what it can and records the rest as deferred.)
  const lastWaitTaken = attempt + 1 > MAX_BUDGET_WAITS && request.allowIncomplete === true;
  if (plan.short.length > 0 && plan.fitsInOneWindow && plan.resumeAt !== undefined && !lastWaitTaken) {
    return {
      state: 'waiting',
      resumeAt: plan.resumeAt,
      resume: nextResume(
        { kinds, ...(request.resume?.repos ? { repos: request.resume.repos } : {}) },
        attempt,
        request,
      ),
      reason: `not started: ${describeBudgetPlan(plan)}`,
      plan,
    };
  }

  const collection = await collectWindow(deps, {
    window: request.window,
    profile: request.profile,
    kinds,
    ...(repos ? { repos } : {}),
    ...(request.settle ? { settle: request.settle } : {}),
  });
  const deferred = collection.summary.deferred;
  const giveUp = (): WithinBudget => {
    if (!request.allowIncomplete) throw new CollectionFailedError(collection.summary);
    return { state: 'collected', collection, plan };
  };
  if (deferred === undefined) {
    if (collection.missing.length > 0) return giveUp();
    return { state: 'collected', collection, plan };
  }
  // A source that failed for another reason fails the work now, as without a budget wait.
  const deferredSources = new Set(deferred.sources.map(sourceKey));
  const otherFailures = collection.summary.errors.filter(
    (error) =>
      error.source === 'repository' ||
      !deferredSources.has(sourceKey({ repo: error.repo, kind: error.source })),
  );
  if (otherFailures.length > 0) return giveUp();
  // Started on a full budget and still nothing finished, nor went further within a kind (its
  // cursor advanced): waiting for the next reset cannot help.
  const startedFull = [plan.budgets.core, plan.budgets.graphql].some(
    (budget) => budget.resource === deferred.budget.resource && budget.remaining >= budget.limit,
  );
  const advanced = (deferred.advanced ?? []).length > 0;
  if (
    (startedFull && !advanced && finishedNothing(collection.summary.repos, kinds, deferredSources)) ||
    attempt + 1 > MAX_BUDGET_WAITS
  ) {
    return giveUp();
  }
  return {
    state: 'waiting',
    resumeAt: deferred.resumeAt,
    resume: nextResume(whatIsLeft(deferred, kinds, collection.summary.repos), attempt, request),
    reason: `budget ran out part-way: ${collection.summary.errors[0]?.message ?? ''}`,
    collection,
    plan,
  };
}

type Source = CollectionDeferral['sources'][number];

function sourceKey(source: { readonly repo: string | null; readonly kind: string }): string {
  return `${source.repo ?? ''}\u0000${source.kind}`;
}

/** No source the collection was asked for was read: every repository kind and `teams` deferred. */
function finishedNothing(
  repos: readonly string[],
  kinds: readonly CollectKind[],
  deferred: ReadonlySet<string>,
): boolean {
  const sources: Source[] = [
    ...repos.flatMap((repo) =>
      kinds.filter((kind) => !ORGANISATION_KINDS.has(kind)).map((kind) => ({ repo, kind })),
    ),
    // Of the organisation-wide kinds only the teams are GitHub's (tickets and incidents never wait).
    ...(kinds.includes('teams') ? [{ repo: null, kind: 'teams' as const }] : []),
  ];
  return sources.every((source) => deferred.has(sourceKey(source)));
}

/**
 * The kinds left and the repositories left. A resumed call reads each repository left with every
 * kind left: the one repository the budget ran out in may read a kind again that it finished,
 * which the conditional requests and the pull-request cursor make cheap, and one call stays one
 * collection run.
 */
function whatIsLeft(
  deferred: CollectionDeferral,
  asked: readonly CollectKind[],
  requested: readonly string[],
): Omit<ResumePoint, 'attempt'> {
  const kinds = asked.filter((kind) => deferred.sources.some((source) => source.kind === kind));
  const repos = [
    ...new Set(deferred.sources.flatMap((source) => (source.repo === null ? [] : [source.repo]))),
  ];
  const narrower =
    repos.length > 0 && repos.length < new Set(requested.map((repo) => repo.toLowerCase())).size;
  return narrower ? { kinds, repos: repos.sort() } : { kinds };
}

function nextResume(
  left: Omit<ResumePoint, 'attempt'>,
  attempt: number,
  request: CollectWithinBudgetRequest,
): ResumePoint {
  if (attempt + 1 > MAX_BUDGET_WAITS) {
    throw new CollectionFailedError({
      window: request.window,
      missing: (left.repos ?? request.repos ?? [null]).flatMap((repo) =>
        left.kinds.map((kind) => ({
          repo,
          source: kind,
          reason: `GitHub's rate-limit budget did not cover it after ${MAX_BUDGET_WAITS} waits`,
        })),
      ),
    });
  }
  return { ...left, kinds: [...left.kinds], attempt: attempt + 1 };
}
