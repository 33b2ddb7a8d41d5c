import { randomUUID } from 'node:crypto';
import {
  describeBucket,
  GitHubAuthError,
  GitHubBudgetExhaustedError,
  type GitHubClient,
  type GitHubCost,
  type RateBudget,
} from '../adapters/github/client.ts';
import type { SettleTime } from '../core/settle.ts';
import { assertNotFuture, type Window } from '../core/window.ts';
import { describeError, InputError, malformedInput, StoreError } from '../errors.ts';
import type { DocumentKind, EnricherRun, Gap } from '../evidence/documents.ts';
import { WITHHELD_BY_KIND } from '../evidence/gaps.ts';
import type { EvidenceIndex, EvidenceStore, IndexEntry } from '../evidence/ports.ts';
import type { EnrichmentSources } from '../evidence/source-ports.ts';
import { TOOL_ID } from '../version.ts';
import { collectBranchCommits } from './branch-commits.ts';
import {
  COLLECT_KINDS,
  type CollectContext,
  type CollectKind,
  type CollectProgress,
  type KeptRicher,
  provenanceOf,
  type RepoRef,
  storeEvidence,
} from './context.ts';
import { coverageSoFar, formatCoverage, nextCoverage, parseCoverage, planRanges } from './cursor.ts';
import { collectDeployments } from './deployments.ts';
import {
  collectEmergencyTrail,
  type OrganisationEmergencyCandidates,
  readOrganisationEmergencyCandidates,
} from './emergency-trail.ts';
import { collectEnrichments } from './enrichments.ts';
import { IndexEtagCache } from './etag-cache.ts';
import {
  collectOverrides,
  type OrganisationAuditLog,
  type OrganisationRuleSuites,
  readOrganisationAuditLog,
  readOrganisationRuleSuites,
} from './overrides.ts';
import { snapshotBranchProtection } from './protection.ts';
import { collectPullRequests } from './pull-requests.ts';
import { resolveRepositories } from './repositories.ts';
import { DEFAULT_TEAM_SLUGS, snapshotTeams } from './teams.ts';

/**
 * The collection use-case: validate the request before anything is written, resolve the
 * repositories, run every asked-for collector per repository (the unit of work a Lambda can
 * take on its own), snapshot the teams, and record one `collection-run` document saying what
 * was asked, what came back, what could not be read, and what it cost.
 */

export interface CollectDeps {
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
  readonly github: GitHubClient;
  readonly org: string;
  /** The source's clock (the world's `now` on the emulator). */
  readonly clock: () => Date;
  readonly progress?: (event: CollectProgress) => void;
  /** Linear and Better Stack, where configured; absent = not configured. */
  readonly sources?: EnrichmentSources;
}

export interface CollectRequest {
  readonly window: Window;
  /** `name` or `org/name`; default every repository of the organisation. */
  readonly repos?: readonly string[];
  /** Default all of `COLLECT_KINDS`. */
  readonly kinds?: readonly CollectKind[];
  /** Label that marks an emergency change; default `emergency-change`. */
  readonly emergencyLabel?: string;
  /** Team slugs to snapshot; default the shipped profiles' four teams. */
  readonly teams?: readonly string[];
  /** Deployments are read past the window up to its settle time (the stack's `packSettleTime`); default the 3rd, 06:00 UTC. */
  readonly settle?: SettleTime;
}

/** Per evidence kind: documents stored new (`written`) and found unchanged. */
export type KindCounts = Record<string, { written: number; unchanged: number }>;

/**
 * A source that could not be read at all: one kind of one repository, the organisation's teams,
 * or a whole repository. Unlike a gap (a limit GitHub sets, reported in the pack), a failure
 * leaves the evidence incomplete.
 */
export interface CollectionError {
  /** `org/name`, or null for organisation-wide evidence (teams). */
  readonly repo: string | null;
  /** The kind that failed (`pull-requests`, …, `teams`), or `repository` when the whole repository did. */
  readonly source: CollectKind | 'repository';
  readonly message: string;
}

/** REST requests (GitHub's `core` bucket) and GraphQL points one kind cost, over the repositories of a run. */
export type KindCosts = Partial<Record<CollectKind, { restRequests: number; graphqlPoints: number }>>;

/**
 * GitHub's rate-limit budget ran out and the client did not wait for its reset (a Lambda
 * function): these sources were not read in this run. Each is also an error (and its gaps are
 * recorded), so nothing silently counts as collected; a run after `resumeAt` that reads them
 * over the same window repairs them.
 */
