import { GitHubForbiddenError, GitHubNotFoundError } from '../adapters/github/client.ts';
import {
  type ActivityEvent,
  mapCommitsToActivity,
  parseActivityEvents,
} from '../adapters/github/parse-branch-commits.ts';
import type { CommitData, PullRequestData } from '../evidence/documents.ts';
import type { CollectContext, RepoRef } from './context.ts';

/**
 * Who pushed each commit of a merged PR to its head branch. A commit's author and committer are
 * what git says; the person who pushed it is what GitHub saw, and only repository activity
 * (`GET /repos/{o}/{r}/activity`, each push with its branch and `actor`) shows it. A reviewer who
 * pushed the last commit reviewed their own code. No policy is applied here.
 *
 * The pushes of a repository are read once for a batch of PRs (not once per PR): the shortest
 * `time_period` GitHub offers that reaches back to the oldest PR's first commit, every page.
 */

export const BRANCH_ACTIVITY_ROUTE = 'GET /repos/{owner}/{repo}/activity';

/** GitHub's `time_period` values and how far each reaches back from now. */
const PERIODS = [
  ['day', 1],
  ['week', 7],
  ['month', 28],
  ['quarter', 90],
  ['year', 365],
] as const;
const DAY_MS = 86_400_000;

type PushesByBranch = ReadonlyMap<string, readonly ActivityEvent[]>;

/** Pushes of one repository, read once per `time_period` and kept for the PRs that follow. */
export class BranchPushes {
  private read: { period: string; reach: number; pushes: PushesByBranch | Error } | undefined;

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
    const pushes = await this.pushesSince(oldest);
    return pullRequests.map((pr) => attachPushers(pr, pushes));
  }

  private async pushesSince(oldest: number): Promise<PushesByBranch | Error> {
    const now = this.ctx.clock().getTime();
    if (this.read && this.read.reach <= oldest) return this.read.pushes;
    const [period, days] = PERIODS.find(([, days]) => now - days * DAY_MS <= oldest) ?? PERIODS[4];
    let pushes: PushesByBranch | Error;
    try {
      const items = await this.ctx.github.paginate<unknown>(BRANCH_ACTIVITY_ROUTE, {
        owner: this.repo.owner,
        repo: this.repo.name,
        time_period: period,
        direction: 'asc',
        per_page: 100,
      });
      pushes = pushesByBranch(items);
    } catch (error) {
      if (!(error instanceof GitHubForbiddenError || error instanceof GitHubNotFoundError)) throw error;
      pushes = error;
    }
    this.read = { period, reach: now - days * DAY_MS, pushes };
    return pushes;
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
