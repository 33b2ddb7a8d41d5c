import {
  type ActivityEvent,
  mapCommitsToActivity,
  parseActivityEvents,
} from '../adapters/github/parse-branch-commits.ts';
import type { CommitData, PullRequestData } from '../evidence/documents.ts';
import type { CollectContext, RepoRef } from './context.ts';
import { ACTIVITY_ROUTE, isActivityRefusal, repositoryActivity } from './repository-activity.ts';

/**
 * Who pushed each commit of a merged PR to its head branch. A commit's author and committer are
 * what git says; the person who pushed it is what GitHub saw, and only repository activity
 * (`GET /repos/{o}/{r}/activity`, each push with its branch and `actor`) shows it. A reviewer who
 * pushed the last commit reviewed their own code. No policy is applied here.
 *
 * The pushes come from the run's one reading of the repository's activity (every branch, newest
 * first, a year at most: see repository-activity.ts), shared with the commit and override
 * collectors, read back to the oldest PR's creation or first commit date. A commit dated later
 * than it was pushed (git dates are the writer's) can fall outside that: its pusher is then
 * unknown, which makes the approval rules unknown, never pass.
 */

export const BRANCH_ACTIVITY_ROUTE = ACTIVITY_ROUTE;

type PushesByBranch = ReadonlyMap<string, readonly ActivityEvent[]>;

/** Pushes of one repository, grouped by branch once and kept for the PRs that follow. */
export class BranchPushes {
  private grouped: { readonly items: number; readonly pushes: PushesByBranch } | undefined;

  constructor(
    private readonly ctx: CollectContext,
    private readonly repo: RepoRef,
  ) {}

  /** The PRs' data with `pushedBy` on every commit a push on its head branch brought. */
  async withPushers(pullRequests: readonly PullRequestData[]): Promise<PullRequestData[]> {
    if (pullRequests.length === 0) return [];
    const oldest = Math.min(
      ...pullRequests.flatMap((pr) => [
        Date.parse(pr.createdAt),
        ...pr.commits.map((commit) => Date.parse(commit.committedAt)),
      ]),
    );
    const pushes = await this.pushesSince(Number.isNaN(oldest) ? 0 : oldest);
    return pullRequests.map((pr) => attachPushers(pr, pushes));
  }

  private async pushesSince(oldest: number): Promise<PushesByBranch | Error> {
    let items: readonly unknown[];
    try {
      items = await repositoryActivity(this.ctx, this.repo, oldest);
    } catch (error: unknown) {
      if (!isActivityRefusal(error)) throw error;
      return error;
    }
    // Grouped again only when the reading grew (a later page of PRs reached further back).
    if (this.grouped?.items !== items.length)
      this.grouped = { items: items.length, pushes: pushesByBranch(items) };
    return this.grouped.pushes;
  }
}

/** Activity items grouped by branch ref, pushes and force pushes only, oldest first. */
function pushesByBranch(items: readonly unknown[]): PushesByBranch {
  const byRef = new Map<string, unknown[]>();
  for (const item of items) {
    const ref = (item as { ref?: unknown }).ref;
    if (typeof ref !== 'string') continue;
    byRef.set(ref, [...(byRef.get(ref) ?? []), item]);
  }
  const result = new Map<string, ActivityEvent[]>();
  for (const [ref, list] of byRef) {
    const pushes = parseActivityEvents(list).filter(
      (event) => event.activityType === 'push' || event.activityType === 'force_push',
    );
    if (pushes.length > 0) result.set(ref, pushes);
  }
  return result;
}

/**
 * `pushedBy` on each commit a push to the PR's head branch (up to the merge) brought. Where
 * activity could not be read, or a commit is in no push GitHub still lists (a year back at most,
 * or a fork's branch), the commit has no `pushedBy` and `completeness` says how many are unknown.
 */
export function attachPushers(data: PullRequestData, pushes: PushesByBranch | Error): PullRequestData {
  const withoutOld = data.completeness.filter((entry) => entry.field !== 'pushers');
  if (pushes instanceof Error) {
    return {
      ...data,
      completeness: [
        ...withoutOld,
        {
          field: 'pushers',
          collected: 0,
          total: data.commits.length,
          reason: `who pushed the PR's commits could not be read from repository activity (${pushes.message})`,
        },
      ],
    };
  }
  const merged = Date.parse(data.mergedAt);
  const onBranch = (pushes.get(`refs/heads/${data.headRef}`) ?? []).filter(
    (event) => Date.parse(event.timestamp) <= merged,
  );
  const pushOf = mapCommitsToActivity(data.commits, onBranch, data.headSha);
  const commits: CommitData[] = data.commits.map((commit) => {
    const pusher = pushOf.get(commit.sha)?.actor;
    const { pushedBy: _unread, ...rest } = commit;
    return pusher ? { ...rest, pushedBy: pusher } : rest;
  });
  const unknown = commits.filter((commit) => commit.pushedBy === undefined).length;
  return {
    ...data,
    commits,
    completeness:
      unknown === 0
        ? withoutOld
        : [
            ...withoutOld,
            {
              field: 'pushers',
              collected: commits.length - unknown,
              total: commits.length,
              reason: `${unknown} of the PR's commits are in no push repository activity lists for branch ${data.headRef}`,
            },
          ],
  };
}
