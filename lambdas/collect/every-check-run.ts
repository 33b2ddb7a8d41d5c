import { GitHubForbiddenError, GitHubNotFoundError } from '../adapters/github/client.ts';
import { parseCommitCheckRuns, parseCommitStatuses } from '../adapters/github/parse-checks.ts';
import {
  EVERY_CHECK_RUN_COMMITS_PER_QUERY,
  everyCheckRunOf,
  everyCheckRunQuery,
} from '../adapters/github/queries/every-check-run.ts';
import type { CheckData, PullRequestData } from '../evidence/documents.ts';
import type { CollectContext, RepoRef } from './context.ts';

/**
 * Every run of every check on a merged PR's head commit, and every status posted on it.
 * GitHub's statusCheckRollup (read with the PR) shows only the latest run of each check and the
 * latest status of each context, so a re-run after the merge would replace the run that passed
 * before it. Every run of the commit's suites (GraphQL `checkSuites` → `checkRuns(filterBy:
 * { checkType: ALL })`, or REST `…/commits/{ref}/check-runs?filter=all`) and its statuses keep
 * every run. No policy is applied here.
 */

export const COMMIT_CHECK_RUNS_ROUTE = 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs';
export const COMMIT_STATUSES_ROUTE = 'GET /repos/{owner}/{repo}/commits/{ref}/statuses';

/**
 * The PRs with every check run read: the runs of the head commits that need them in one GraphQL
 * request per `EVERY_CHECK_RUN_COMMITS_PER_QUERY` commits (not one REST list
 * per PR); statuses, and any commit GraphQL did not answer whole, through REST as below.
 */
export async function withEveryCheckRuns(
  ctx: CollectContext,
  repo: RepoRef,
  pullRequests: readonly PullRequestData[],
): Promise<PullRequestData[]> {
  const shas = [
    ...new Set(
      pullRequests
        .filter((data) => needsEveryRun(data) && headChecks(data).some((check) => check.kind === 'check_run'))
        .map((data) => data.headSha),
    ),
  ];
  const runsBySha = new Map<string, CheckData[]>();
  for (let start = 0; start < shas.length; start += EVERY_CHECK_RUN_COMMITS_PER_QUERY) {
    const batch = shas.slice(start, start + EVERY_CHECK_RUN_COMMITS_PER_QUERY);
    const variables: Record<string, unknown> = { owner: repo.owner, name: repo.name };
    for (const [i, sha] of batch.entries()) variables[`oid${i}`] = sha;
    let answer: unknown;
    try {
      answer = await ctx.github.graphql<unknown>(everyCheckRunQuery(batch.length), variables);
    } catch (error) {
      // Refused, or a commit GitHub does not return: these commits are read through REST, whose
      // refusal records what the PR lacks exactly as before.
      if (!(error instanceof GitHubForbiddenError || error instanceof GitHubNotFoundError)) throw error;
      continue;
    }
    for (const [i, sha] of batch.entries()) {
      const runs = everyCheckRunOf(answer, i);
      if (runs) runsBySha.set(sha, runs);
    }
  }
  const completed: PullRequestData[] = [];
  for (const data of pullRequests)
    completed.push(await withEveryCheckRun(ctx, repo, data, runsBySha.get(data.headSha)));
  return completed;
}

function headChecks(data: PullRequestData): CheckData[] {
  return data.checks.filter((check) => check.commitSha === data.headSha);
}

/**
 * Every latest run and status started and finished before the merge: nothing ran after it, so
 * the rollup is the head commit's checks as they stood at the merge (attempts it hides were
 * superseded before the merge too). Every run is read only where a run or status is later than
 * the merge or still going, the one case where the rollup can hide what passed before it.
 */
export function needsEveryRun(data: PullRequestData): boolean {
  const onHead = headChecks(data);
  // The rollup lists the latest run of every check and status: none there, none at all.
  return onHead.length > 0 && !settledBeforeMerge(onHead, data.mergedAt);
}

/**
 * The PR's data with its head commit's checks read whole (the runs given, or through REST).
 * Where the token cannot read those lists, the rollup's checks stay and the document says, in
 * `completeness`, that earlier runs are missing (CI-PASSED then reads the checks as incomplete:
 * unknown).
 */
export async function withEveryCheckRun(
  ctx: CollectContext,
  repo: RepoRef,
  data: PullRequestData,
  /** The head commit's runs, already read (GraphQL); absent: listed here through REST. */
  knownRuns?: readonly CheckData[],
): Promise<PullRequestData> {
  const ref = data.headSha;
  const onHead = headChecks(data);
  if (!needsEveryRun(data)) return data;
  try {
    const hasRuns = onHead.some((check) => check.kind === 'check_run');
    // Every run of every suite of the commit in one list (each run names its suite and app):
    // one request a PR, where listing the suites and then each suite's runs took two or more.
    const runs: CheckData[] = !hasRuns
      ? []
      : knownRuns
        ? [...knownRuns]
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
