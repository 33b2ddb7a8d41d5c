import { PAGE_INFO } from './fragments.ts';

/**
 * Deployment statuses and the jobs of the Actions runs behind deployments, read in bulk through
 * `nodes(ids:)` with the `node_id`s the REST listings give (GitHub gives an object one id in both
 * APIs). REST stays for the listings themselves: only REST reports a deployment's
 * `production_environment` and `performed_via_github_app`, and a run's actor, triggering actor
 * and attempt; GraphQL has no field for them.
 *
 * Cost by GitHub's formula: one `statuses` (or `checkRuns`) connection per listed node, so a
 * query of 100 ids is about one point.
 */

/** `nodes(ids:)` takes at most 100 ids. */
export const NODES_PER_QUERY = 100;
/** First page of statuses per deployment: a deployment lives through a handful. */
export const STATUSES_FIRST = 20;
/** First page of jobs per run. */
export const JOBS_FIRST = 50;
export const FOLLOW_UP_PAGE_SIZE = 100;

const STATUS_FIELDS = 'state createdAt description logUrl creator { login __typename }';
const JOB_FIELDS = 'name status conclusion startedAt completedAt';

export const DEPLOYMENT_STATUSES_QUERY = `query DeploymentStatuses($ids: [ID!]!) {
  rateLimit { cost remaining resetAt }
  nodes(ids: $ids) {
    ... on Deployment {
      id
      databaseId
      statuses(first: ${STATUSES_FIRST}) { totalCount ${PAGE_INFO} nodes { ${STATUS_FIELDS} } }
    }
  }
}`;

/** The next page of one deployment's statuses (only for a deployment with more than the first page). */
export const DEPLOYMENT_STATUSES_PAGE_QUERY = `query DeploymentStatusesPage($id: ID!, $after: String) {
  rateLimit { cost remaining resetAt }
  node(id: $id) {
    ... on Deployment {
      id
      statuses(first: ${FOLLOW_UP_PAGE_SIZE}, after: $after) { totalCount ${PAGE_INFO} nodes { ${STATUS_FIELDS} } }
    }
  }
}`;

/**
 * The jobs of Actions runs: the check runs of each run's check suite, the latest attempt of each
 * (what REST's `…/runs/{id}/jobs` lists by default).
 */
export const WORKFLOW_RUN_JOBS_QUERY = `query WorkflowRunJobs($ids: [ID!]!) {
  rateLimit { cost remaining resetAt }
  nodes(ids: $ids) {
    ... on CheckSuite {
      id
      checkRuns(first: ${JOBS_FIRST}, filterBy: { checkType: LATEST }) { totalCount ${PAGE_INFO} nodes { ${JOB_FIELDS} } }
    }
  }
}`;

export const WORKFLOW_RUN_JOBS_PAGE_QUERY = `query WorkflowRunJobsPage($id: ID!, $after: String) {
  rateLimit { cost remaining resetAt }
  node(id: $id) {
    ... on CheckSuite {
      id
      checkRuns(first: ${FOLLOW_UP_PAGE_SIZE}, after: $after, filterBy: { checkType: LATEST }) { totalCount ${PAGE_INFO} nodes { ${JOB_FIELDS} } }
    }
  }
}`;
