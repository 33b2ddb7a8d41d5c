import type { CollectDeps } from '../collect/collect.ts';
import { COLLECT_KINDS, type CollectKind } from '../collect/context.ts';
import type { SettleTime } from '../core/settle.ts';
import type { LoadedProfile } from '../core/shipped-profiles.ts';
import type { Window } from '../core/window.ts';
import { type BuildPackDeps, type BuiltPack, buildWindowPack } from './build-pack.ts';
import { type CollectionOutcome, collectWindow } from './collect-window.ts';
import { collectWithinBudget, type ResumePoint, type WithinBudget } from './collect-within-budget.ts';
import { CollectionFailedError } from './collection-failure.ts';

/**
 * The main job, on both doors (`cm01 run`, the monthly and on-demand pack Lambda): collect the
 * window with the profile's plan, then judge, render and store its pack.
 *
 * One failure policy: when any source could not be read, `CollectionFailedError` names each
 * one and no pack is stored. With `allowIncomplete` the pack is rendered anyway, marked
 * INCOMPLETE (cover, manifest, name, index entry) with every missing source listed.
 */
export interface RunPeriodRequest {
  readonly window: Window;
  readonly profile: LoadedProfile;
  readonly repos?: readonly string[];
  readonly kinds?: readonly CollectKind[];
  /** Render a pack marked INCOMPLETE instead of failing; default false. */
  readonly allowIncomplete?: boolean;
  /** Why the period's pack is issued again (late evidence, a fixed rule); recorded in its seal. */
  readonly reissueReason?: string;
  /** Deployments up to this time after the window ship its changes (the stack's `packSettleTime`); default the 3rd, 06:00 UTC. */
  readonly settle?: SettleTime;
  /** Told before collecting when GitHub's remaining budget will not cover the expected cost. */
  readonly onBudgetShort?: (text: string) => void;
  /** Before the pack is built: the CLI switches its progress display from collecting to packing. */
  readonly onCollected?: (collection: CollectionOutcome) => void;
  readonly onPackProgress?: (text: string) => void;
}

export interface PeriodRun {
  readonly collection: CollectionOutcome;
  readonly pack: BuiltPack;
  readonly incomplete: boolean;
}

export async function runPeriod(
  deps: CollectDeps & BuildPackDeps,
  request: RunPeriodRequest,
): Promise<PeriodRun> {
  const collection = await collectWindow(deps, {
    window: request.window,
    profile: request.profile.profile,
    ...(request.repos ? { repos: request.repos } : {}),
    ...(request.kinds ? { kinds: request.kinds } : {}),
    ...(request.settle ? { settle: request.settle } : {}),
    ...(request.onBudgetShort ? { onBudgetShort: request.onBudgetShort } : {}),
  });
  return packCollectedPeriod(deps, request, collection);
}

/**
 * The same job as a unit of work that never sleeps for GitHub's rate limit (the pack Lambda, run
 * by a state machine): the re-collection runs within the budget (`collectWithinBudget`); when
 * the budget will not cover it, or runs out part-way, no pack is built and the answer says when
 * to resume and what is left. The pack is built once the re-collection has finished, so that a
 * month is never packed INCOMPLETE for evidence an hour's wait would have read. With
 * `allowIncomplete`, a collection that cannot finish (sources failing for another reason, or
 * waiting that cannot help) goes on to a pack marked INCOMPLETE, each source missing, as `runPeriod`.
 */
export async function runPeriodWithinBudget(
  deps: CollectDeps & BuildPackDeps,
  request: RunPeriodRequest & { readonly resume?: ResumePoint },
): Promise<
  | (PeriodRun & { readonly state: 'packed' })
  | (Extract<WithinBudget, { state: 'waiting' }> & { readonly state: 'waiting' })
> {
  const work = await collectWithinBudget(deps, {
    window: request.window,
    profile: request.profile.profile,
    kinds: request.kinds ?? COLLECT_KINDS,
    allowIncomplete: Boolean(request.allowIncomplete),
    ...(request.repos ? { repos: request.repos } : {}),
    ...(request.resume ? { resume: request.resume } : {}),
    ...(request.settle ? { settle: request.settle } : {}),
  });
  if (work.state === 'waiting') return work;
  return { state: 'packed', ...(await packCollectedPeriod(deps, request, work.collection)) };
}

async function packCollectedPeriod(
  deps: CollectDeps & BuildPackDeps,
  request: RunPeriodRequest,
  collection: CollectionOutcome,
): Promise<PeriodRun> {
  request.onCollected?.(collection);
  // Fail before reading anything more when this collection itself failed.
  if (collection.missing.length > 0 && !request.allowIncomplete)
    throw new CollectionFailedError(collection.summary);
  const pack = await buildWindowPack(deps, {
    window: request.window,
    profile: request.profile,
    org: deps.org,
    allowIncomplete: Boolean(request.allowIncomplete),
    knownMissing: collection.missing,
    ...(request.reissueReason ? { reissueReason: request.reissueReason } : {}),
    ...(request.settle ? { settle: request.settle } : {}),
    ...(request.onPackProgress ? { onProgress: request.onPackProgress } : {}),
  });
  return { collection, pack, incomplete: pack.model.incomplete !== undefined };
}