export interface CollectionDeferral {
  /** When the budget resets: the earliest a resumed run can read the rest. */
  readonly resumeAt: string;
  readonly budget: RateBudget;
  readonly sources: readonly { readonly repo: string | null; readonly kind: CollectKind }[];
  /**
   * Deferred sources that stored part of their work before the budget ran out, their cursor
   * advanced with it (the pull requests, range by range): resumed, they go on from there.
   */
  readonly advanced?: readonly { readonly repo: string; readonly kind: CollectKind }[];
}

export interface RepositoryCollection {
  readonly repo: string;
  readonly counts: KindCounts;
  readonly gaps: Gap[];
  readonly errors: CollectionError[];
}

export interface CollectionSummary {
  readonly runId: string;
  readonly status: 'succeeded' | 'partial' | 'failed';
  readonly window: { from: string; to: string; label: string };
  readonly repos: string[];
  readonly kinds: CollectKind[];
  /** Documents written new, per evidence kind (only kinds with something new). */
  readonly counts: Record<string, number>;
  /** Documents read again and found unchanged, per evidence kind. */
  readonly unchanged: Record<string, number>;
  readonly gaps: Gap[];
  readonly errors: CollectionError[];
  readonly apiCost: { requests: number; graphqlPoints: number };
  /** What each kind cost (the budget planner's estimate for the next run). */
  readonly costByKind: KindCosts;
  /** Present when the budget ran out before every source was read (see `CollectionDeferral`). */
  readonly deferred?: CollectionDeferral;
  /** Where the `collection-run` document was stored. */
  readonly runEvidence: IndexEntry;
}

const PULL_REQUEST_CURSOR = 'pull-requests';

/** Kinds read once for the organisation, not per repository. */
export const ORGANISATION_KINDS: ReadonlySet<CollectKind> = new Set(['teams', 'tickets', 'incidents']);

export async function collect(deps: CollectDeps, request: CollectRequest): Promise<CollectionSummary> {
  const startedAt = deps.clock().toISOString();
  const kinds = validateKinds(request.kinds);
  assertNotFuture(request.window, deps.clock(), '--from');
  const costAtStart = deps.github.cost;
  // The credential is checked before anything is written: a bad token is GitHubAuthError here.
  const tokenIdentity = await deps.github.identity();
  // From here on, every REST GET is conditional on what the last run kept (see etag-cache.ts).
  const conditional = lendEtagCache(deps, tokenIdentity);
  try {
    return await collectWith(deps, request, kinds, tokenIdentity, startedAt, costAtStart, conditional.cache);
  } finally {
    conditional.restore();
  }
}

/** The persistent ETag cache, lent to the client for one run; `restore` gives the client its own back. */
function lendEtagCache(deps: CollectDeps, identity: string): { cache: IndexEtagCache; restore: () => void } {
  const cache = new IndexEtagCache(deps.index, { identity, baseUrl: deps.github.baseUrl, org: deps.org });
  const before = deps.github.useConditionalCache?.(cache);
  return { cache, restore: () => deps.github.useConditionalCache?.(before) };
}

