import {
  type GitHubClient,
  GitHubForbiddenError,
  GitHubNotFoundError,
  nextLink,
} from '../adapters/github/client.ts';
import { checkWindow, parseRepoName, type RepoName } from '../adapters/github/parse-collect-target.ts';
import {
  type DeploymentStatusRecord,
  type JobsPage,
  type ListedDeployment,
  type ListedWorkflowRun,
  parseDeploymentListing,
  parseDeploymentStatusesNodes,
  parseDeploymentStatusesPage,
  parseListedWorkflowRun,
  parseWorkflowRunJobsNodes,
  parseWorkflowRunJobsPage,
  parseWorkflowRunsPage,
  type StatusesPage,
  statusesOldestFirst,
  type WorkflowJobSummary,
  type WorkflowRunSummary,
  workflowRunIdFromUrl,
} from '../adapters/github/parse-deployments.ts';
import {
  DEPLOYMENT_STATUSES_PAGE_QUERY,
  DEPLOYMENT_STATUSES_QUERY,
  NODES_PER_QUERY,
  WORKFLOW_RUN_JOBS_PAGE_QUERY,
  WORKFLOW_RUN_JOBS_QUERY,
} from '../adapters/github/queries/deployments.ts';
import { DEFAULT_PIPELINE_LOOKBACK_DAYS, type SettleTime, settleTimeOf } from '../core/settle.ts';
import type { Window } from '../core/window.ts';
import type { DeploymentData } from '../evidence/documents.ts';
import {
  type CollectContext,
  costSince,
  graphqlRequestName,
  provenanceOf,
  type RepoRef,
  shareOfCost,
  storeEvidence,
} from './context.ts';

/**
 * Collects every GitHub deployment of one repository created in the window — with all its
 * statuses and the Actions run behind it — as one `deployment` document per deployment
 * (itemId = deployment id, occurredAt = creation time). No policy is applied here.
 *
 * Actions logs expire (90 days by default), so the document copies what the run proves —
 * states, times, actors, job outcomes — rather than linking to a log an auditor cannot open
 * a year later.
 *
 * Read in bulk, never one request per deployment: the REST listing (100 a page; only REST has
 * `production_environment` and the app that deployed), the statuses of 100 deployments per
 * GraphQL `nodes(ids:)` query, the runs of the repository from one REST listing of its runs
 * (100 a page; only REST has a run's actor, triggering actor and attempt), and the jobs of 100
 * runs per GraphQL query on their check suites. A cursor remembers how far back the listing was
 * read, so the next run reads only the newest page plus whatever was still moving.
 */

/**
 * Deployments created this long before the window are read too: the staging and canary runs of
 * an early production deployment (controls.md: up to 14 days back), and the previous good
 * deployment ROLLBACK needs. Ones already stored with a final status cost no request beyond
 * the listing page.
 */
export const DEPLOYMENT_LOOKBACK_MS = DEFAULT_PIPELINE_LOOKBACK_DAYS * 24 * 60 * 60 * 1000;

const PAGE_SIZE = 100;
const DEPLOYMENTS_ROUTE = 'GET /repos/{owner}/{repo}/deployments';
const RUNS_ROUTE = 'GET /repos/{owner}/{repo}/actions/runs';
const RUN_ROUTE = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}';
/** GitHub's run listing serves at most 1,000 runs for a search (`created:` is one). */
const RUN_SEARCH_CAP = 1000;
/** Runs are listed from this long before the first deployment collected (a run starts before it deploys). */
const RUN_LEAD_MS = 24 * 60 * 60 * 1000;
/** The deployments cursor (per repository): how far back the listing was read, and when. */
export const DEPLOYMENTS_CURSOR = 'deployments';
/** The newest deployments are listed again this far before the last run (clock skew). */
const CURSOR_OVERLAP_MS = 60 * 60 * 1000;

/**
 * A deployment whose last status is final and older than this is settled: its statuses and
 * workflow run are not read again. A day is far beyond the rollback window (60 minutes by
 * default), so nothing a later status could add changes a verdict; daily runs then spend
 * requests only on new and still-moving deployments.
 */
export const SETTLED_AFTER_MS = 24 * 60 * 60 * 1000;
const FINAL_STATES = new Set(['success', 'failure', 'error', 'inactive']);

export interface CollectDeploymentsResult {
  /** Deployments read and stored (written or unchanged). */
  readonly deployments: number;
  readonly written: number;
  /** Deployments already stored with a final status, not read again. */
  readonly settled: number;
}

