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
import { sha256Hex } from '../evidence/canonical-json.ts';
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
import {
  ACTIVITY_LISTING,
  ACTIVITY_ROUTE,
  activityOnRef,
  isActivityRefusal,
  repositoryActivity,
} from './repository-activity.ts';

/**
 * Every commit that reached the default branch in the window — dated by the activity event that
 * put it there (a commit made on 29 September and pushed on 2 October is an October commit), or
 * by its commit date where activity is out of reach — with the merged
 * pull requests GitHub associates with it and the repository-activity event (push, force push,
 * PR merge, merge-queue merge) that moved the branch to it — so a direct push is told from a
 * merge by the evidence itself. No policy is applied here.
 */

const EPOCH = '1970-01-01T00:00:00Z';
/** How far past the window's start (in history pages) commits pushed inside it are looked for. */
const MAX_PAGES_BEFORE_WINDOW = 20;

/** Whether the first-parent chain from the event's `after` back to its `before` has been read whole. */
function chainResolved(event: ActivityEvent, seen: ReadonlyMap<string, readonly string[]>): boolean {
  let sha: string | undefined = event.after;
  for (let steps = 0; sha !== undefined && sha !== event.before; steps++) {
    const parents = seen.get(sha);
    if (!parents) return false;
    if (steps > 10_000) return true;
    sha = parents[0];
  }
  return true;
}

export interface CollectBranchCommitsResult {
  readonly commits: number;
  readonly written: number;
  /** Commits that arrived by a `push` event and carry no merged PR into the branch. */
  readonly directPushes: number;
}

/**
 * Repository activity is asked for the longest period GitHub's API offers: `time_period` is one
 * of day, week, month, quarter, year (GitHub's OpenAPI description of
 * `GET /repos/{owner}/{repo}/activity`), so a year back from now (see repository-activity.ts).
 */
export function activityReachStart(now: Date): Date {
  return new Date(oneYearBefore(now));
}

/**
 * How far back the commit collector reads activity: a week before the window. A commit pushed
 * earlier is dated by its own commit date, which (a commit is made before it is pushed) puts it
 * before the window too, unless its date was set more than a week ahead of its push; such a
 * commit is then counted in this window as well as in the one it was pushed in, never lost.
 * Only the events since then are used, whatever other collectors read, so the same window maps
 * commits the same way in every run.
 */
