import type { CollectDeps } from '../collect/collect.ts';
import type { CollectKind } from '../collect/context.ts';
import type { Profile } from '../core/profile.ts';
import type { Window } from '../core/window.ts';
import { type BudgetPlan, describeBudgetPlan, planCollectionBudget } from './budget-plan.ts';
import { type CollectionOutcome, collectWindow, requireCompleteCollection } from './collect-window.ts';
import { CollectionFailedError } from './collection-failure.ts';

/**
 * One repository's collection as a unit of work that never sleeps for GitHub's rate limit (a
 * Step Functions fan-out item in a Lambda function): plan the budget first; when what remains
 * will not cover the repository but a fresh window would, do not start and say when to resume;
 * when the budget runs out part-way, keep what was read and say which kinds are left and when
 * to resume. Step Functions waits until then and calls again with `resume` (the kinds left; the
 * pull-request cursor in the index carries the position within a kind).
 */

/** Where a waiting item goes on: the kinds still to read, and how many waits came before. */
export interface ResumePoint {
  readonly kinds: readonly CollectKind[];
  readonly attempt: number;
}

/** Most budget waits one item may take: a day of hourly resets. */
export const MAX_BUDGET_WAITS = 24;

export interface CollectWithinBudgetRequest {
  readonly window: Window;
  readonly profile: Profile;
  /** `org/name`. */
  readonly repo: string;
  /** Every kind this job collects. */
  readonly kinds: readonly CollectKind[];
  /** Set when resumed after a wait. */
  readonly resume?: ResumePoint;
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
      /** What was read before the budget ran out (absent when the item did not start). */
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
  const attempt = request.resume?.attempt ?? 0;
  const plan = await planCollectionBudget(deps, { repos: [request.repo], kinds, now: deps.clock() });
  request.onPlan?.(plan, describeBudgetPlan(plan));

  // Not started: the remaining budget will not cover the repository, a fresh window will.
  if (plan.short.length > 0 && plan.fitsInOneWindow && plan.resumeAt !== undefined) {
    return {
      state: 'waiting',
      resumeAt: plan.resumeAt,
      resume: nextResume(kinds, attempt, request),
      reason: `not started: ${describeBudgetPlan(plan)}`,
      plan,
    };
  }

  const collection = await collectWindow(deps, {
    window: request.window,
    profile: request.profile,
    repos: [request.repo],
    kinds,
  });
  const deferred = collection.summary.deferred;
  if (deferred === undefined) {
    requireCompleteCollection(collection);
    return { state: 'collected', collection, plan };
  }
  // A source that failed for another reason fails the item now, as without a budget wait.
  const deferredKinds = new Set(deferred.sources.map((source) => source.kind));
  const otherFailures = collection.summary.errors.filter(
    (error) => error.source === 'repository' || !deferredKinds.has(error.source),
  );
  if (otherFailures.length > 0) throw new CollectionFailedError(collection.summary);
  // Started on a full budget and still nothing finished, nor went further within a kind (its
  // cursor advanced): waiting for the next reset cannot help.
  const startedFull = [plan.budgets.core, plan.budgets.graphql].some(
    (budget) => budget.resource === deferred.budget.resource && budget.remaining >= budget.limit,
  );
  const advancedKinds = new Set(deferred.advanced?.map((source) => source.kind));
  const finishedNothing = kinds.every((kind) => deferredKinds.has(kind) && !advancedKinds.has(kind));
  if ((startedFull && finishedNothing) || attempt + 1 > MAX_BUDGET_WAITS) {
    throw new CollectionFailedError(collection.summary);
  }
  return {
    state: 'waiting',
    resumeAt: deferred.resumeAt,
    resume: nextResume(
      kinds.filter((kind) => deferredKinds.has(kind)),
      attempt,
      request,
    ),
    reason: `budget ran out part-way: ${collection.summary.errors[0]?.message ?? ''}`,
    collection,
    plan,
  };
}

function nextResume(
  kinds: readonly CollectKind[],
  attempt: number,
  request: CollectWithinBudgetRequest,
): ResumePoint {
  if (attempt + 1 > MAX_BUDGET_WAITS) {
    throw new CollectionFailedError({
      window: request.window,
      missing: kinds.map((kind) => ({
        repo: request.repo,
        source: kind,
        reason: `GitHub's rate-limit budget did not cover it after ${MAX_BUDGET_WAITS} waits`,
      })),
    });
  }
  return { kinds: [...kinds], attempt: attempt + 1 };
}