async function collectWith(
  deps: CollectDeps,
  request: CollectRequest,
  kinds: CollectKind[],
  tokenIdentity: string,
  startedAt: string,
  costAtStart: GitHubClient['cost'],
  etagCache: IndexEtagCache,
): Promise<CollectionSummary> {
  const repos = await resolveRepositories(deps.github, deps.org, request.repos);

  const runId = `${startedAt.replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;
  const counts: KindCounts = {};
  const gaps: Gap[] = [];
  const errors: CollectionError[] = [];
  const progress = deps.progress ?? (() => {});
  const ctx = makeContext(deps, tokenIdentity, counts, gaps);
  const keptRicher: KeptRicher[] = [];
  ctx.noteKeptRicher = (attempt) => keptRicher.push(attempt);
  const costByKind: KindCosts = {};
  const budgetRun: BudgetRun = { costByKind };
  // The audit log is read once for the organisation and the run, not once per repository.
  let auditLog: OrganisationAuditLog | undefined;
  if (kinds.includes('overrides')) {
    const before = deps.github.cost;
    try {
      auditLog = await readOrganisationAuditLog(ctx, deps.org, request.window);
    } catch (error) {
      if (error instanceof GitHubAuthError || error instanceof StoreError) throw error;
      if (error instanceof GitHubBudgetExhaustedError) {
        // Nothing else can be read before the reset either: the whole run waits.
        budgetRun.exhausted = error;
      } else {
        auditLog = null;
        errors.push({
          repo: null,
          source: 'overrides',
          message: `overrides: audit log: ${describeError(error)}`,
        });
        ctx.recordGap({
          withholds: 'audit-log',
          repo: null,
          window: { from: request.window.from, to: request.window.to },
          reason: `the audit log could not be read: ${describeError(error)}`,
        });
      }
    }
    addCost(costByKind, 'overrides', before, deps.github.cost);
  }
  // Readings made once for the organisation in a run of several repositories instead of once per
  // repository; undefined when not made or not usable: each repository then reads its own, and
  // meets (and records) any failure there. A bad credential, bad input or a failing store stops
  // the run; a spent budget defers what is left.
  const onceForOrganisation = async <T>(
    kind: CollectKind,
    read: () => Promise<T | undefined>,
  ): Promise<T | undefined> => {
    if (!kinds.includes(kind) || repos.length <= 1 || budgetRun.exhausted) return undefined;
    const before = deps.github.cost;
    try {
      return await read();
    } catch (error) {
      if (error instanceof GitHubAuthError || error instanceof InputError || error instanceof StoreError)
        throw error;
      if (error instanceof GitHubBudgetExhaustedError) budgetRun.exhausted = error;
      return undefined;
    } finally {
      addCost(costByKind, kind, before, deps.github.cost);
    }
  };
  // Rule-suite bypasses (one repository's own listing costs the same and needs no organisation
  // permission), and the emergency trail's candidates over the tail each repository would search
  // (it is given `readFrom: window.from`).
  const ruleSuites = await onceForOrganisation('overrides', () =>
    readOrganisationRuleSuites(ctx, deps.org, request.window),
  );
  const emergencyCandidates = await onceForOrganisation('pull-requests', () =>
    readOrganisationEmergencyCandidates(ctx, deps.org, request.window, {
      readFrom: request.window.from,
      ...(request.emergencyLabel ? { label: request.emergencyLabel } : {}),
    }),
  );

  for (const [i, repo] of repos.entries()) {
    if (budgetRun.exhausted) {
      budgetRun.deferred = [
        ...(budgetRun.deferred ?? []),
        ...kinds.filter((k) => !ORGANISATION_KINDS.has(k)).map((kind) => ({ repo: repo.fullName, kind })),
      ];
      continue;
    }
    progress({ type: 'repo-started', repo: repo.fullName, index: i, total: repos.length });
    try {
      const result = await collectRepositoryWith(ctx, counts, repo, {
        ...request,
        kinds,
        ...(auditLog !== undefined ? { auditLog } : {}),
        ...(ruleSuites !== undefined ? { ruleSuites } : {}),
        ...(emergencyCandidates !== undefined ? { emergencyCandidates } : {}),
        budgetRun,
      });
      errors.push(...result.errors);
      progress({ type: 'repo-finished', repo: repo.fullName, index: i, total: repos.length });
    } catch (error) {
      if (error instanceof GitHubAuthError || error instanceof StoreError) throw error;
      if (error instanceof GitHubBudgetExhaustedError) {
        // Resolving the repository itself ran the budget out: all of its kinds wait.
        budgetRun.exhausted = error;
        budgetRun.deferred = [
          ...(budgetRun.deferred ?? []),
          ...kinds.filter((k) => !ORGANISATION_KINDS.has(k)).map((kind) => ({ repo: repo.fullName, kind })),
        ];
        continue;
      }
      errors.push({ repo: repo.fullName, source: 'repository', message: describeError(error) });
      for (const kind of kinds) recordCollectorFailure(ctx, kind, repo.fullName, request.window, error);
      progress({ type: 'repo-failed', repo: repo.fullName, message: describeError(error) });
    }
  }
  if (kinds.includes('teams')) {
    const before = deps.github.cost;
    if (budgetRun.exhausted) {
      budgetRun.deferred = [...(budgetRun.deferred ?? []), { repo: null, kind: 'teams' }];
    } else {
      try {
        await snapshotTeams(ctx, deps.org, request.teams ?? DEFAULT_TEAM_SLUGS);
      } catch (error) {
        if (error instanceof GitHubAuthError || error instanceof StoreError) throw error;
        if (error instanceof GitHubBudgetExhaustedError) {
          budgetRun.exhausted = error;
          budgetRun.deferred = [...(budgetRun.deferred ?? []), { repo: null, kind: 'teams' }];
        } else {
          errors.push({ repo: null, source: 'teams', message: `teams: ${describeError(error)}` });
          recordCollectorFailure(ctx, 'teams', null, request.window, error);
        }
      }
    }
    addCost(costByKind, 'teams', before, deps.github.cost);
  }
  const deferred = deferralOf(budgetRun);
  if (deferred) {
    for (const { repo, kind } of deferred.sources) {
      const reason = `deferred: GitHub's ${describeBucket(deferred.budget)} ran out; read again after it resets at ${deferred.resumeAt}`;
      errors.push({ repo, source: kind, message: `${kind}: ${reason}` });
      recordCollectorFailure(ctx, kind, repo, request.window, reason);
    }
  }
  const enrichments = await collectEnrichments(ctx, deps.sources ?? {}, request.window, kinds);
  const enrichers: EnricherRun[] = enrichments.runs;
  for (const failure of enrichments.failures) {
    errors.push({ repo: null, source: failure.kind, message: failure.message });
  }

  // Kept before the run is recorded: the rows change only when GitHub's answers did.
  await etagCache.flush(deps.clock().toISOString());
  const finishedAt = deps.clock().toISOString();
  const cost = deps.github.cost;
  const apiCost = {
    requests: cost.requests - costAtStart.requests,
    graphqlPoints: cost.graphqlPoints - costAtStart.graphqlPoints,
  };
  const status: CollectionSummary['status'] =
    errors.length === 0
      ? 'succeeded'
      : errors.length >= repos.length && repos.length > 0
        ? 'failed'
        : 'partial';
  const flatCounts: Record<string, number> = {};
  for (const [kind, count] of Object.entries(counts)) {
    flatCounts[`${kind}.written`] = count.written;
    flatCounts[`${kind}.unchanged`] = count.unchanged;
  }
  const run = await storeEvidence(ctx, {
    kind: 'collection-run',
    repo: deps.org,
    itemId: runId,
    occurredAt: startedAt,
    provenance: provenanceOf(ctx, {
      source: 'cm01',
      request: 'collect',
      parameters: {
        window: { from: request.window.from, to: request.window.to, label: request.window.label },
        repos: request.repos ?? null,
        kinds,
        teams: request.teams ?? null,
      },
      apiCost,
      fetchedAt: finishedAt,
    }),
    data: {
      runId,
      collector: 'collect',
      window: { from: request.window.from, to: request.window.to },
      repos: repos.map((repo) => repo.fullName),
      status,
      kinds,
      startedAt,
      finishedAt,
      counts: flatCounts,
      gaps,
      errors: errors.map(({ repo, message }) => ({ repo, message })),
      ...(keptRicher.length > 0 ? { keptRicher } : {}),
      apiCost,
      ...(enrichers.length > 0 ? { enrichers } : {}),
      costByKind,
    },
  });
  const written: Record<string, number> = {};
  const unchanged: Record<string, number> = {};
  for (const [kind, count] of Object.entries(counts)) {
    if (kind === 'collection-run') continue;
    if (count.written > 0) written[kind] = count.written;
    if (count.unchanged > 0) unchanged[kind] = count.unchanged;
  }
  return {
    runId,
    status,
    window: { from: request.window.from, to: request.window.to, label: request.window.label },
    repos: repos.map((repo) => repo.fullName),
    kinds,
    counts: written,
    unchanged,
    gaps,
    errors,
    apiCost,
    costByKind,
    ...(deferred ? { deferred } : {}),
    runEvidence: run.entry,
  };
}