export async function collectDeployments(
  ctx: CollectContext,
  repo: string | RepoRef,
  window: Pick<Window, 'from' | 'to'>,
  settle?: SettleTime,
): Promise<CollectDeploymentsResult> {
  const target = parseRepoName(typeof repo === 'string' ? repo : repo.fullName, ctx.org);
  checkWindow(window, ctx.clock());
  const collectFrom = Date.parse(window.from) - DEPLOYMENT_LOOKBACK_MS;
  // Past the window up to its settle time (or now, if sooner): a change merged on the 31st and
  // deployed on the 1st is shipped by that deployment.
  const collectTo = Math.min(Date.parse(settleTimeOf(window, settle)), ctx.clock().getTime() + 1);
  const syncedAt = ctx.clock().toISOString();

  const stored = await storedDeployments(ctx, target.fullName, collectFrom, collectTo);
  const cursor = parseDeploymentsCursor(
    (await ctx.index.getCursor(DEPLOYMENTS_CURSOR, target.fullName))?.position,
  );
  // Listed back to `collectFrom`, unless an earlier run listed that far already, up to its own
  // time: then only back to that time (less an overlap) and to the oldest deployment that was
  // still moving. Deployments are created at GitHub's clock, never back-dated.
  const incremental =
    cursor !== undefined &&
    Date.parse(cursor.from) <= collectFrom &&
    Date.parse(cursor.to) > Date.parse(cursor.syncedAt);
  const listBackTo =
    incremental && cursor
      ? Math.max(collectFrom, Math.min(Date.parse(cursor.syncedAt) - CURSOR_OVERLAP_MS, stored.oldestMoving))
      : collectFrom;

  let deployments = 0;
  let written = 0;
  let settled = 0;
  const costBefore = ctx.github.cost;
  try {
    const listed: ListedDeployment[] = [];
    for await (const page of deploymentPagesNewestFirst(ctx.github, target, listBackTo)) {
      for (const entry of page) {
        const created = Date.parse(entry.deployment.createdAt);
        if (created < listBackTo || created >= collectTo) continue;
        if (stored.settled.has(String(entry.deployment.id))) {
          settled += 1;
          ctx.count('deployment', false);
          continue;
        }
        listed.push(entry);
      }
    }
    const statuses = await readStatuses(ctx.github, listed);
    const runIds = new Map<number, number>();
    for (const entry of listed) {
      const runId = latestRunId(statuses.get(entry.nodeId) ?? []);
      if (runId !== undefined) runIds.set(entry.deployment.id, runId);
    }
    // From a fixed point of the window, so the listing's URL is the same night after night.
    const runs = await readRuns(
      ctx.github,
      target,
      new Set(runIds.values()),
      collectFrom - RUN_LEAD_MS,
      collectTo,
    );
    const cost = costSince(costBefore, ctx.github.cost);
    for (const [position, { deployment, nodeId }] of listed.entries()) {
      const runId = runIds.get(deployment.id);
      const run = runId === undefined ? undefined : runs.get(runId);
      let workflowRun: DeploymentData['workflowRun'] = null;
      if (run?.kind === 'found') workflowRun = { ...run.run, jobs: run.jobs };
      else if (run?.kind === 'unreadable') {
        ctx.recordGap({
          withholds: 'workflow-runs',
          repo: target.fullName,
          reason: `deployment ${deployment.id}: workflow run ${runId} could not be read (${run.reason}); the deployment is recorded without it`,
        });
      }
      const deploymentStatuses = statuses.get(nodeId);
      if (deploymentStatuses === undefined) {
        // Listed, then gone (deleted) before its statuses were read: never stored as status-less.
        ctx.recordGap({
          withholds: 'deployments',
          repo: target.fullName,
          reason: `deployment ${deployment.id}: GitHub no longer returns its statuses (deleted since it was listed); not stored`,
        });
        continue;
      }
      const data: DeploymentData = { ...deployment, statuses: deploymentStatuses, workflowRun };
      const recorded = await storeEvidence(ctx, {
        kind: 'deployment',
        repo: target.fullName,
        itemId: String(deployment.id),
        occurredAt: deployment.createdAt,
        provenance: provenanceOf(ctx, {
          source: 'github-rest',
          request: [
            DEPLOYMENTS_ROUTE,
            graphqlRequestName('DeploymentStatuses', DEPLOYMENT_STATUSES_QUERY),
            ...(runId === undefined
              ? []
              : [RUNS_ROUTE, graphqlRequestName('WorkflowRunJobs', WORKFLOW_RUN_JOBS_QUERY)]),
          ].join('; '),
          parameters: {
            owner: target.owner,
            repo: target.name,
            deployment_id: deployment.id,
            node_id: nodeId,
            ...(runId === undefined ? {} : { run_id: runId }),
          },
          apiCost: shareOfCost(cost, listed.length, position),
        }),
        data,
      });
      deployments += 1;
      if (recorded.written) written += 1;
      ctx.progress({
        type: 'item',
        repo: target.fullName,
        kind: 'deployments',
        itemId: String(deployment.id),
      });
    }
  } catch (error: unknown) {
    // A credential without read access to deployments is a gap in the evidence, not a crash.
    if (!(error instanceof GitHubForbiddenError)) throw error;
    ctx.recordGap({
      withholds: 'deployments',
      repo: target.fullName,
      reason: `deployments could not be read (${error.message}); ${deployments} were stored before the refusal`,
    });
    return { deployments, written, settled };
  }
  // Written only once every deployment listed is stored (a run stopped earlier lists them all
  // again), and only by a run that reaches the present: a past period's run leaves it alone.
  if (collectTo > Date.parse(syncedAt)) {
    const cursorValue: DeploymentsCursor = {
      from: incremental && cursor ? cursor.from : new Date(collectFrom).toISOString(),
      to: new Date(collectTo).toISOString(),
      syncedAt,
    };
    await ctx.index.putCursor({
      collector: DEPLOYMENTS_CURSOR,
      repo: target.fullName,
      position: JSON.stringify(cursorValue),
      updatedAt: syncedAt,
    });
  }
  return { deployments, written, settled };
}

