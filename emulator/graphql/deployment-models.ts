/**
 * GraphQL models of deployments, their statuses and the Actions runs behind them, as github.com
 * serves them: `Repository.deployments` (oldest first unless `orderBy` says otherwise),
 * `Deployment.statuses` (newest first, as GitHub lists them), and `WorkflowRun` / `CheckSuite` /
 * `CheckRun` reached through `nodes(ids:)` with the ids the REST answers carry as `node_id`.
 * Enum values are GraphQL's (`SUCCESS`, `IN_PROGRESS`), logins are GraphQL's (an app's bot is
 * `deploy-bot`, where REST writes `deploy-bot[bot]`).
 */
import {
  appIdOf,
  type WorldDeployment,
  type WorldDeploymentStatus,
  type WorldWorkflowRun,
} from '../world.ts';
import type { RepoView, WorldView } from '../world-view.ts';
import { githubTime, stableId } from '../world-view.ts';
import { type Args, connection, globalId } from './connections.ts';
import {
  deploymentNodeId,
  deploymentStatusNodeId,
  runCheckSuiteNodeId,
  runJobNodeId,
  workflowRunNodeId,
} from './deployment-ids.ts';

type Model = { readonly __typename: string; readonly [field: string]: unknown };

/** What the deployment models need from the rest of the graph. */
export interface GraphParts {
  readonly view: WorldView;
  actor(login: string | null): Model | null;
  user(login: string | null): Model | null;
  repository(repo: RepoView): Model;
  commitBySha(repo: RepoView, sha: string): Model | null;
  ref(repo: RepoView, branch: string): Model | null;
}

const GITHUB = 'https://github.com';

export class DeploymentGraph {
  private readonly models = new WeakMap<object, Model>();

  constructor(
    private readonly parts: GraphParts,
    private readonly notEmulated: (what: string) => never,
  ) {}

  private memo(key: object, build: () => Model): Model {
    let model = this.models.get(key);
    if (!model) {
      model = build();
      this.models.set(key, model);
    }
    return model;
  }

