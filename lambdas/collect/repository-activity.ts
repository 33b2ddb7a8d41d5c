import { GitHubForbiddenError, GitHubNotFoundError } from '../adapters/github/client.ts';
import type { CollectContext } from './context.ts';

/**
 * Repository activity (`GET /repos/{owner}/{repo}/activity`), read once per repository and
 * collection run and shared by the three collectors that need it: who pushed each commit of a
 * PR (pushes on every branch), the default branch's commits (the event that put each commit
 * there) and the overrides (direct pushes to the default branch). Each used to list it on its
 * own; one listing of every branch serves all three, each keeping only the branch it reads.
 *
 * The one listing asks for the longest period GitHub offers (`time_period=year`): the commit
 * collector maps commits to the events of a year (an older event still claims the commits it
 * pushed), and the pushers of a PR whose first commit is months old are in it too.
 */

export const ACTIVITY_ROUTE = 'GET /repos/{owner}/{repo}/activity';

/** The one listing's parameters besides owner and repository: every branch, a year, oldest first. */
export const ACTIVITY_LISTING = { time_period: 'year', direction: 'asc', per_page: 100 } as const;

/** Why activity could not be read: the plan or the permission (each consumer records its own gap). */
export type ActivityRefusal = GitHubForbiddenError | GitHubNotFoundError;

export function isActivityRefusal(error: unknown): error is ActivityRefusal {
  return error instanceof GitHubForbiddenError || error instanceof GitHubNotFoundError;
}

/** Per collection run (its context), per repository: the one reading, or the refusal it met. */
const readings = new WeakMap<CollectContext, Map<string, Promise<readonly unknown[]>>>();

/**
 * Every activity item of the repository (every branch, a year back, oldest first), read at most
 * once per run. A refusal (403/404) is kept and thrown again to every consumer, so each records
 * the gap it records today without asking again; any other failure is not kept (the next
 * consumer tries again, as it did before the reading was shared).
 */
export function repositoryActivity(
  ctx: CollectContext,
  repo: { readonly owner: string; readonly name: string; readonly fullName: string },
): Promise<readonly unknown[]> {
  let byRepo = readings.get(ctx);
  if (!byRepo) {
    byRepo = new Map();
    readings.set(ctx, byRepo);
  }
  const kept = byRepo.get(repo.fullName);
  if (kept) return kept;
  const reading = ctx.github.paginate<unknown>(ACTIVITY_ROUTE, {
    owner: repo.owner,
    repo: repo.name,
    ...ACTIVITY_LISTING,
  });
  const memo = byRepo;
  reading.catch((error: unknown) => {
    if (!isActivityRefusal(error)) memo.delete(repo.fullName);
  });
  byRepo.set(repo.fullName, reading);
  return reading;
}

/** The items of one branch (`refs/heads/<name>`), in the listing's order, as `ref=` would list them. */
export function activityOnRef(items: readonly unknown[], ref: string): unknown[] {
  return items.filter((item) => {
    const itemRef = (item as { ref?: unknown }).ref;
    if (typeof itemRef !== 'string') return false;
    return (itemRef.startsWith('refs/') ? itemRef : `refs/heads/${itemRef}`) === ref;
  });
}
