import { GitHubTimeoutError } from '../adapters/github/client.ts';
import {
  type MergedPullRequestsPage,
  PullRequestAssembly,
  parseFollowUp,
  parseMergedPullRequestsPage,
} from '../adapters/github/parse-pull-requests.ts';
import {
  EVERY_CHECK_RUN_COMMITS_PER_QUERY,
  everyCheckRunQuery,
} from '../adapters/github/queries/every-check-run.ts';
import {
  backwardAlias,
  buildFollowUpQuery,
  type ChecksPageRequest,
  type ConnectionPageRequest,
  MERGED_PULL_REQUESTS_QUERY,
  mergedPullRequestsSearch,
  SEARCH_PAGE_SIZE,
  SEARCH_RESULT_CAP,
} from '../adapters/github/queries/pull-requests.ts';
import { inWindow, type Window } from '../core/window.ts';
import { SourceError } from '../errors.ts';
import type { PullRequestData } from '../evidence/documents.ts';
import { BRANCH_ACTIVITY_ROUTE, BranchPushes } from './commit-pushers.ts';
import {
  type CollectContext,
  costSince,
  graphqlRequestName,
  provenanceOf,
  type RepoRef,
  shareOfCost,
  storeEvidence,
} from './context.ts';
import {
  COMMIT_CHECK_RUNS_ROUTE,
  COMMIT_STATUSES_ROUTE,
  needsEveryRun,
  withEveryCheckRuns,
} from './every-check-run.ts';

/**
 * Every pull request merged into the repository's default branch in the window, whole: the
 * first page of each list comes with the search, longer lists (commits, reviews, files, label
 * timeline, comments, head-commit checks) are paged through `node(id:)` / `object(oid:)`
 * follow-ups until GitHub has no more. Where GitHub itself stops short of its own `totalCount`
 * (3,000 files) the document says so in `completeness`. No policy is applied here.
 */

export interface CollectPullRequestsOptions {
  /** Only PRs updated at or after this time (incremental runs: the cursor, minus an overlap). */
  readonly updatedSince?: string;
  /** PRs per search page (GitHub allows up to 100). */
  readonly pageSize?: number;
  /**
   * Told, as the read goes, that every PR merged in `[window.from, to)` is stored (ranges are
   * read oldest first), so that the caller can advance its cursor and a run stopped part-way
   * resumes there. Only for a read in full: with `updatedSince` it is never called.
   */
  readonly onCovered?: (to: string) => Promise<void>;
}

export interface CollectPullRequestsResult {
  readonly pullRequests: number;
  readonly written: number;
  /** The search ranges actually queried (windows split below GitHub's 1,000-result cap). */
  readonly searchRanges: number;
}

/**
 * What is read for each PR beside the GraphQL search (named in each document's provenance); the
 * `EveryCheckRun` query as sent for a full batch (a smaller one repeats the same fragment fewer times).
 */
const REST_ROUTES = [
  graphqlRequestName('EveryCheckRun', everyCheckRunQuery(EVERY_CHECK_RUN_COMMITS_PER_QUERY)),
  COMMIT_CHECK_RUNS_ROUTE,
  COMMIT_STATUSES_ROUTE,
  BRANCH_ACTIVITY_ROUTE,
].join('; ');

/** Bounds on one follow-up request, so that no single query nears GitHub's node limit or timeout. */
const MAX_CHECKS_PER_FOLLOW_UP = 50;
const MAX_PULL_REQUESTS_PER_FOLLOW_UP = 10;
/** A search page GitHub times out on is asked again with half as many PRs, down to this many. */
export const MIN_SEARCH_PAGE_SIZE = 10;