export function activitySince(window: Pick<Window, 'from'>): number {
  return Date.parse(window.from) - ACTIVITY_LOOKBEHIND_MS;
}
const ACTIVITY_LOOKBEHIND_MS = 7 * 86_400_000;

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

  let events: ActivityEvent[] = [];
  if (activityReaches) {
    try {
      // The run's one reading of the repository's activity (every branch), this branch's part.
      events = parseActivityEvents(
        activityOnRef(await repositoryActivity(ctx, repo, activitySince(window)), ref),
      ).filter((event) => Date.parse(event.timestamp) >= activitySince(window));
    } catch (error) {
      if (!isActivityRefusal(error)) throw error;
      ctx.recordGap({
        withholds: 'repository-activity',
        repo: repo.fullName,
        window: { from: window.from, to: window.to },
        reason: `repository activity could not be read: ${error.message}`,
      });
    }
  }
  const eventsInWindow = events.filter((event) => inWindow(event.timestamp, window));

  // Nothing moved since the last run (same head, same activity, same window): the history would
  // read the same commits, mapped to the same events, into the same documents — not read again.
  // The head comes from a conditional GET, free (304) when the branch did not move.
  const activityDigest = sha256Hex(JSON.stringify(events));
  const headNow = await currentHead(ctx, repo);
  const cursor = parseCommitsCursor((await ctx.index.getCursor(COMMITS_CURSOR, repo.fullName))?.position);
  if (
    cursor !== undefined &&
    headNow !== undefined &&
    cursor.head === headNow &&
    cursor.from === window.from &&
    cursor.to === window.to &&
    cursor.activity === activityDigest
  ) {
    for (let i = 0; i < cursor.commits; i++) ctx.count('branch-commit', false);
    return { commits: cursor.commits, written: 0, directPushes: cursor.directPushes };
  }

  // With activity to map, read history up to now: an event after the window can carry commits
  // dated inside it, and its first-parent walk must be able to reach them. `history(since:)`
  // filters on the commit date, so a commit pushed in the window but made before it is found by
  // reading on, past the window's start, until every push of the window reaches back to the head
  // the branch had before it.
  const until = activityReaches ? now.toISOString() : window.to;
  const since = eventsInWindow.length > 0 ? EPOCH : window.from;
  const history: HistoryCommit[] = [];
  const seen = new Map<string, readonly string[]>();
  let head: string | null = null;
  let after: string | null = null;
  let pagesBeforeWindow = 0;
  for (;;) {
    const page = parseHistoryPage(
      await ctx.github.graphql<unknown>(BRANCH_HISTORY_QUERY, {
        owner: repo.owner,
        name: repo.name,
        since,
        until,
        first: HISTORY_PAGE_SIZE,
        after,
      }),
    );
    head ??= page.head;
    history.push(...page.commits);
    for (const entry of page.commits) seen.set(entry.commit.sha, entry.commit.parents);
    if (!page.hasNextPage || !page.endCursor) break;
    after = page.endCursor;
    if (since === EPOCH) {
      const oldest = page.commits[page.commits.length - 1]?.commit.committedAt;
      const pastWindowStart = oldest !== undefined && Date.parse(oldest) < Date.parse(window.from);
      if (pastWindowStart && eventsInWindow.every((event) => chainResolved(event, seen))) break;
      if (pastWindowStart) pagesBeforeWindow += 1;
      if (pagesBeforeWindow > MAX_PAGES_BEFORE_WINDOW) {
        ctx.recordGap({
          withholds: 'default-branch-commits',
          repo: repo.fullName,
          reason:
            `commits pushed in the window were looked for ${MAX_PAGES_BEFORE_WINDOW * HISTORY_PAGE_SIZE} commits ` +
            'past its start and not all found',
        });
        break;
      }
    }
  }

  const activityOf = mapCommitsToActivity(
    history.map((entry) => entry.commit),
    events,
    head,
  );

  const arrivedAt = (entry: HistoryCommit) =>
    activityOf.get(entry.commit.sha)?.timestamp ?? entry.commit.committedAt;
  const inside = history.filter((entry) => inWindow(arrivedAt(entry), window));
  const cost = costSince(costBefore, ctx.github.cost);
  const request = `${graphqlRequestName('DefaultBranchHistory', BRANCH_HISTORY_QUERY)}; ${ACTIVITY_ROUTE}`;
  const parameters = {
    owner: repo.owner,
    name: repo.name,
    since: window.from,
    until,
    ref,
    activity: activityReaches
      ? { ...ACTIVITY_LISTING, since: new Date(activitySince(window)).toISOString() }
      : null,
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
      occurredAt: arrivedAt(entry),
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
  // Only a head the branch GET confirmed: the history was then read from exactly that commit.
  if (head !== null && head === headNow) {
    const value: CommitsCursor = {
      from: window.from,
      to: window.to,
      head,
      activity: activityDigest,
      commits: inside.length,
      directPushes,
    };
    await ctx.index.putCursor({
      collector: COMMITS_CURSOR,
      repo: repo.fullName,
      position: JSON.stringify(value),
      updatedAt: fetchedAt,
    });
  }
  return { commits: inside.length, written, directPushes };
}

/** The commits cursor (per repository): what the last complete read of a window saw. */
export const COMMITS_CURSOR = 'branch-commits';
const BRANCH_ROUTE = 'GET /repos/{owner}/{repo}/branches/{branch}';

interface CommitsCursor {
  readonly from: string;
  readonly to: string;
  /** The default branch's head the history was read from. */
  readonly head: string;
  /** SHA-256 of the activity events that were mapped onto it. */
  readonly activity: string;
  readonly commits: number;
  readonly directPushes: number;
}

function parseCommitsCursor(position: string | undefined): CommitsCursor | undefined {
  if (position === undefined) return undefined;
  try {
    const value = JSON.parse(position) as Partial<CommitsCursor>;
    const texts = [value.from, value.to, value.head, value.activity];
    if (!texts.every((text) => typeof text === 'string')) return undefined;
    if (!Number.isInteger(value.commits) || !Number.isInteger(value.directPushes)) return undefined;
    return value as CommitsCursor;
  } catch {
    return undefined; // An unreadable cursor only costs a full read.
  }
}

/** The default branch's head now, from a conditional GET; undefined when it cannot be read. */
async function currentHead(ctx: CollectContext, repo: RepoRef): Promise<string | undefined> {
  try {
    const answer = await ctx.github.rest<{ commit?: { sha?: unknown } }>(BRANCH_ROUTE, {
      owner: repo.owner,
      repo: repo.name,
      branch: repo.defaultBranch,
    });
    const sha = answer.data.commit?.sha;
    return typeof sha === 'string' ? sha : undefined;
  } catch (error) {
    if (error instanceof GitHubForbiddenError || error instanceof GitHubNotFoundError) return undefined;
    throw error;
  }
}