/** The budget bookkeeping of one run: what each kind cost, and where the budget ran out. */
interface BudgetRun {
  readonly costByKind: KindCosts;
  exhausted?: GitHubBudgetExhaustedError;
  deferred?: { repo: string | null; kind: CollectKind }[];
  advanced?: { repo: string; kind: CollectKind }[];
}

function deferralOf(budgetRun: BudgetRun): CollectionDeferral | undefined {
  const { exhausted, deferred, advanced } = budgetRun;
  if (!exhausted || !deferred || deferred.length === 0) return undefined;
  return {
    resumeAt: exhausted.budget.resetAt,
    budget: exhausted.budget,
    sources: deferred,
    ...(advanced && advanced.length > 0 ? { advanced } : {}),
  };
}

function addCost(costs: KindCosts, kind: CollectKind, before: GitHubCost, after: GitHubCost): void {
  const entry = costs[kind] ?? { restRequests: 0, graphqlPoints: 0 };
  entry.restRequests += after.restRequests - before.restRequests;
  entry.graphqlPoints += after.graphqlPoints - before.graphqlPoints;
  costs[kind] = entry;
}

/**
 * One repository, every asked-for kind but `teams` (organisation-wide): the unit of work of a
 * fan-out. Writes evidence and the repository's cursors, not a `collection-run` (the caller does).
 */
