import { z } from 'zod';
import type { Actor } from '../../evidence/documents.ts';

/**
 * Parsers for GitHub's REST answers about deployments and the Actions runs behind them
 * (field names as in GitHub's OpenAPI description). Each turns one payload into a domain value;
 * nothing past this file sees raw JSON.
 */

const restTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO-8601 time');
const restSha = z.string().regex(/^[0-9a-f]{40}$/, 'a 40-character lowercase hex SHA');

const simpleUserSchema = z.object({ login: z.string(), type: z.string().optional() }).nullable().optional();
const appSchema = z.object({ slug: z.string().nullable().optional() }).nullable().optional();

/** Times are stored as `Date#toISOString()`, whatever precision GitHub sent, so equal facts hash equally. */
export function isoUtc(value: string | number): string {
  return new Date(value).toISOString();
}

function actorOf(user: z.infer<typeof simpleUserSchema>): Actor | null {
  return user ? { login: user.login, type: user.type ?? 'User' } : null;
}

const restDeploymentSchema = z.object({
  id: z.number().int(),
  sha: restSha,
  ref: z.string(),
  environment: z.string(),
  production_environment: z.boolean().optional(),
  creator: simpleUserSchema,
  performed_via_github_app: appSchema,
  created_at: restTime,
  description: z.string().nullable().optional(),
});

export interface DeploymentSummary {
  readonly id: number;
  readonly sha: string;
  readonly ref: string;
  readonly environment: string;
  readonly productionEnvironment: boolean;
  readonly creator: Actor | null;
  readonly performedViaApp: string | null;
  readonly createdAt: string;
}

/** One page of `GET /repos/{owner}/{repo}/deployments` (newest first). */
export function parseDeploymentsPage(json: unknown): DeploymentSummary[] {
  return z
    .array(restDeploymentSchema)
    .parse(json)
    .map((d) => ({
      id: d.id,
      sha: d.sha,
      ref: d.ref,
      environment: d.environment,
      // GitHub omits the flag for environments it does not know as production; absent = false.
      productionEnvironment: d.production_environment ?? false,
      creator: actorOf(d.creator),
      performedViaApp: d.performed_via_github_app?.slug ?? null,
      createdAt: isoUtc(d.created_at),
    }));
}

const restDeploymentStatusSchema = z.object({
  state: z.string(),
  created_at: restTime,
  creator: simpleUserSchema,
  description: z.string().nullable().optional(),
  log_url: z.string().nullable().optional(),
  target_url: z.string().nullable().optional(),
});

export interface DeploymentStatusRecord {
  readonly state: string;
  readonly createdAt: string;
  readonly creator: Actor | null;
  /** `log_url`, or the older `target_url` when GitHub has no log URL. */
  readonly logUrl: string | null;
  readonly description: string | null;
}

/**
 * `GET /repos/{owner}/{repo}/deployments/{id}/statuses`, all pages. GitHub lists newest first;
 * the evidence keeps them oldest first (ties keep GitHub's order reversed), the order a reader
 * follows a deployment's life in.
 */
export function parseDeploymentStatuses(json: unknown): DeploymentStatusRecord[] {
  const parsed = z.array(restDeploymentStatusSchema).parse(json);
  return oldestFirst(
    parsed.map((s) => ({
      state: s.state,
      createdAt: isoUtc(s.created_at),
      creator: actorOf(s.creator),
      logUrl: nonEmpty(s.log_url) ?? nonEmpty(s.target_url) ?? null,
      description: nonEmpty(s.description) ?? null,
    })),
  );
}

