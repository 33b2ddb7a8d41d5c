import pLimit from 'p-limit';
import { type GitHubClient, GitHubForbiddenError, GitHubNotFoundError } from '../adapters/github/client.ts';
import { checkWindow, parseRepoName, type RepoName } from '../adapters/github/parse-collect-target.ts';
import {
  type DeploymentStatusRecord,
  type DeploymentSummary,
  parseDeploymentStatuses,
  parseDeploymentsPage,
  parseWorkflowJobs,
  parseWorkflowRun,
  type WorkflowJobSummary,
  type WorkflowRunSummary,
  workflowRunIdFromUrl,
} from '../adapters/github/parse-deployments.ts';
import { DEFAULT_PIPELINE_LOOKBACK_DAYS, type SettleTime, settleTimeOf } from '../core/settle.ts';
import type { Window } from '../core/window.ts';
import type { DeploymentData } from '../evidence/documents.ts';
import {
  type CollectContext,
  costSince,
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
const STATUSES_ROUTE = 'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses';
const RUN_ROUTE = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}';
const JOBS_ROUTE = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs';

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

  const runs = new Map<number, Promise<WorkflowRunEvidence>>();
  const settledIds = await settledDeployments(ctx, target.fullName, collectFrom, collectTo);
  let deployments = 0;
  let written = 0;
  let settled = 0;
  try {
    for await (const page of deploymentPagesNewestFirst(ctx.github, target, collectFrom)) {
      const costBefore = ctx.github.cost;
      const inRange = page.filter((d) => {
        if (Date.parse(d.createdAt) < collectFrom || Date.parse(d.createdAt) >= collectTo) return false;
        if (!settledIds.has(String(d.id))) return true;
        settled += 1;
        ctx.count('deployment', false);
        return false;
      });
      // Statuses and runs of one page are read a few at a time: the requests are independent and
      // GitHub allows concurrent REST reads well below its secondary limit of 100.
      const details = await pLimit(DETAIL_CONCURRENCY).map(inRange, (deployment) =>
        readDeploymentDetails(ctx.github, target, deployment, runs),
      );
      const pageCost = costSince(costBefore, ctx.github.cost);
      for (const [position, { deployment, statuses, runId, run }] of details.entries()) {
        let workflowRun: DeploymentData['workflowRun'] = null;
        if (run?.kind === 'found') workflowRun = { ...run.run, jobs: run.jobs };
        else if (run?.kind === 'unreadable') {
          ctx.recordGap({
            withholds: 'workflow-runs',
            repo: target.fullName,
            reason: `deployment ${deployment.id}: workflow run ${runId} could not be read (${run.reason}); the deployment is recorded without it`,
          });
        }
        const data: DeploymentData = { ...deployment, statuses, workflowRun };
        const recorded = await storeEvidence(ctx, {
          kind: 'deployment',
          repo: target.fullName,
          itemId: String(deployment.id),
          occurredAt: deployment.createdAt,
          provenance: provenanceOf(ctx, {
            source: 'github-rest',
            request: [
              DEPLOYMENTS_ROUTE,
              STATUSES_ROUTE,
              ...(runId === undefined ? [] : [RUN_ROUTE, JOBS_ROUTE]),
            ].join('; '),
            parameters: {
              owner: target.owner,
              repo: target.name,
              deployment_id: deployment.id,
              ...(runId === undefined ? {} : { run_id: runId }),
            },
            apiCost: shareOfCost(pageCost, details.length, position),
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
    }
  } catch (error: unknown) {
    // A credential without read access to deployments is a gap in the evidence, not a crash.
    if (!(error instanceof GitHubForbiddenError)) throw error;
    ctx.recordGap({
      withholds: 'deployments',
      repo: target.fullName,
      reason: `deployments could not be read (${error.message}); ${deployments} were stored before the refusal`,
    });
  }
  return { deployments, written, settled };
}

const DETAIL_CONCURRENCY = 8;

interface DeploymentDetails {
  readonly deployment: DeploymentSummary;
  readonly statuses: DeploymentStatusRecord[];
  readonly runId: number | undefined;
  readonly run: WorkflowRunEvidence | undefined;
}

async function readDeploymentDetails(
  github: GitHubClient,
  target: RepoName,
  deployment: DeploymentSummary,
  runs: Map<number, Promise<WorkflowRunEvidence>>,
): Promise<DeploymentDetails> {
  const statuses = parseDeploymentStatuses(
    await github.paginate<unknown>(STATUSES_ROUTE, {
      owner: target.owner,
      repo: target.name,
      deployment_id: deployment.id,
      per_page: PAGE_SIZE,
    }),
  );
  const runId = latestRunId(statuses);
  if (runId === undefined) return { deployment, statuses, runId, run: undefined };
  // Staging, canary and production deployments of one pipeline often share a run: read it once.
  let pending = runs.get(runId);
  if (!pending) {
    pending = fetchWorkflowRun(github, target, runId);
    runs.set(runId, pending);
  }
  return { deployment, statuses, runId, run: await pending };
}

/**
 * GitHub lists deployments newest first and has no time filter, so paging stops at the first
 * page that reaches past the start of what we collect.
 */
async function* deploymentPagesNewestFirst(
  github: GitHubClient,
  target: RepoName,
  collectFrom: number,
): AsyncGenerator<DeploymentSummary[]> {
  for (let page = 1; ; page += 1) {
    const response = await github.rest<unknown>(DEPLOYMENTS_ROUTE, {
      owner: target.owner,
      repo: target.name,
      per_page: PAGE_SIZE,
      page,
    });
    const deployments = parseDeploymentsPage(response.data);
    yield deployments;
    const oldest = deployments.at(-1);
    if (deployments.length < PAGE_SIZE || !oldest || Date.parse(oldest.createdAt) < collectFrom) return;
  }
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

/** A run deleted by retention or unreadable with the token's permissions is a gap, not a failure. */
async function fetchWorkflowRun(
  github: GitHubClient,
  target: RepoName,
  runId: number,
): Promise<WorkflowRunEvidence> {
  const params = { owner: target.owner, repo: target.name, run_id: runId };
  try {
    const run = parseWorkflowRun((await github.rest<unknown>(RUN_ROUTE, params)).data);
    const jobs = parseWorkflowJobs(
      await github.paginate<unknown>(JOBS_ROUTE, { ...params, per_page: PAGE_SIZE }, { itemsKey: 'jobs' }),
    );
    return { kind: 'found', run, jobs };
  } catch (error: unknown) {
    if (error instanceof GitHubNotFoundError)
      return { kind: 'unreadable', reason: 'not found: deleted or expired' };
    if (error instanceof GitHubForbiddenError)
      return { kind: 'unreadable', reason: 'forbidden: no Actions read permission' };
    throw error;
  }
}

/** Ids of the deployments in range already stored with a final status that is a day old. */
async function settledDeployments(
  ctx: CollectContext,
  repo: string,
  from: number,
  to: number,
): Promise<Set<string>> {
  const stored = await ctx.index.queryRepo(repo, {
    kind: 'deployment',
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
  });
  const settledBefore = ctx.clock().getTime() - SETTLED_AFTER_MS;
  return new Set(
    stored
      .filter((entry) => {
        const state = entry.attributes?.state;
        const lastStatusAt = entry.attributes?.lastStatusAt;
        return (
          typeof state === 'string' &&
          FINAL_STATES.has(state) &&
          typeof lastStatusAt === 'string' &&
          Date.parse(lastStatusAt) < settledBefore
        );
      })
      .map((entry) => entry.itemId),
  );
}
