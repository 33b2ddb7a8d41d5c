import { GitHubForbiddenError, GitHubNotFoundError } from '../adapters/github/client.ts';
import { parseCommitCheckRuns, parseCommitStatuses } from '../adapters/github/parse-checks.ts';
import type { CheckData, PullRequestData } from '../evidence/documents.ts';
import type { CollectContext, RepoRef } from './context.ts';

/**
 * Every run of every check on a merged PR's head commit, and every status posted on it.
 * GitHub's statusCheckRollup (read with the PR) shows only the latest run of each check and the
 * latest status of each context, so a re-run after the merge would replace the run that passed
 * before it. The commit's check runs with `filter=all` (every suite's) and its statuses keep
 * every run. No policy is applied here.
 */

export const COMMIT_CHECK_RUNS_ROUTE = 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs';
export const COMMIT_STATUSES_ROUTE = 'GET /repos/{owner}/{repo}/commits/{ref}/statuses';

/**
 * The PR's data with its head commit's checks read whole through REST. Where the token cannot
 * read those lists, the rollup's checks stay and the document says, in `completeness`, that
 * earlier runs are missing (CI-PASSED then reads the checks as incomplete: unknown).
 */
export async function withEveryCheckRun(
  ctx: CollectContext,
  repo: RepoRef,
  data: PullRequestData,
): Promise<PullRequestData> {
  const ref = data.headSha;
  const onHead = data.checks.filter((check) => check.commitSha === ref);
  // The rollup lists the latest run of every check and status: none there, none at all.
  if (onHead.length === 0) return data;
  // Every latest run and status started and finished before the merge: nothing ran after it, so
  // the rollup is the head commit's checks as they stood at the merge (attempts it hides were
  // superseded before the merge too). The REST lists are read only where a run or status is
  // later than the merge or still going, the one case where the rollup can hide what passed
  // before it: three REST requests a PR saved on GitHub's budget, none of the evidence.
  if (settledBeforeMerge(onHead, data.mergedAt)) return data;
  try {
    const hasRuns = onHead.some((check) => check.kind === 'check_run');
    // Every run of every suite of the commit in one list (each run names its suite and app):
    // one request a PR, where listing the suites and then each suite's runs took two or more.
    const runs: CheckData[] = !hasRuns
      ? []
      : parseCommitCheckRuns(
          await ctx.github.paginate<unknown>(
            COMMIT_CHECK_RUNS_ROUTE,
            { owner: repo.owner, repo: repo.name, ref, filter: 'all', per_page: 100 },
            { itemsKey: 'check_runs' },
          ),
        );
    const statuses = onHead.some((check) => check.kind === 'status')
      ? parseCommitStatuses(
          await ctx.github.paginate<unknown>(COMMIT_STATUSES_ROUTE, {
            owner: repo.owner,
            repo: repo.name,
            ref,
            per_page: 100,
          }),
          ref,
        )
      : [];
    // Checks of other commits (none today) stay; the head commit's are the REST lists' alone.
    const others = data.checks.filter((check) => check.commitSha !== ref);
    const byTime = (a: CheckData, b: CheckData) =>
      (a.startedAt ?? a.completedAt ?? '').localeCompare(b.startedAt ?? b.completedAt ?? '') ||
      a.name.localeCompare(b.name) ||
      (a.runId ?? 0) - (b.runId ?? 0);
    return {
      ...data,
      checks: [...others, ...[...runs, ...statuses].sort(byTime)],
      completeness: data.completeness.filter((entry) => entry.field !== 'checks'),
    };
  } catch (error) {
    if (!(error instanceof GitHubForbiddenError || error instanceof GitHubNotFoundError)) throw error;
    return {
      ...data,
      completeness: [
        ...data.completeness,
        {
          field: 'checks',
          collected: onHead.length,
          total: onHead.length,
          reason: `only the latest run of each check could be read; earlier runs and re-runs could not (${error.message})`,
        },
      ],
    };
  }
}

function settledBeforeMerge(checks: readonly CheckData[], mergedAt: string | null): boolean {
  if (mergedAt === null) return false;
  const merged = Date.parse(mergedAt);
  return checks.every((check) => {
    const finished = check.completedAt ?? null;
    if (finished === null || Date.parse(finished) > merged) return false;
    return check.startedAt === null || Date.parse(check.startedAt) <= merged;
  });
}
