import { type CollectDeps, type CollectionSummary, collect } from '../collect/collect.ts';
import { COLLECT_KINDS, type CollectKind } from '../collect/context.ts';
import type { MissingSource } from '../core/pack-model.ts';
import type { Profile } from '../core/profile.ts';
import type { SettleTime } from '../core/settle.ts';
import type { Window } from '../core/window.ts';
import { describeBudgetPlan, planCollectionBudget } from './budget-plan.ts';
import { CollectionFailedError, missingSourcesOf } from './collection-failure.ts';
import { type CollectionPlan, collectionPlanOf } from './collection-plan.ts';

/**
 * Collect a window: every repository of the organisation (or the named ones), every asked-for
 * kind, with the plan the profile implies (its teams and emergency label). Stores evidence and
 * the run's `collection-run` record; reports, never hides, what could not be read.
 */
export interface CollectWindowRequest {
  readonly window: Window;
  /** The profile whose rules the evidence must serve; the collection plan is derived from it. */
  readonly profile: Profile;
  /** `name` or `org/name`; default every repository (see `REPOSITORY_RULE`). */
  readonly repos?: readonly string[];
  /** Default every kind. */
  readonly kinds?: readonly CollectKind[];
  /** Deployments are read past the window up to its settle time; default the 3rd, 06:00 UTC. */
  readonly settle?: SettleTime;
  /**
   * Told, before anything is collected, when GitHub's remaining budget will not cover what the
   * index says the collection costs (the plan in words): the run then waits for the reset where
   * the budget runs out. The plan only informs; it never stops a run.
   */
  readonly onBudgetShort?: (text: string) => void;
}

export interface CollectionOutcome {
  readonly summary: CollectionSummary;
  readonly plan: CollectionPlan;
  /** Every source that could not be read; empty when the collection is complete. */
  readonly missing: readonly MissingSource[];
}

export async function collectWindow(
  deps: CollectDeps,
  request: CollectWindowRequest,
): Promise<CollectionOutcome> {
  const plan = collectionPlanOf(request.profile);
  if (request.onBudgetShort) await warnWhenBudgetShort(deps, request, request.onBudgetShort);
  const summary = await collect(deps, {
    window: request.window,
    teams: plan.teams,
    emergencyLabel: plan.emergencyLabel,
    ...(request.repos ? { repos: request.repos } : {}),
    ...(request.kinds ? { kinds: request.kinds } : {}),
    ...(request.settle ? { settle: request.settle } : {}),
  });
  return { summary, plan, missing: missingSourcesOf(summary) };
}

async function warnWhenBudgetShort(
  deps: CollectDeps,
  request: CollectWindowRequest,
  tell: (text: string) => void,
): Promise<void> {
  let budget: Awaited<ReturnType<typeof planCollectionBudget>>;
  try {
    budget = await planCollectionBudget(deps, {
      repos: request.repos?.map((repo) => (repo.includes('/') ? repo : `${deps.org}/${repo}`)) ?? 'all',
      kinds: request.kinds ?? COLLECT_KINDS,
      now: deps.clock(),
    });
  } catch {
    // A server without rate limiting (GitHub Enterprise Server may have it off) has no budget to plan.
    return;
  }
  if (budget.short.length > 0) tell(describeBudgetPlan(budget));
}

/** The failure policy applied to a collection on its own: any missing source fails it. */
export function requireCompleteCollection(outcome: CollectionOutcome): void {
  if (outcome.missing.length > 0) throw new CollectionFailedError(outcome.summary);
}

export type { CollectionSummary } from '../collect/collect.ts';
/** The collection vocabulary the doors speak (kinds, progress events, the run's summary). */
export { COLLECT_KINDS, type CollectKind, type CollectProgress } from '../collect/context.ts';