/** GitHub's newest-first list, oldest first (ties keep GitHub's order reversed). */
function oldestFirst(statuses: readonly DeploymentStatusRecord[]): DeploymentStatusRecord[] {
  return statuses
    .map((status, position) => ({ status, position }))
    .sort(
      (a, b) => Date.parse(a.status.createdAt) - Date.parse(b.status.createdAt) || b.position - a.position,
    )
    .map(({ status }) => status);
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

const RUN_URL = /\/actions\/runs\/(\d+)(?:[/?#]|$)/;

/** The Actions run id in a status's log URL (`…/actions/runs/<id>[/job/…]`), or undefined. */
export function workflowRunIdFromUrl(url: string | null): number | undefined {
  if (!url) return undefined;
  const match = RUN_URL.exec(url);
  return match?.[1] ? Number(match[1]) : undefined;
}

const restWorkflowRunSchema = z.object({
  id: z.number().int(),
  name: z.string().nullable().optional(),
  head_sha: restSha,
  run_attempt: z.number().int().optional(),
  event: z.string().nullable().optional(),
  status: z.string().nullable().optional(),
  conclusion: z.string().nullable().optional(),
  actor: simpleUserSchema,
  triggering_actor: simpleUserSchema,
  created_at: restTime,
  updated_at: restTime,
});

export interface WorkflowRunSummary {
  readonly id: number;
  readonly name: string | null;
  readonly runAttempt: number;
  readonly actor: string | null;
  readonly triggeringActor: string | null;
  readonly event: string | null;
  readonly status: string | null;
  readonly conclusion: string | null;
  readonly headSha: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `GET /repos/{owner}/{repo}/actions/runs/{run_id}`. */
export function parseWorkflowRun(json: unknown): WorkflowRunSummary {
  const run = restWorkflowRunSchema.parse(json);
  return {
    id: run.id,
    name: run.name ?? null,
    runAttempt: run.run_attempt ?? 1,
    actor: run.actor?.login ?? null,
    triggeringActor: run.triggering_actor?.login ?? null,
    event: run.event ?? null,
    status: run.status ?? null,
    conclusion: run.conclusion ?? null,
    headSha: run.head_sha,
    createdAt: isoUtc(run.created_at),
    updatedAt: isoUtc(run.updated_at),
  };
}

const restJobSchema = z.object({
  name: z.string(),
  status: z.string().nullable().optional(),
  conclusion: z.string().nullable().optional(),
  started_at: restTime.nullable().optional(),
  completed_at: restTime.nullable().optional(),
});

export interface WorkflowJobSummary {
  readonly name: string;
  readonly status: string | null;
  readonly conclusion: string | null;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
}

/** The `jobs` of every page of `GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs`. */
export function parseWorkflowJobs(json: unknown): WorkflowJobSummary[] {
  return z
    .array(restJobSchema)
    .parse(json)
    .map((job) => ({
      name: job.name,
      status: job.status ?? null,
      conclusion: job.conclusion ?? null,
      startedAt: job.started_at ? isoUtc(job.started_at) : null,
      completedAt: job.completed_at ? isoUtc(job.completed_at) : null,
    }));
}

// --- Bulk reading: REST listings with node ids, GraphQL `nodes(ids:)` for statuses and jobs ---

/** A deployment of the REST listing with the id GraphQL knows it by. */
export interface ListedDeployment {
  readonly deployment: DeploymentSummary;
  readonly nodeId: string;
}

/** One page of `GET /repos/{owner}/{repo}/deployments` (newest first), with each `node_id`. */
export function parseDeploymentListing(json: unknown): ListedDeployment[] {
  const rows = z.array(z.object({ node_id: z.string().min(1) })).parse(json);
  return parseDeploymentsPage(json).map((deployment, i) => ({
    deployment,
    nodeId: (rows[i] as { node_id: string }).node_id,
  }));
}

const pageInfoSchema = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });

const graphStatusSchema = z.object({
  state: z.string(),
  createdAt: restTime,
  description: z.string().nullable(),
  logUrl: z.string().nullable(),
  creator: z.object({ login: z.string(), __typename: z.string() }).nullable(),
});

const statusConnectionSchema = z.object({
  totalCount: z.number().int(),
  pageInfo: pageInfoSchema,
  nodes: z.array(graphStatusSchema),
});

/**
 * GraphQL spells an app's bot `deploy-bot` (a `Bot`), REST `deploy-bot[bot]`: the evidence keeps
 * REST's spelling, so that a document does not change with the API it was read through.
 */
function graphActor(actor: { login: string; __typename: string } | null): Actor | null {
  if (!actor) return null;
  if (actor.__typename === 'Bot')
    return { login: actor.login.endsWith('[bot]') ? actor.login : `${actor.login}[bot]`, type: 'Bot' };
  return { login: actor.login, type: actor.__typename };
}

/** One page of one deployment's statuses, GitHub's order (newest first). */
export interface StatusesPage {
  readonly statuses: DeploymentStatusRecord[];
  readonly totalCount: number;
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

function statusesPageOf(connection: z.infer<typeof statusConnectionSchema>): StatusesPage {
  return {
    statuses: connection.nodes.map((s) => ({
      // GraphQL's enum (`IN_PROGRESS`) is REST's state (`in_progress`) in capitals.
      state: s.state.toLowerCase(),
      createdAt: isoUtc(s.createdAt),
      creator: graphActor(s.creator),
      logUrl: nonEmpty(s.logUrl) ?? null,
      description: nonEmpty(s.description) ?? null,
    })),
    totalCount: connection.totalCount,
    hasNextPage: connection.pageInfo.hasNextPage,
    endCursor: connection.pageInfo.endCursor,
  };
}

/** `DeploymentStatuses`: node id -> the first page of its statuses (a node GitHub no longer has is absent). */
export function parseDeploymentStatusesNodes(json: unknown): Map<string, StatusesPage> {
  const parsed = z
    .object({
      nodes: z.array(z.object({ id: z.string(), statuses: statusConnectionSchema.nullable() }).nullable()),
    })
    .parse(json);
  const pages = new Map<string, StatusesPage>();
  for (const node of parsed.nodes) {
    if (node?.statuses) pages.set(node.id, statusesPageOf(node.statuses));
  }
  return pages;
}

/** `DeploymentStatusesPage`: the next page of one deployment's statuses. */
export function parseDeploymentStatusesPage(json: unknown): StatusesPage {
  const parsed = z
    .object({ node: z.object({ statuses: statusConnectionSchema.nullable() }).nullable() })
    .parse(json);
  if (!parsed.node?.statuses) return { statuses: [], totalCount: 0, hasNextPage: false, endCursor: null };
  return statusesPageOf(parsed.node.statuses);
}

/** Every page of one deployment's statuses (GitHub's order), oldest first as the evidence keeps them. */
export function statusesOldestFirst(
  newestFirst: readonly DeploymentStatusRecord[],
): DeploymentStatusRecord[] {
  return oldestFirst(newestFirst);
}

/** A run of the REST listing with the node id of its check suite (whose check runs are its jobs). */
export interface ListedWorkflowRun {
  readonly run: WorkflowRunSummary;
  readonly checkSuiteNodeId: string | null;
}

/** One page of `GET /repos/{owner}/{repo}/actions/runs`: `{ total_count, workflow_runs }`. */
export function parseWorkflowRunsPage(json: unknown): { totalCount: number; runs: ListedWorkflowRun[] } {
  const parsed = z.object({ total_count: z.number().int(), workflow_runs: z.array(z.unknown()) }).parse(json);
  return {
    totalCount: parsed.total_count,
    runs: parsed.workflow_runs.map((raw) => parseListedWorkflowRun(raw)),
  };
}

/** `GET /repos/{owner}/{repo}/actions/runs/{run_id}`, with its check suite's node id. */
export function parseListedWorkflowRun(json: unknown): ListedWorkflowRun {
  const suite = z.object({ check_suite_node_id: z.string().nullable().optional() }).parse(json);
  return { run: parseWorkflowRun(json), checkSuiteNodeId: suite.check_suite_node_id ?? null };
}

const graphJobSchema = z.object({
  name: z.string(),
  status: z.string().nullable(),
  conclusion: z.string().nullable(),
  startedAt: restTime.nullable(),
  completedAt: restTime.nullable(),
});

const checkRunConnectionSchema = z.object({
  totalCount: z.number().int(),
  pageInfo: pageInfoSchema,
  nodes: z.array(graphJobSchema),
});

export interface JobsPage {
  readonly jobs: WorkflowJobSummary[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

function jobsPageOf(connection: z.infer<typeof checkRunConnectionSchema>): JobsPage {
  return {
    // GraphQL's enums are REST's values in capitals (`COMPLETED` / `completed`).
    jobs: connection.nodes.map((job) => ({
      name: job.name,
      status: job.status?.toLowerCase() ?? null,
      conclusion: job.conclusion?.toLowerCase() ?? null,
      startedAt: job.startedAt ? isoUtc(job.startedAt) : null,
      completedAt: job.completedAt ? isoUtc(job.completedAt) : null,
    })),
    hasNextPage: connection.pageInfo.hasNextPage,
    endCursor: connection.pageInfo.endCursor,
  };
}

/** `WorkflowRunJobs`: check-suite node id -> the first page of its jobs. */
export function parseWorkflowRunJobsNodes(json: unknown): Map<string, JobsPage> {
  const parsed = z
    .object({
      nodes: z.array(z.object({ id: z.string(), checkRuns: checkRunConnectionSchema.nullable() }).nullable()),
    })
    .parse(json);
  const pages = new Map<string, JobsPage>();
  for (const node of parsed.nodes) {
    if (node?.checkRuns) pages.set(node.id, jobsPageOf(node.checkRuns));
  }
  return pages;
}

/** `WorkflowRunJobsPage`: the next page of one run's jobs. */
export function parseWorkflowRunJobsPage(json: unknown): JobsPage {
  const parsed = z
    .object({ node: z.object({ checkRuns: checkRunConnectionSchema.nullable() }).nullable() })
    .parse(json);
  if (!parsed.node?.checkRuns) return { jobs: [], hasNextPage: false, endCursor: null };
  return jobsPageOf(parsed.node.checkRuns);
}