export async function collectPullRequests(
  ctx: CollectContext,
  repo: RepoRef,
  window: Pick<Window, 'from' | 'to'>,
  options: CollectPullRequestsOptions = {},
): Promise<CollectPullRequestsResult> {
  // Halved for the rest of the run when GitHub stops a page for taking too long.
  let pageSize = options.pageSize ?? SEARCH_PAGE_SIZE;
  let pullRequests = 0;
  let written = 0;
  let searchRanges = 0;
  const seen = new Set<number>();
  const pushes = new BranchPushes(ctx, repo);
  const waitingForRuns: PendingPullRequest[] = [];
  const onCovered = options.updatedSince === undefined ? options.onCovered : undefined;

  // Ranges still to search; a range whose first page reports more than the cap is halved.
  const ranges: { from: number; to: number }[] = [
    { from: Date.parse(window.from), to: Date.parse(window.to) },
  ];
  while (ranges.length > 0) {
    const range = ranges.shift() as { from: number; to: number };
    const searchQuery = mergedPullRequestsSearch(
      repo.fullName,
      repo.defaultBranch,
      new Date(range.from).toISOString(),
      // Search ranges are inclusive at second precision; the window is half-open.
      new Date(range.to - 1000).toISOString(),
      options.updatedSince,
    );
    let after: string | null = null;
    let firstPage = true;
    let split = false;
    for (;;) {
      const costBefore = ctx.github.cost;
      const fetchedAt = ctx.clock().toISOString();
      let answer: unknown;
      try {
        answer = await ctx.github.graphql<unknown>(MERGED_PULL_REQUESTS_QUERY, {
          searchQuery,
          first: pageSize,
          after,
        });
      } catch (error) {
        if (!(error instanceof GitHubTimeoutError) || pageSize <= MIN_SEARCH_PAGE_SIZE) throw error;
        // The same cursor with fewer PRs: each PR brings the first page of all its lists, so a
        // page of busy PRs can take GitHub longer than its 10 seconds.
        pageSize = Math.max(MIN_SEARCH_PAGE_SIZE, Math.floor(pageSize / 2));
        continue;
      }
      const page: MergedPullRequestsPage = parseMergedPullRequestsPage(answer);
      if (firstPage) {
        firstPage = false;
        searchRanges += 1;
        if (page.issueCount > SEARCH_RESULT_CAP && range.to - range.from > 2000) {
          const middle = range.from + Math.floor((range.to - range.from) / 2000) * 1000;
          ranges.unshift({ from: range.from, to: middle }, { from: middle, to: range.to });
          searchRanges -= 1;
          split = true;
          break;
        }
        if (page.issueCount > SEARCH_RESULT_CAP) {
          throw new SourceError(
            `${repo.fullName}: more than ${SEARCH_RESULT_CAP} pull requests merged within one second; cannot split the search further`,
          );
        }
      }
      const assemblies = page.pullRequests
        .filter((pr) => pr.mergedAt !== null && pr.baseRefName === repo.defaultBranch)
        .filter((pr) => inWindow(pr.mergedAt as string, window))
        .filter((pr) => !seen.has(pr.number))
        .map((pr) => new PullRequestAssembly(pr));
      await completeAssemblies(ctx, repo, assemblies);
      const read = assemblies.map((assembly) => assembly.toData());
      const pageCost = costSince(costBefore, ctx.github.cost);
      const parameters = {
        owner: repo.owner,
        name: repo.name,
        searchQuery,
        first: pageSize,
        after,
      };
      const ready: PendingPullRequest[] = [];
      for (const [position, data] of read.entries()) {
        seen.add(data.number);
        const pending = {
          data,
          parameters,
          fetchedAt,
          pageShare: shareOfCost(pageCost, read.length, position),
        };
        // A PR whose every check run is still to be read waits for a batch of them (one GraphQL
        // request for up to 20, across pages); the others are stored now.
        (needsEveryRun(data) ? waitingForRuns : ready).push(pending);
      }
      await store(ready);
      if (waitingForRuns.length >= EVERY_CHECK_RUN_COMMITS_PER_QUERY) await store(waitingForRuns.splice(0));
      if (!page.hasNextPage || !page.endCursor) break;
      after = page.endCursor;
    }
    if (onCovered && !split) {
      // Search pages follow no merge order, so only a range read to its end is covered; the PRs
      // still waiting for their every-run batch are stored first (at most one more request a range).
      await store(waitingForRuns.splice(0));
      await onCovered(new Date(range.to).toISOString());
    }
  }
  await store(waitingForRuns.splice(0));
  return { pullRequests, written, searchRanges };

  /**
   * Completes and stores PRs read from the search: every run of every check where it is needed
   * (GraphQL for the batch, REST where that cannot hold them), who pushed each commit (the run's
   * one reading of repository activity). Each document's cost is its share of its search page
   * and of what completing the batch cost.
   */
  async function store(batch: readonly PendingPullRequest[]): Promise<void> {
    if (batch.length === 0) return;
    const costBefore = ctx.github.cost;
    const datas = batch.map((pending) => pending.data);
    // A batch of PRs that need no further run reads nothing here (`withEveryCheckRuns` skips them).
    const completed = await pushes.withPushers(await withEveryCheckRuns(ctx, repo, datas));
    const batchCost = costSince(costBefore, ctx.github.cost);
    for (const [position, data] of completed.entries()) {
      const { parameters, fetchedAt, pageShare } = batch[position] as PendingPullRequest;
      const share = shareOfCost(batchCost, completed.length, position);
      const recorded = await storeEvidence(ctx, {
        kind: 'pull-request',
        repo: repo.fullName,
        itemId: String(data.number),
        occurredAt: data.mergedAt,
        provenance: provenanceOf(ctx, {
          source: 'github-graphql',
          request: `${graphqlRequestName('MergedPullRequests', MERGED_PULL_REQUESTS_QUERY)}; ${REST_ROUTES}`,
          parameters,
          apiCost: {
            requests: pageShare.requests + share.requests,
            graphqlPoints: pageShare.graphqlPoints + share.graphqlPoints,
          },
          fetchedAt,
        }),
        data,
      });
      pullRequests += 1;
      if (recorded.written) written += 1;
      ctx.progress({
        type: 'item',
        repo: repo.fullName,
        kind: 'pull-requests',
        itemId: String(data.number),
      });
    }
  }
}