export async function collectRepository(
  deps: CollectDeps,
  repo: string | RepoRef,
  request: CollectRequest,
): Promise<RepositoryCollection> {
  const kinds = validateKinds(request.kinds);
  assertNotFuture(request.window, deps.clock(), '--from');
  const tokenIdentity = await deps.github.identity();
  const [resolved] =
    typeof repo === 'string' ? await resolveRepositories(deps.github, deps.org, [repo]) : [repo];
  const counts: KindCounts = {};
  const gaps: Gap[] = [];
  const ctx = makeContext(deps, tokenIdentity, counts, gaps);
  const conditional = lendEtagCache(deps, tokenIdentity);
  try {
    const result = await collectRepositoryWith(ctx, counts, resolved as RepoRef, {
      ...request,
      kinds,
      budgetRun: { costByKind: {} },
    });
    await conditional.cache.flush(deps.clock().toISOString());
    return { ...result, counts, gaps };
  } finally {
    conditional.restore();
  }
}

async function collectRepositoryWith(
  ctx: CollectContext,
  counts: KindCounts,
  repo: RepoRef,
  request: CollectRequest & {
    kinds: CollectKind[];
    auditLog?: OrganisationAuditLog;
    ruleSuites?: OrganisationRuleSuites;
    emergencyCandidates?: OrganisationEmergencyCandidates;
    budgetRun: BudgetRun;
  },
): Promise<Pick<RepositoryCollection, 'repo' | 'errors'>> {
  const errors: CollectionError[] = [];
  const window = request.window;
  const budgetRun = request.budgetRun;
  const run = async (kind: CollectKind, job: () => Promise<unknown>) => {
    if (!request.kinds.includes(kind)) return;
    // Once the budget is out, the rest of the repository's kinds wait for the reset, unread.
    if (budgetRun.exhausted) {
      budgetRun.deferred = [...(budgetRun.deferred ?? []), { repo: repo.fullName, kind }];
      return;
    }
    ctx.progress({ type: 'kind-started', repo: repo.fullName, kind });
    const before = totalsOf(counts);
    const costBefore: GitHubCost = ctx.github.cost;
    try {
      await job();
    } catch (error) {
      // A bad credential or a failing store stops the run; anything else is this kind's failure.
      if (error instanceof GitHubAuthError || error instanceof InputError || error instanceof StoreError)
        throw error;
      if (error instanceof GitHubBudgetExhaustedError) {
        budgetRun.exhausted = error;
        budgetRun.deferred = [...(budgetRun.deferred ?? []), { repo: repo.fullName, kind }];
      } else {
        errors.push({ repo: repo.fullName, source: kind, message: `${kind}: ${describeError(error)}` });
        recordCollectorFailure(ctx, kind, repo.fullName, window, error);
      }
    }
    addCost(budgetRun.costByKind, kind, costBefore, ctx.github.cost);
    const after = totalsOf(counts);
    ctx.progress({
      type: 'kind-finished',
      repo: repo.fullName,
      kind,
      written: after.written - before.written,
      unchanged: after.unchanged - before.unchanged,
    });
  };

  await run('pull-requests', async () => {
    const syncedAt = ctx.clock().toISOString();
    const cursor = await ctx.index.getCursor(PULL_REQUEST_CURSOR, repo.fullName);
    const coverage = parseCoverage(cursor?.position);
    // The cursor follows the ranges as they are stored, oldest first: a run the budget stops (or
    // that is killed) resumes reading the stored part only incrementally and the rest in full.
    let position = cursor?.position;
    const coveredTo = async (readTo: string): Promise<void> => {
      if (Date.parse(readTo) >= Date.parse(window.to)) return; // The final write below.
      const next = formatCoverage(coverageSoFar(coverage, window, readTo, syncedAt));
      if (next === position) return;
      await ctx.index.putCursor({
        collector: PULL_REQUEST_CURSOR,
        repo: repo.fullName,
        position: next,
        updatedAt: syncedAt,
      });
      position = next;
    };
    try {
      for (const range of planRanges(coverage, window)) {
        await collectPullRequests(
          ctx,
          repo,
          range,
          range.updatedSince ? { updatedSince: range.updatedSince } : { onCovered: coveredTo },
        );
        await coveredTo(range.to);
      }
    } catch (error) {
      if (error instanceof GitHubBudgetExhaustedError && position !== cursor?.position) {
        budgetRun.advanced = [...(budgetRun.advanced ?? []), { repo: repo.fullName, kind: 'pull-requests' }];
      }
      throw error;
    }
    // The whole window is stored: the cursor as `nextCoverage` gives it.
    await ctx.index.putCursor({
      collector: PULL_REQUEST_CURSOR,
      repo: repo.fullName,
      position: formatCoverage(nextCoverage(coverage, window, syncedAt)),
      updatedAt: syncedAt,
    });
    // Emergency PRs merged up to five days before the window are read again, so a late
    // retrospective or post-mortem comment is captured as a new version (controls.md EMERGENCY);
    // those merged inside the window were just read above.
    await collectEmergencyTrail(ctx, repo, window, {
      readFrom: window.from,
      ...(request.emergencyLabel ? { label: request.emergencyLabel } : {}),
      ...(request.emergencyCandidates !== undefined ? { organisation: request.emergencyCandidates } : {}),
    });
  });
  await run('commits', () => collectBranchCommits(ctx, repo, window));
  await run('deployments', () => collectDeployments(ctx, repo, window, request.settle));
  await run('overrides', () =>
    collectOverrides(ctx, repo, window, {
      ...(request.auditLog !== undefined ? { auditLog: request.auditLog } : {}),
      ...(request.ruleSuites !== undefined ? { ruleSuites: request.ruleSuites } : {}),
    }),
  );
  await run('protection', () => snapshotBranchProtection(ctx, repo, ctx.clock().toISOString().slice(0, 10)));
  return { repo: repo.fullName, errors };
}

