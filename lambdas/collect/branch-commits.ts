import { GitHubForbiddenError, GitHubNotFoundError } from '../adapters/github/client.ts';
import {
  type ActivityEvent,
  type HistoryCommit,
  mapCommitsToActivity,
  parseActivityEvents,
  parseHistoryPage,
} from '../adapters/github/parse-branch-commits.ts';
import { BRANCH_HISTORY_QUERY, HISTORY_PAGE_SIZE } from '../adapters/github/queries/branch-commits.ts';
import { inWindow, type Window } from '../core/window.ts';
import {
  type CollectContext,
  costSince,
  graphqlRequestName,
  provenanceOf,
  type RepoRef,
  shareOfCost,
  storeEvidence,
} from './context.ts';
import { oneYearBefore } from './overrides.ts';

/**
 * Every commit on the default branch whose commit date falls in the window, with the merged
 * pull requests GitHub associates with it and the repository-activity event (push, force push,
 * PR merge, merge-queue merge) that moved the branch to it — so a direct push is told from a
 * merge by the evidence itself. No policy is applied here.
 */

export const ACTIVITY_ROUTE = 'GET /repos/{owner}/{repo}/activity';

export interface CollectBranchCommitsResult {
  readonly commits: number;
  readonly written: number;
  /** Commits that arrived by a `push` event and carry no merged PR into the branch. */
  readonly directPushes: number;
}

/**
 * Repository activity is asked for the longest period GitHub's API offers: `time_period` is one
 * of day, week, month, quarter, year (GitHub's OpenAPI description of
 * `GET /repos/{owner}/{repo}/activity`), so a year back from now.
 */
export const ACTIVITY_TIME_PERIOD = 'year';
export function activityReachStart(now: Date): Date {
  return new Date(oneYearBefore(now));
}

export async function collectBranchCommits(
  ctx: CollectContext,
  repo: RepoRef,
  window: Pick<Window, 'from' | 'to'>,
): Promise<CollectBranchCommitsResult> {
  const now = ctx.clock();
  const fetchedAt = now.toISOString();
  const costBefore = ctx.github.cost;
  const reachStart = activityReachStart(now);
  const activityReaches = Date.parse(window.to) > reachStart.getTime();
  const ref = `refs/heads/${repo.defaultBranch}`;

  if (Date.parse(window.from) < reachStart.getTime()) {
    ctx.recordGap({
      withholds: 'repository-activity',
      repo: repo.fullName,
      window: {
        from: window.from,
        to: new Date(Math.min(reachStart.getTime(), Date.parse(window.to))).toISOString(),
      },
      reason:
        `repository activity reaches back to ${reachStart.toISOString()} only; default-branch commits ` +
        `before then carry no push/merge event (collect at least yearly)`,
    });
  }

  // With activity to map, read history up to now: an event after the window can carry commits
  // dated inside it, and its first-parent walk must be able to reach them.
  const until = activityReaches ? now.toISOString() : window.to;
  const history: HistoryCommit[] = [];
  let head: string | null = null;
  let after: string | null = null;
  for (;;) {
    const page = parseHistoryPage(
      await ctx.github.graphql<unknown>(BRANCH_HISTORY_QUERY, {
        owner: repo.owner,
        name: repo.name,
        since: window.from,
        until,
        first: HISTORY_PAGE_SIZE,
        after,
      }),
    );
    head ??= page.head;
    history.push(...page.commits);
    if (!page.hasNextPage || !page.endCursor) break;
    after = page.endCursor;
  }

  let events: ActivityEvent[] = [];
  if (activityReaches) {
    try {
      events = parseActivityEvents(
        await ctx.github.paginate<unknown>(ACTIVITY_ROUTE, {
          owner: repo.owner,
          repo: repo.name,
          ref,
          time_period: ACTIVITY_TIME_PERIOD,
          direction: 'asc',
          per_page: 100,
        }),
      );
    } catch (error) {
      if (!(error instanceof GitHubForbiddenError || error instanceof GitHubNotFoundError)) throw error;
      ctx.recordGap({
        withholds: 'repository-activity',
        repo: repo.fullName,
        window: { from: window.from, to: window.to },
        reason: `repository activity could not be read: ${error.message}`,
      });
    }
  }
  const activityOf = mapCommitsToActivity(
    history.map((entry) => entry.commit),
    events,
    head,
  );

  const inside = history.filter((entry) => inWindow(entry.commit.committedAt, window));
  const cost = costSince(costBefore, ctx.github.cost);
  const request = `${graphqlRequestName('DefaultBranchHistory', BRANCH_HISTORY_QUERY)}; ${ACTIVITY_ROUTE}`;
  const parameters = {
    owner: repo.owner,
    name: repo.name,
    since: window.from,
    until,
    ref,
    activity: activityReaches ? { time_period: ACTIVITY_TIME_PERIOD, direction: 'asc', per_page: 100 } : null,
  };
  let written = 0;
  let directPushes = 0;
  for (const [position, entry] of inside.entries()) {
    const activity = activityOf.get(entry.commit.sha) ?? null;
    const mergedIntoBranch = entry.associatedPullRequests.find(
      (pr) => pr.mergedAt !== null && pr.baseRef === repo.defaultBranch,
    );
    const directPush = activity?.activityType === 'push' && mergedIntoBranch === undefined;
    if (directPush) directPushes += 1;
    const recorded = await storeEvidence(ctx, {
      kind: 'branch-commit',
      repo: repo.fullName,
      itemId: entry.commit.sha,
      occurredAt: entry.commit.committedAt,
      provenance: provenanceOf(ctx, {
        source: 'github-graphql',
        request,
        parameters,
        apiCost: shareOfCost(cost, inside.length, position),
        fetchedAt,
      }),
      data: {
        branch: repo.defaultBranch,
        commit: entry.commit,
        associatedPullRequests: entry.associatedPullRequests,
        activity,
      },
    });
    if (recorded.written) written += 1;
    ctx.progress({ type: 'item', repo: repo.fullName, kind: 'commits', itemId: entry.commit.sha });
  }
  return { commits: inside.length, written, directPushes };
}