/** Every deployment created in `[from, to)` was listed at `syncedAt` (and stored, unless settled). */
interface DeploymentsCursor {
  readonly from: string;
  readonly to: string;
  readonly syncedAt: string;
}

function parseDeploymentsCursor(position: string | undefined): DeploymentsCursor | undefined {
  if (position === undefined) return undefined;
  try {
    const value = JSON.parse(position) as Partial<Record<keyof DeploymentsCursor, unknown>>;
    const times = [value.from, value.to, value.syncedAt];
    if (!times.every((time) => typeof time === 'string' && !Number.isNaN(Date.parse(time)))) return undefined;
    return { from: value.from as string, to: value.to as string, syncedAt: value.syncedAt as string };
  } catch {
    return undefined; // An unreadable cursor only costs a full listing.
  }
}

/**
 * GitHub lists deployments newest first and has no time filter, so paging stops at the first
 * page that reaches past `backTo`.
 */
async function* deploymentPagesNewestFirst(
  github: GitHubClient,
  target: RepoName,
  backTo: number,
): AsyncGenerator<ListedDeployment[]> {
  for (let page = 1; ; page += 1) {
    const response = await github.rest<unknown>(DEPLOYMENTS_ROUTE, {
      owner: target.owner,
      repo: target.name,
      per_page: PAGE_SIZE,
      page,
    });
    const deployments = parseDeploymentListing(response.data);
    yield deployments;
    const oldest = deployments.at(-1);
    if (deployments.length < PAGE_SIZE || !oldest || Date.parse(oldest.deployment.createdAt) < backTo) return;
  }
}

/** Every status of every listed deployment (oldest first), by node id: 100 deployments a query. */
async function readStatuses(
  github: GitHubClient,
  listed: readonly ListedDeployment[],
): Promise<Map<string, DeploymentStatusRecord[]>> {
  const statuses = new Map<string, DeploymentStatusRecord[]>();
  for (let i = 0; i < listed.length; i += NODES_PER_QUERY) {
    const ids = listed.slice(i, i + NODES_PER_QUERY).map((entry) => entry.nodeId);
    const pages = await firstPages(github, ids, DEPLOYMENT_STATUSES_QUERY, parseDeploymentStatusesNodes);
    for (const [id, first] of pages) {
      const all = [...first.statuses];
      let page: StatusesPage = first;
      while (page.hasNextPage && page.endCursor) {
        page = parseDeploymentStatusesPage(
          await github.graphql<unknown>(DEPLOYMENT_STATUSES_PAGE_QUERY, { id, after: page.endCursor }),
        );
        all.push(...page.statuses);
      }
      statuses.set(id, statusesOldestFirst(all));
    }
  }
  return statuses;
}