function makeContext(
  deps: CollectDeps,
  tokenIdentity: string,
  counts: KindCounts,
  gaps: Gap[],
): CollectContext & { noteKeptRicher?: (attempt: KeptRicher) => void } {
  const progress = deps.progress ?? (() => {});
  return {
    store: deps.store,
    index: deps.index,
    github: deps.github,
    org: deps.org,
    clock: deps.clock,
    toolVersion: TOOL_ID,
    tokenIdentity,
    recordGap(input) {
      const gap: Gap = { ...input, window: input.window ?? null };
      gaps.push(gap);
      progress({ type: 'gap', gap });
    },
    count(kind: DocumentKind, written: boolean) {
      const entry = counts[kind] ?? { written: 0, unchanged: 0 };
      if (written) entry.written += 1;
      else entry.unchanged += 1;
      counts[kind] = entry;
    },
    progress,
  };
}

/**
 * A kind that failed for a repository withholds its evidence for the whole window: recorded as
 * typed gaps, so the rules that read that evidence answer unknown rather than not applicable.
 */
function recordCollectorFailure(
  ctx: CollectContext,
  kind: CollectKind,
  repo: string | null,
  window: Pick<Window, 'from' | 'to'>,
  /** What went wrong; a string is the reason in words (a deferral). */
  error: unknown,
): void {
  if (ORGANISATION_KINDS.has(kind) && repo !== null) return;
  for (const withholds of WITHHELD_BY_KIND[kind]) {
    ctx.recordGap({
      withholds,
      repo,
      window: { from: window.from, to: window.to },
      reason:
        typeof error === 'string'
          ? `the ${kind} collection was ${error}`
          : `the ${kind} collection failed: ${describeError(error)}`,
    });
  }
}

function totalsOf(counts: KindCounts): { written: number; unchanged: number } {
  const totals = { written: 0, unchanged: 0 };
  for (const entry of Object.values(counts)) {
    totals.written += entry.written;
    totals.unchanged += entry.unchanged;
  }
  return totals;
}

function validateKinds(kinds: readonly string[] | undefined): CollectKind[] {
  if (kinds === undefined) return [...COLLECT_KINDS];
  const unknown = kinds.filter((kind) => !(COLLECT_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) {
    throw malformedInput(
      'kinds',
      `unknown kind(s) ${unknown.join(', ')}; expected some of ${COLLECT_KINDS.join(', ')}`,
    );
  }
  if (kinds.length === 0) throw malformedInput('kinds', 'no kind to collect');
  return [...new Set(kinds)] as CollectKind[];
}
