import { createGitHubClient, type GitHubClient } from '../adapters/github/client.ts';
import { openPackSigner } from '../adapters/open-signer.ts';
import { openStore } from '../adapters/open-store.ts';
import { renderPack } from '../adapters/pdf/render-pack.ts';
import type { CollectionOutcome } from '../app/collect-window.ts';
import { collectWithinBudget, type ResumePoint, type WithinBudget } from '../app/collect-within-budget.ts';
import { listRepositories } from '../app/list-repositories.ts';
import { publishRoom } from '../app/room-site.ts';
import { runPeriodWithinBudget } from '../app/run-period.ts';
import type { CollectionSummary } from '../collect/collect.ts';
import type { CollectKind } from '../collect/context.ts';
import { resolveProfile } from '../core/profile-files.ts';
import type { SettleTime } from '../core/settle.ts';
import { DEFAULT_PROFILE_ID } from '../core/shipped-profiles.ts';
import { describeError } from '../errors.ts';
import type { EvidenceIndex, EvidenceStore, PackSigner } from '../evidence/ports.ts';
import type { EnrichmentSources } from '../evidence/source-ports.ts';
import { FUNCTION_ENVIRONMENT, functionConfig } from './config.ts';
import { loadEnrichmentSources } from './enrichment-sources.ts';
import { parseCollectorEvent, parseJobEvent } from './event.ts';
import { loadGitHubCredential } from './github-secret.ts';

/**
 * What every job handler shares: adapters built once per cold start (the GitHub credential is
 * read from Secrets Manager then, and only kept in memory), the event parsed and validated
 * before anything runs, typed errors out. Each handler only translates an event into a call of
 * a use-case of `lambdas/app/` and its result into a return value and a log line.
 */
export interface JobDeps {
  readonly org: string;
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
  readonly github: GitHubClient;
  /** The clock a run's window and snapshots are taken by. */
  readonly clock: () => Date;
  /**
   * The pack job reads and judges a month's deployments up to this time after it.
   * @default - the function's `CM01_PACK_SETTLE_TIME` (the stack's `packSettleTime`), else the 3rd, 06:00 UTC
   */
  readonly settle?: SettleTime;
  /**
   * Signs the pack's seal. Production: the KMS key named by `CM01_SIGNING_KEY` (pack job only).
   * @default - from the environment, when a pack is built
   */
  readonly signer?: PackSigner;
  /**
   * Linear and Better Stack, read from the secrets the stack names (cm01:linearSecretArn,
   * cm01:betterStackSecretArn). @default - not configured
   */
  readonly sources?: EnrichmentSources;
}

/** What the repository lister needs: GitHub only, no store (its role has no store access). */
export type GitHubDeps = Pick<JobDeps, 'org' | 'github' | 'clock'>;

/** The GitHub client, with the credential read from Secrets Manager. */
async function awsGitHubDeps(): Promise<GitHubDeps> {
  const config = functionConfig();
  const auth = await loadGitHubCredential(config.githubSecretArn);
  // A function never sleeps for a rate limit's reset: its fan-out item waits in Step Functions.
  const github = createGitHubClient({ baseUrl: config.githubApiUrl, auth, waitForRateLimitReset: false });
  return { org: config.org, github, clock: () => new Date() };
}

/** Production adapters, from the function's environment and Secrets Manager. */
async function awsDeps(): Promise<JobDeps> {
  const config = functionConfig();
  const [{ store, index }, github, sources] = await Promise.all([
    openStore(config.storeUrl, { requireImmutable: true }),
    awsGitHubDeps(),
    loadEnrichmentSources(),
  ]);
  return { ...github, store, index, sources, settle: config.packSettle };
}

/** Build the adapters once per cold start; a failed cold start is retried on the next invocation. */
function once<T>(build: () => Promise<T>): () => Promise<T> {
  let cold: Promise<T> | undefined;
  return () => {
    cold ??= build().catch((error: unknown) => {
      cold = undefined;
      throw error;
    });
    return cold;
  };
}

/** The error a failed collection ends an invocation with (kept importable from here). */
export { CollectionFailedError } from '../app/collection-failure.ts';

const productionDeps = once(awsDeps);
const productionGitHubDeps = once(awsGitHubDeps);
/** The pack job signs with KMS only: a key file in a Lambda would be neither kept nor protected. */
const productionSigner = once(() => {
  const config = functionConfig();
  return openPackSigner(
    config.storeUrl,
    config.signingKey ? { [FUNCTION_ENVIRONMENT.signingKey]: config.signingKey } : {},
    { requireKms: true },
  );
});

/**
 * A scheduled or fan-out collector: the window of the event, the plan of the event's profile
 * (default `clerk-cm01`). It never sleeps for GitHub's rate limit: when the budget will not
 * cover the work, or runs out part-way, it answers `waiting` with the reset and what is left,
 * and its state machine calls it again after the reset (a fan-out item `{ repo, input, resume }`,
 * a job `{ input, resume }`). Any source that could not be read for another reason fails the
 * invocation with `CollectionFailedError` naming each, after the evidence that was read is stored.
 */