/**
 * The first page for each id of one `nodes(ids:)` query. GitHub answers the whole query with an
 * error when one id no longer resolves (a deployment deleted since it was listed): then each id
 * is asked alone, and the ones GitHub no longer has are left out.
 */
async function firstPages<P>(
  github: GitHubClient,
  ids: readonly string[],
  query: string,
  parse: (json: unknown) => Map<string, P>,
): Promise<Map<string, P>> {
  if (ids.length === 0) return new Map();
  try {
    return parse(await github.graphql<unknown>(query, { ids }));
  } catch (error: unknown) {
    if (!(error instanceof GitHubNotFoundError) || ids.length === 1) {
      if (error instanceof GitHubNotFoundError) return new Map();
      throw error;
    }
  }
  const pages = new Map<string, P>();
  for (const id of ids)
    for (const [key, page] of await firstPages(github, [id], query, parse)) pages.set(key, page);
  return pages;
}

/** The run named by the newest status that links one (a re-run's attempt supersedes the first). */
function latestRunId(statuses: readonly DeploymentStatusRecord[]): number | undefined {
  for (let i = statuses.length - 1; i >= 0; i -= 1) {
    const runId = workflowRunIdFromUrl(statuses[i]?.logUrl ?? null);
    if (runId !== undefined) return runId;
  }
  return undefined;
}

type WorkflowRunEvidence =
  | { readonly kind: 'found'; readonly run: WorkflowRunSummary; readonly jobs: WorkflowJobSummary[] }
  | { readonly kind: 'unreadable'; readonly reason: string };

/**
 * The runs behind the deployments with their jobs. Runs come from the repository's run listing
 * over `[from, to)` (100 a page; a range holding more than GitHub's 1,000-run search cap is
 * halved); a run the listing does not show (created earlier) is read on its own. A run GitHub no
 * longer has (404) or will not show (403) is a gap, not a failure.
 */
async function readRuns(
  github: GitHubClient,
  target: RepoName,
  wanted: ReadonlySet<number>,
  from: number,
  to: number,
): Promise<Map<number, WorkflowRunEvidence>> {
  const result = new Map<number, WorkflowRunEvidence>();
  if (wanted.size === 0) return result;
  const listed = new Map<number, ListedWorkflowRun>();
  try {
    for (const run of await listWantedRuns(github, target, wanted, from, to)) listed.set(run.run.id, run);
  } catch (error: unknown) {
    if (!(error instanceof GitHubForbiddenError)) throw error;
    for (const id of wanted)
      result.set(id, { kind: 'unreadable', reason: 'forbidden: no Actions read permission' });
    return result;
  }
  for (const id of wanted) {
    if (listed.has(id)) continue;
    try {
      const response = await github.rest<unknown>(RUN_ROUTE, {
        owner: target.owner,
        repo: target.name,
        run_id: id,
      });
      listed.set(id, parseListedWorkflowRun(response.data));
    } catch (error: unknown) {
      if (error instanceof GitHubNotFoundError)
        result.set(id, { kind: 'unreadable', reason: 'not found: deleted or expired' });
      else if (error instanceof GitHubForbiddenError)
        result.set(id, { kind: 'unreadable', reason: 'forbidden: no Actions read permission' });
      else throw error;
    }
  }
  const suites = [...listed.values()].flatMap((run) => (run.checkSuiteNodeId ? [run.checkSuiteNodeId] : []));
  const jobs = await readJobs(github, suites);
  for (const [id, run] of listed) {
    const runJobs = run.checkSuiteNodeId ? jobs.get(run.checkSuiteNodeId) : undefined;
    // A run whose jobs GitHub would not give is no run without jobs: it is unread evidence.
    if (runJobs === undefined)
      result.set(id, { kind: 'unreadable', reason: 'its jobs (check suite) could not be read' });
    else result.set(id, { kind: 'found', run: run.run, jobs: runJobs });
  }
  return result;
}

/**
 * The wanted runs among those created since `from`, newest first, stopping at the page that
 * holds the last of them. The URL names no end (`created:>=…`), so the next night asks for the
 * same first page, conditionally, and is answered 304 when no run was added. Past GitHub's
 * 1,000-run search cap the range is read in bounded halves instead.
 */
