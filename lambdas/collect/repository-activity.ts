import { GitHubForbiddenError, GitHubNotFoundError, nextLink } from '../adapters/github/client.ts';
import { SourceError } from '../errors.ts';
import type { CollectContext } from './context.ts';

/**
 * Repository activity (`GET /repos/{owner}/{repo}/activity`), read once per repository and
 * collection run and shared by the three collectors that need it: who pushed each commit of a
 * PR (pushes on every branch), the default branch's commits (the event that put each commit
 * there) and the overrides (direct pushes to the default branch). Each used to list it on its
 * own; one listing of every branch serves all three, each keeping only the branch it reads.
 *
 * The listing is read newest first and only as far back as some consumer needs: each asks for
 * the events since a moment (the window's start, a week earlier for the commits; the oldest
 * commit of the PRs for the pushers), and the reading goes on from where it stopped when a later
 * consumer needs older events. It asks for GitHub's longest period (`time_period=year`), so an
 * old PR's pushers can still be found; on a real repository a year of every branch's pushes is
 * tens of pages, of which a month's collection reads about a month.
 */

export const ACTIVITY_ROUTE = 'GET /repos/{owner}/{repo}/activity';

/** The one listing's parameters besides owner and repository: every branch, a year, newest first. */
export const ACTIVITY_LISTING = { time_period: 'year', direction: 'desc', per_page: 100 } as const;

/** Why activity could not be read: the plan or the permission (each consumer records its own gap). */
export type ActivityRefusal = GitHubForbiddenError | GitHubNotFoundError;

export function isActivityRefusal(error: unknown): error is ActivityRefusal {
  return error instanceof GitHubForbiddenError || error instanceof GitHubNotFoundError;
}

/** What one run has read of a repository's activity so far. */
interface ActivityReading {
  /** Items read, newest first, as GitHub listed them. */
  readonly newestFirst: unknown[];
  /** The first page has been read. */
  started: boolean;
  /** The next (older) page; undefined when GitHub lists no more. */
  next: string | undefined;
  /** Timestamp (ms) of the oldest item read; every item at or after it has been read. */
  oldestRead: number;
  /** GitHub refused the listing (403/404): kept, and thrown again to every consumer. */
  refusal?: ActivityRefusal;
  /** Readers one after another, so two consumers never read the same page. */
  queue: Promise<unknown>;
}

/** Per collection run (its context), per repository. */
const readings = new WeakMap<CollectContext, Map<string, ActivityReading>>();

/**
 * Every activity item of the repository from `since` (ms) to now, on every branch, oldest first
 * (older items already read come too). Pages are read at most once per run. A refusal (403/404)
 * is kept and thrown again to every consumer, so each records the gap it records today without
 * asking again; any other failure is not kept (the next consumer goes on from the last page read).
 */
export async function repositoryActivity(
  ctx: CollectContext,
  repo: { readonly owner: string; readonly name: string; readonly fullName: string },
  since: number,
): Promise<readonly unknown[]> {
  let byRepo = readings.get(ctx);
  if (!byRepo) {
    byRepo = new Map();
    readings.set(ctx, byRepo);
  }
  let reading = byRepo.get(repo.fullName);
  if (!reading) {
    reading = {
      newestFirst: [],
      started: false,
      next: undefined,
      oldestRead: Number.POSITIVE_INFINITY,
      queue: Promise.resolve(),
    };
    byRepo.set(repo.fullName, reading);
  }
  const current = reading;
  const done = current.queue.then(() => readBackTo(ctx, repo, current, since));
  current.queue = done.catch(() => undefined);
  await done;
  if (current.refusal) throw current.refusal;
  return [...current.newestFirst].reverse();
}

async function readBackTo(
  ctx: CollectContext,
  repo: { readonly owner: string; readonly name: string },
  reading: ActivityReading,
  since: number,
): Promise<void> {
  if (reading.refusal) return;
  try {
    if (!reading.started) {
      const first = await ctx.github.rest<unknown>(ACTIVITY_ROUTE, {
        owner: repo.owner,
        repo: repo.name,
        ...ACTIVITY_LISTING,
      });
      addPage(reading, first.data, first.headers.link);
      reading.started = true;
    }
    // Newest first: once an item older than `since` is read, every later page is older still.
    while (reading.next !== undefined && reading.oldestRead >= since) {
      const page = await ctx.github.rest<unknown>(`GET ${reading.next}`);
      addPage(reading, page.data, page.headers.link);
    }
  } catch (error: unknown) {
    if (!isActivityRefusal(error)) throw error;
    reading.refusal = error;
  }
}

function addPage(reading: ActivityReading, data: unknown, link: string | number | undefined): void {
  if (!Array.isArray(data))
    throw new SourceError(`${ACTIVITY_ROUTE}: GitHub answered a page that is not a list`);
  for (const item of data) {
    reading.newestFirst.push(item);
    const at = Date.parse(String((item as { timestamp?: unknown }).timestamp));
    if (!Number.isNaN(at)) reading.oldestRead = Math.min(reading.oldestRead, at);
  }
  reading.next = nextLink(link);
}

/** The items of one branch (`refs/heads/<name>`), in the listing's order, as `ref=` would list them. */
export function activityOnRef(items: readonly unknown[], ref: string): unknown[] {
  return items.filter((item) => {
    const itemRef = (item as { ref?: unknown }).ref;
    if (typeof itemRef !== 'string') return false;
    return (itemRef.startsWith('refs/') ? itemRef : `refs/heads/${itemRef}`) === ref;
  });
}