  /** `Repository.deployments(environments:, orderBy:, first/after/last/before)`. */
  repositoryDeployments(repo: RepoView, args: Args): Model {
    const environments = Array.isArray(args.environments) ? (args.environments as string[]) : undefined;
    const order = args.orderBy as { field?: string; direction?: string } | undefined;
    const deployments = repo.repo.deployments
      .filter((d) => !environments || environments.includes(d.environment))
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id);
    if (order?.direction === 'DESC') deployments.reverse();
    return connection('DeploymentConnection', deployments, args, (d) => this.deployment(repo, d));
  }

  deployment(repo: RepoView, deployment: WorldDeployment): Model {
    return this.memo(deployment, () => {
      // Newest first, ties in reverse world order — as GitHub lists statuses.
      const newestFirst = deployment.statuses
        .map((status, index) => ({ status, index }))
        .sort((a, b) => Date.parse(b.status.createdAt) - Date.parse(a.status.createdAt) || b.index - a.index);
      const latest = newestFirst[0];
      const status = ({ status, index }: { status: WorldDeploymentStatus; index: number }) =>
        this.status(repo, deployment, status, index);
      return {
        __typename: 'Deployment',
        id: deploymentNodeId(repo.fullName, deployment.id),
        databaseId: deployment.id,
        commitOid: deployment.sha,
        commit: () => this.parts.commitBySha(repo, deployment.sha),
        createdAt: githubTime(deployment.createdAt),
        updatedAt: githubTime(latest?.status.createdAt ?? deployment.createdAt),
        creator: () => this.parts.actor(deployment.creator),
        description: deployment.description,
        environment: deployment.environment,
        originalEnvironment: deployment.environment,
        latestEnvironment: deployment.environment,
        task: deployment.task,
        payload: '{}',
        ref: () => this.parts.ref(repo, deployment.ref),
        repository: () => this.parts.repository(repo),
        state: deploymentState(latest?.status.state),
        latestStatus: () => (latest ? status(latest) : null),
        statuses: (args: Args) => connection('DeploymentStatusConnection', newestFirst, args, status),
      };
    });
  }

  private status(
    repo: RepoView,
    deployment: WorldDeployment,
    status: WorldDeploymentStatus,
    index: number,
  ): Model {
    return this.memo(status, () => ({
      __typename: 'DeploymentStatus',
      id: deploymentStatusNodeId(repo.fullName, deployment.id, index),
      state: status.state.toUpperCase(),
      createdAt: githubTime(status.createdAt),
      updatedAt: githubTime(status.createdAt),
      creator: () => this.parts.actor(status.creator),
      description: status.description === '' ? null : status.description,
      environment: deployment.environment,
      environmentUrl: status.environmentUrl ?? null,
      // GitHub keeps one URL for both names: `log_url` replaced `target_url`.
      logUrl: status.logUrl ?? status.targetUrl ?? null,
      deployment: () => this.deployment(repo, deployment),
    }));
  }

  workflowRun(repo: RepoView, run: WorldWorkflowRun): Model {
    return this.memo(run, () => {
      const workflowKey = `${repo.fullName}:${run.name}`;
      const path = `/${repo.fullName}/actions/runs/${run.id}`;
      return {
        __typename: 'WorkflowRun',
        id: workflowRunNodeId(repo.fullName, run.id),
        databaseId: run.id,
        event: run.event,
        runNumber: run.runNumber ?? run.id % 100_000,
        createdAt: githubTime(run.createdAt),
        updatedAt: githubTime(run.updatedAt),
        url: `${GITHUB}${path}`,
        resourcePath: path,
        workflow: () => ({
          __typename: 'Workflow',
          id: `W_${Buffer.from(workflowKey).toString('base64url')}`,
          databaseId: stableId(workflowKey),
          name: run.name,
          state: 'ACTIVE',
          createdAt: githubTime(run.createdAt),
          updatedAt: githubTime(run.updatedAt),
          url: `${GITHUB}/${repo.fullName}/actions/workflows/${stableId(workflowKey)}`,
          resourcePath: `/${repo.fullName}/actions/workflows/${stableId(workflowKey)}`,
        }),
        checkSuite: () => this.checkSuite(repo, run),
      };
    });
  }

  /** The check suite of an Actions run: its check runs are the run's jobs. */
  checkSuite(repo: RepoView, run: WorldWorkflowRun): Model {
    const cached = this.suites.get(run);
    if (cached) return cached;
    const path = `/${repo.fullName}/commit/${run.headSha}/checks`;
    const model: Model = {
      __typename: 'CheckSuite',
      id: runCheckSuiteNodeId(repo.fullName, run.id),
      databaseId: stableId(`${run.id}:suite`),
      status: run.status.toUpperCase(),
      conclusion: run.conclusion === null ? null : run.conclusion.toUpperCase(),
      createdAt: githubTime(run.createdAt),
      updatedAt: githubTime(run.updatedAt),
      url: `${GITHUB}${path}`,
      resourcePath: path,
      app: () => ({
        __typename: 'App',
        id: globalId('A', 'github-actions'),
        databaseId: appIdOf(this.parts.view.world, 'github-actions', (slug) => stableId(slug)),
        slug: 'github-actions',
        name: 'GitHub Actions',
      }),
      creator: () => this.parts.user(run.triggeringActor ?? run.actor),
      commit: () => this.parts.commitBySha(repo, run.headSha),
      branch: () => (run.headBranch ? this.parts.ref(repo, run.headBranch) : null),
      repository: () => this.parts.repository(repo),
      workflowRun: () => this.workflowRun(repo, run),
      checkRuns: (args: Args) => {
        const filter = (args.filterBy ?? {}) as Record<string, unknown>;
        for (const name of Object.keys(filter)) {
          if (name !== 'checkType' && filter[name] !== undefined && filter[name] !== null)
            this.notEmulated(`CheckSuite.checkRuns(filterBy: { ${name} })`);
        }
        // The world keeps the jobs of a run's latest attempt only: ALL and LATEST agree.
        const jobs = run.jobs.map((job, index) => ({ job, index }));
        return connection('CheckRunConnection', jobs, args, ({ job, index }) => {
          const jobId = job.id ?? run.id * 100 + index + 1;
          const jobPath = `/${repo.fullName}/actions/runs/${run.id}/job/${jobId}`;
          return {
            __typename: 'CheckRun',
            id: runJobNodeId(repo.fullName, run.id, index),
            databaseId: jobId,
            name: job.name,
            status: job.status.toUpperCase(),
            conclusion: job.conclusion === null ? null : job.conclusion.toUpperCase(),
            startedAt: githubTime(job.startedAt),
            completedAt: githubTime(job.completedAt),
            detailsUrl: `${GITHUB}${jobPath}`,
            url: `${GITHUB}${jobPath}`,
            permalink: `${GITHUB}${jobPath}`,
            resourcePath: jobPath,
            checkSuite: () => this.checkSuite(repo, run),
            repository: () => this.parts.repository(repo),
          };
        });
      },
    };
    this.suites.set(run, model);
    return model;
  }

  private readonly suites = new WeakMap<WorldWorkflowRun, Model>();

  /** `node(id:)` for the ids above; undefined when the prefix is not one of them. */
  node(prefix: string, key: string, missing: () => never): Model | undefined {
    const match = /^(?:run:)?(.+?)#(\d+)(?:\/(\d+))?$/.exec(key);
    if (!['DE', 'DES', 'WFR', 'CS', 'CR'].includes(prefix)) return undefined;
    if ((prefix === 'CS' || prefix === 'CR') && !key.startsWith('run:')) return undefined;
    if (!match) return missing();
    const [, fullName = '', id = '', index] = match;
    const [owner = '', name = ''] = fullName.split('/');
    const repo = this.parts.view.repo(owner, name) ?? missing();
    if (prefix === 'DE' || prefix === 'DES') {
      const deployment = repo.deploymentsById.get(Number(id)) ?? missing();
      if (prefix === 'DE') return this.deployment(repo, deployment);
      const status = deployment.statuses[Number(index)] ?? missing();
      return this.status(repo, deployment, status, Number(index));
    }
    const run = repo.runsById.get(Number(id)) ?? missing();
    if (prefix === 'WFR') return this.workflowRun(repo, run);
    if (prefix === 'CS') return this.checkSuite(repo, run);
    return undefined;
  }
}

function deploymentState(latest: WorldDeploymentStatus['state'] | undefined): string {
  if (latest === undefined) return 'PENDING';
  // GitHub reports the deployment a successful status left running as ACTIVE.
  return latest === 'success' ? 'ACTIVE' : latest.toUpperCase();
}