/** A PR read from a search page, not stored yet: what its document's provenance will say. */
interface PendingPullRequest {
  readonly data: PullRequestData;
  readonly parameters: Record<string, unknown>;
  readonly fetchedAt: string;
  readonly pageShare: { requests: number; graphqlPoints: number };
}

/** Page every list of every PR of one search page to its end, in as few requests as the bounds allow. */
async function completeAssemblies(
  ctx: CollectContext,
  repo: RepoRef,
  assemblies: readonly PullRequestAssembly[],
): Promise<void> {
  for (;;) {
    const checks: { assembly: PullRequestAssembly; request: ChecksPageRequest }[] = [];
    const pages: { assembly: PullRequestAssembly; request: ConnectionPageRequest }[] = [];
    const pullRequestsInBatch = new Set<string>();
    for (const assembly of assemblies) {
      const pendingChecks = assembly.pendingChecks();
      if (pendingChecks && checks.length < MAX_CHECKS_PER_FOLLOW_UP) {
        checks.push({ assembly, request: { sha: assembly.headSha, after: pendingChecks.after } });
      }
      const pending = assembly.pendingPages();
      if (pending.length > 0 && pullRequestsInBatch.size < MAX_PULL_REQUESTS_PER_FOLLOW_UP) {
        pullRequestsInBatch.add(assembly.id);
        for (const page of pending) {
          pages.push({ assembly, request: { pullRequestId: assembly.id, ...page } });
        }
      }
    }
    if (checks.length === 0 && pages.length === 0) return;
    const { query, variables, prAliases } = buildFollowUpQuery(
      repo.owner,
      repo.name,
      checks.map((check) => check.request),
      pages.map((page) => page.request),
    );
    const answer = parseFollowUp(await ctx.github.graphql<unknown>(query, variables));
    for (const [i, check] of checks.entries()) check.assembly.addChecksPage(answer.checks(`c${i}`));
    for (const page of pages) {
      const alias = prAliases.get(page.request.pullRequestId) as string;
      const node = answer.pullRequest(alias);
      if (!node) {
        throw new SourceError(
          `${repo.fullName}#${page.assembly.number}: GitHub no longer returns this pull request`,
        );
      }
      const { connection, direction } = page.request;
      if (direction === 'forward') page.assembly.addPage(connection, node[connection]);
      else page.assembly.addPageFromEnd(connection, node[backwardAlias(connection)]);
    }
  }
}