async function listWantedRuns(
  github: GitHubClient,
  target: RepoName,
  wanted: ReadonlySet<number>,
  from: number,
  to: number,
): Promise<ListedWorkflowRun[]> {
  const found: ListedWorkflowRun[] = [];
  const missing = new Set(wanted);
  let response = await github.rest<unknown>(RUNS_ROUTE, {
    owner: target.owner,
    repo: target.name,
    created: `>=${isoSeconds(from)}`,
    per_page: PAGE_SIZE,
  });
  let page = parseWorkflowRunsPage(response.data);
  if (page.totalCount > RUN_SEARCH_CAP)
    return (await listRuns(github, target, from, to)).filter((run) => wanted.has(run.run.id));
  for (;;) {
    for (const run of page.runs) {
      if (missing.delete(run.run.id)) found.push(run);
    }
    const next = nextLink(response.headers.link);
    if (missing.size === 0 || !next) return found;
    response = await github.rest<unknown>(`GET ${next}`);
    page = parseWorkflowRunsPage(response.data);
  }
}

/** The repository's runs created in `[from, to)`, every page; halved while GitHub's cap would cut it. */
async function listRuns(
  github: GitHubClient,
  target: RepoName,
  from: number,
  to: number,
): Promise<ListedWorkflowRun[]> {
  const created = `${isoSeconds(from)}..${isoSeconds(to - 1000)}`;
  let response = await github.rest<unknown>(RUNS_ROUTE, {
    owner: target.owner,
    repo: target.name,
    created,
    per_page: PAGE_SIZE,
  });
  let page = parseWorkflowRunsPage(response.data);
  if (page.totalCount > RUN_SEARCH_CAP && to - from > 2000) {
    const middle = from + Math.floor((to - from) / 2000) * 1000;
    return [
      ...(await listRuns(github, target, middle, to)),
      ...(await listRuns(github, target, from, middle)),
    ];
  }
  const runs = [...page.runs];
  for (let next = nextLink(response.headers.link); next; next = nextLink(response.headers.link)) {
    response = await github.rest<unknown>(`GET ${next}`);
    page = parseWorkflowRunsPage(response.data);
    runs.push(...page.runs);
  }
  return runs;
}

/** `created:` bounds at second precision, inclusive, as GitHub's search takes them. */
function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** Every job of every run, by its check suite's node id: 100 suites a query. */
async function readJobs(
  github: GitHubClient,
  suiteIds: readonly string[],
): Promise<Map<string, WorkflowJobSummary[]>> {
  const jobs = new Map<string, WorkflowJobSummary[]>();
  const unique = [...new Set(suiteIds)];
  for (let i = 0; i < unique.length; i += NODES_PER_QUERY) {
    const pages = await firstPages(
      github,
      unique.slice(i, i + NODES_PER_QUERY),
      WORKFLOW_RUN_JOBS_QUERY,
      parseWorkflowRunJobsNodes,
    );
    for (const [id, first] of pages) {
      const all = [...first.jobs];
      let page: JobsPage = first;
      while (page.hasNextPage && page.endCursor) {
        page = parseWorkflowRunJobsPage(
          await github.graphql<unknown>(WORKFLOW_RUN_JOBS_PAGE_QUERY, { id, after: page.endCursor }),
        );
        all.push(...page.jobs);
      }
      jobs.set(id, all);
    }
  }
  return jobs;
}

/**
 * The deployments in range already stored: the ids of those settled (a final status a day old),
 * and the creation time of the oldest one still moving (+∞ when none).
 */
async function storedDeployments(
  ctx: CollectContext,
  repo: string,
  from: number,
  to: number,
): Promise<{ settled: Set<string>; oldestMoving: number }> {
  const stored = await ctx.index.queryRepo(repo, {
    kind: 'deployment',
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
  });
  const settledBefore = ctx.clock().getTime() - SETTLED_AFTER_MS;
  const settled = new Set<string>();
  let oldestMoving = Number.POSITIVE_INFINITY;
  for (const entry of stored) {
    const state = entry.attributes?.state;
    const lastStatusAt = entry.attributes?.lastStatusAt;
    const isSettled =
      typeof state === 'string' &&
      FINAL_STATES.has(state) &&
      typeof lastStatusAt === 'string' &&
      Date.parse(lastStatusAt) < settledBefore;
    if (isSettled) settled.add(entry.itemId);
    else oldestMoving = Math.min(oldestMoving, Date.parse(entry.occurredAt));
  }
  return { settled, oldestMoving };
}