export function collectorHandler(
  kinds: readonly CollectKind[],
  deps: () => Promise<JobDeps> = productionDeps,
) {
  return async (event: unknown): Promise<CollectorResult> => {
    const ports = await deps();
    // A fan-out item { repo, input } collects its one repository; its conflicts are refused there.
    const request = parseCollectorEvent(event, ports.clock(), { org: ports.org });
    const profile = await resolveProfile(request.profile ?? DEFAULT_PROFILE_ID, 'profile');
    const work = await collectWithinBudget(ports, {
      window: request.window,
      profile: profile.profile,
      kinds,
      ...(request.repos ? { repos: request.repos } : {}),
      ...(request.resume ? { resume: request.resume } : {}),
      onPlan: (_plan, text) =>
        console.log(JSON.stringify({ message: 'budget plan', repos: request.repos ?? 'all', plan: text })),
    });
    if (work.state === 'waiting') return waitingAnswer(work, request.repos);
    const { summary } = work.collection;
    logCollectionFinished(summary);
    return { ...summary, resumeAt: null, resume: null };
  };
}

/** The answer (and log line) of work that waits for the reset: its state machine waits, not the function. */
function waitingAnswer(
  work: Extract<WithinBudget, { state: 'waiting' }>,
  requested: readonly string[] | undefined,
): Extract<CollectorResult, { status: 'waiting' }> {
  const repos = work.resume.repos ?? work.collection?.summary.repos ?? requested ?? [];
  const runId = work.collection ? { runId: work.collection.summary.runId } : {};
  console.log(
    JSON.stringify({
      message: 'waiting for the rate-limit reset',
      repos,
      resumeAt: work.resumeAt,
      resume: work.resume,
      reason: work.reason,
      ...runId,
    }),
  );
  return {
    status: 'waiting',
    repos,
    reason: work.reason,
    resumeAt: work.resumeAt,
    resume: work.resume,
    ...runId,
  };
}

/**
 * A collector's answer. `resumeAt` is null when the work is done; otherwise the fan-out's state
 * machine waits until then (a Wait state, not the function) and calls again with `resume`.
 */
export type CollectorResult =
  | (CollectionSummary & { readonly resumeAt: null; readonly resume: null })
  | {
      readonly status: 'waiting';
      readonly repos: readonly string[];
      readonly reason: string;
      readonly resumeAt: string;
      readonly resume: ResumePoint;
      /** The run that read what it could before the budget ran out, if it started. */
      readonly runId?: string;
    };

/** The fan-out's first step: the organisation's repositories (or the event's), one item each. */
export function listRepositoriesHandler(deps: () => Promise<GitHubDeps> = productionGitHubDeps) {
  return async (event: unknown): Promise<{ repositories: string[] }> => {
    const ports = await deps();
    const request = parseJobEvent(event, ports.clock(), { org: ports.org });
    return { repositories: await listRepositories(ports, request.repos ? { repos: request.repos } : {}) };
  };
}

/**
 * The monthly (and on-demand) pack: re-collect the whole period (late data, every kind), then
 * judge, render and store the pack under Object Lock in `packs/<period>/`. The re-collection
 * never sleeps for GitHub's rate limit: when the budget will not cover it, the answer is
 * `waiting` (no pack yet) and the state machine calls again after the reset with `resume`; the
 * pack is built once the re-collection has finished. A failed collection fails the invocation
 * (`CollectionFailedError`) and stores no pack, unless the event says `"allowIncomplete": true`:
 * then the pack is stored marked INCOMPLETE.
 */
export function buildPackHandler(deps: () => Promise<JobDeps> = productionDeps) {
  return async (event: unknown) => {
    const ports = await deps();
    const request = parseJobEvent(event, ports.clock(), { org: ports.org });
    const profile = await resolveProfile(request.profile ?? DEFAULT_PROFILE_ID, 'profile');
    const run = await runPeriodWithinBudget(
      { ...ports, render: renderPack, signer: ports.signer ?? (await productionSigner()) },
      {
        window: request.window,
        profile,
        allowIncomplete: request.allowIncomplete,
        ...(request.resume ? { resume: request.resume } : {}),
        ...(request.reason ? { reissueReason: request.reason } : {}),
        ...(request.repos ? { repos: request.repos } : {}),
        ...(ports.settle ? { settle: ports.settle } : {}),
        onCollected: (collection) => {
          if (collection.missing.length > 0)
            console.log(JSON.stringify({ message: 'collection failed', missing: collection.missing }));
        },
      },
    );
    if (run.state === 'waiting') return waitingAnswer(run, request.repos);
    const { collection, pack } = run;
    // The auditor's evidence room, rewritten as static pages beside the packs (packs/room/). The
    // pack is stored already: a room that cannot be written is logged, not a failed pack job.
    const room = await publishRoom({ store: ports.store }).then(
      (published) => published,
      (error: unknown) => {
        console.log(JSON.stringify({ message: 'room not published', error: describeError(error) }));
        return { error: describeError(error) };
      },
    );
    const result = {
      period: request.window.label,
      profile: pack.model.profile.id,
      changes: pack.model.population.length,
      exceptions: pack.model.exceptions.length,
      incomplete: run.incomplete,
      missing: collection.missing,
      collection: {
        runId: collection.summary.runId,
        status: collection.summary.status,
        gaps: collection.summary.gaps.length,
      },
      room,
      files: pack.files.map((f) => ({
        key: f.stored.key,
        versionId: f.stored.versionId,
        sha256: f.stored.sha256,
      })),
    };
    console.log(JSON.stringify({ message: 'pack built', ...result }));
    return { ...result, resumeAt: null, resume: null };
  };
}

/** One log line per finished collection, the same on every path (alarms and searches match it). */
function logCollectionFinished(summary: CollectionSummary, missing?: CollectionOutcome['missing']): void {
  console.log(
    JSON.stringify({
      message: 'collection finished',
      runId: summary.runId,
      status: summary.status,
      counts: summary.counts,
      gaps: summary.gaps.length,
      ...(missing === undefined ? {} : { missing }),
    }),
  );
}
