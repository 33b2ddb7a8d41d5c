/**
 * REST response bodies with GitHub's field names (as in `@octokit/openapi-types`). URLs that a
 * client would call again point at the emulator; pages a person would open point at github.com.
 */
import { createHash } from 'node:crypto';
import type { components } from '@octokit/openapi-types';
import {
  deploymentNodeId,
  deploymentStatusNodeId,
  runCheckSuiteNodeId,
  runJobNodeId,
  workflowRunNodeId,
} from '../graphql/deployment-ids.ts';
import { prState } from '../graphql/models.ts';
import type {
  WorldCheck,
  WorldCommit,
  WorldDeployment,
  WorldDeploymentStatus,
  WorldPullRequest,
  WorldRuleset,
  WorldWorkflowRun,
} from '../world.ts';
import { appIdOf } from '../world.ts';
import type { RepoView, WorldView } from '../world-view.ts';
import { githubTime, stableId } from '../world-view.ts';

type Schemas = components['schemas'];
const GITHUB = 'https://github.com';

export class RestShapes {
  constructor(
    private readonly view: WorldView,
    private readonly api: string,
  ) {}

  /** REST spells an app's login `slug[bot]`. */
  restLogin(login: string): string {
    const user = this.view.user(login);
    if (user?.type === 'Bot' && !login.endsWith('[bot]')) return `${login}[bot]`;
    return user?.login ?? login;
  }

  userType(login: string): string {
    return this.view.user(login)?.type ?? (login.endsWith('[bot]') ? 'Bot' : 'User');
  }

  simpleUser(login: string): Schemas['simple-user'];
  simpleUser(login: string | null): Schemas['simple-user'] | null;
  simpleUser(login: string | null): Schemas['simple-user'] | null {
    if (login === null) return null;
    const shown = this.restLogin(login);
    const slug = shown.replace(/\[bot\]$/, '');
    const id = stableId(slug);
    // GitHub writes `dependabot[bot]` in the login, `dependabot%5Bbot%5D` in API URLs, and the
    // App's page (`/apps/dependabot`) as the bot's web address.
    const url = `${this.api}/users/${encodeURIComponent(shown)}`;
    const user = this.view.user(login);
    return {
      login: shown,
      id,
      node_id: Buffer.from(`04:User${id}`).toString('base64'),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      gravatar_id: '',
      url,
      html_url: shown.endsWith('[bot]') ? `${GITHUB}/apps/${slug}` : `${GITHUB}/${shown}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: this.userType(login),
      site_admin: false,
      user_view_type: 'public',
      ...(user?.name ? { name: user.name } : {}),
    };
  }

  integration(slug: string | null): Schemas['integration'] | null {
    if (slug === null) return null;
    const id = stableId(slug);
    return {
      id,
      slug,
      node_id: Buffer.from(`03:Integration${id}`).toString('base64'),
      client_id: `Iv1.${id.toString(16)}`,
      owner: this.simpleUser(this.view.world.org),
      name: slug === 'github-actions' ? 'GitHub Actions' : slug,
      description: '',
      external_url: `${GITHUB}/apps/${slug}`,
      html_url: `${GITHUB}/apps/${slug}`,
      created_at: '2018-07-30T09:30:17Z',
      updated_at: '2024-04-10T20:33:16Z',
      permissions: {},
      events: [],
    };
  }

  repository(repo: RepoView) {
    const url = `${this.api}/repos/${repo.fullName}`;
    const pushedAt = repo.repo.commits.reduce(
      (latest, commit) => (Date.parse(commit.committedAt) > Date.parse(latest) ? commit.committedAt : latest),
      repo.repo.commits[0]?.committedAt ?? this.view.world.now,
    );
    return {
      id: repo.databaseId,
      node_id: Buffer.from(`010:Repository${repo.databaseId}`).toString('base64'),
      name: repo.repo.name,
      full_name: repo.fullName,
      private: repo.repo.private,
      visibility: repo.repo.private ? 'private' : 'public',
      owner: { ...this.simpleUser(repo.owner), type: 'Organization' },
      html_url: `${GITHUB}/${repo.fullName}`,
      description: null,
      fork: repo.repo.fork,
      archived: repo.repo.archived,
      disabled: false,
      url,
      ...repositoryUrls(url),
      clone_url: `${GITHUB}/${repo.fullName}.git`,
      git_url: `git://github.com/${repo.fullName}.git`,
      ssh_url: `git@github.com:${repo.fullName}.git`,
      svn_url: `${GITHUB}/${repo.fullName}`,
      mirror_url: null,
      homepage: null,
      language: null,
      license: null,
      size: 0,
      forks: 0,
      forks_count: 0,
      stargazers_count: 0,
      watchers: 0,
      watchers_count: 0,
      open_issues: 0,
      open_issues_count: 0,
      network_count: 0,
      subscribers_count: 0,
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_downloads: false,
      has_discussions: false,
      is_template: false,
      topics: [],
      default_branch: repo.repo.defaultBranch,
      pushed_at: githubTime(pushedAt),
      created_at: githubTime(
        repo.repo.commits.reduce(
          (earliest, commit) =>
            Date.parse(commit.authoredAt) < Date.parse(earliest) ? commit.authoredAt : earliest,
          pushedAt,
        ),
      ),
      updated_at: githubTime(pushedAt),
    };
  }

  deployment(repo: RepoView, deployment: WorldDeployment): Schemas['deployment'] {
    const url = `${this.api}/repos/${repo.fullName}/deployments/${deployment.id}`;
    const latest = deployment.statuses.reduce(
      (at, status) => (Date.parse(status.createdAt) > Date.parse(at) ? status.createdAt : at),
      deployment.createdAt,
    );
    return {
      url,
      id: deployment.id,
      node_id: deploymentNodeId(repo.fullName, deployment.id),
      sha: deployment.sha,
      ref: deployment.ref,
      task: deployment.task,
      payload: {},
      original_environment: deployment.environment,
      environment: deployment.environment,
      description: deployment.description,
      creator: this.simpleUser(deployment.creator),
      created_at: githubTime(deployment.createdAt),
      updated_at: githubTime(latest),
      statuses_url: `${url}/statuses`,
      repository_url: `${this.api}/repos/${repo.fullName}`,
      transient_environment: deployment.transientEnvironment,
      production_environment: deployment.productionEnvironment,
      performed_via_github_app: this.integration(deployment.performedViaApp),
    };
  }

  deploymentStatus(
    repo: RepoView,
    deployment: WorldDeployment,
    status: WorldDeploymentStatus,
    index: number,
  ): Schemas['deployment-status'] {
    const id = deployment.id * 1000 + index + 1;
    const deploymentUrl = `${this.api}/repos/${repo.fullName}/deployments/${deployment.id}`;
    return {
      url: `${deploymentUrl}/statuses/${id}`,
      id,
      node_id: deploymentStatusNodeId(repo.fullName, deployment.id, index),
      state: status.state,
      creator: this.simpleUser(status.creator),
      description: status.description,
      environment: deployment.environment,
      target_url: status.targetUrl ?? status.logUrl ?? '',
      created_at: githubTime(status.createdAt),
      updated_at: githubTime(status.createdAt),
      deployment_url: deploymentUrl,
      repository_url: `${this.api}/repos/${repo.fullName}`,
      environment_url: status.environmentUrl ?? '',
      log_url: status.logUrl ?? '',
      performed_via_github_app: this.integration(deployment.performedViaApp),
    };
  }

  commit(repo: RepoView, commit: WorldCommit) {
    const url = `${this.api}/repos/${repo.fullName}/commits/${commit.sha}`;
    const person = this.gitPerson.bind(this);
    const signature = commit.signature;
    return {
      sha: commit.sha,
      node_id: Buffer.from(`06:Commit${repo.databaseId}:${commit.sha}`).toString('base64'),
      commit: {
        author: person(commit.author, commit.authoredAt, commit.authorName, commit.authorEmail),
        committer: person(commit.committer, commit.committedAt),
        message: commit.message,
        tree: { sha: commit.sha, url: `${this.api}/repos/${repo.fullName}/git/trees/${commit.sha}` },
        url: `${this.api}/repos/${repo.fullName}/git/commits/${commit.sha}`,
        comment_count: 0,
        verification: {
          verified: signature?.valid ?? false,
          reason: signature ? (signature.valid ? 'valid' : signature.state.toLowerCase()) : 'unsigned',
          signature: signature
            ? '-----BEGIN PGP SIGNATURE-----\n(emulated)\n-----END PGP SIGNATURE-----'
            : null,
          payload: signature ? commit.message : null,
          verified_at: signature?.valid ? githubTime(commit.committedAt) : null,
        },
      },
      url,
      html_url: `${GITHUB}/${repo.fullName}/commit/${commit.sha}`,
      comments_url: `${url}/comments`,
      author: this.authorUser(commit.author),
      committer: this.authorUser(commit.committer),
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${this.api}/repos/${repo.fullName}/commits/${sha}`,
        html_url: `${GITHUB}/${repo.fullName}/commit/${sha}`,
      })),
    };
  }

  private authorUser(login: string | null) {
    return login === null ? null : this.simpleUser(login);
  }

  pullRequest(repo: RepoView, pr: WorldPullRequest) {
    const url = `${this.api}/repos/${repo.fullName}/pulls/${pr.number}`;
    const head = pr.commits[pr.commits.length - 1] as string;
    const base = repo.commitsBySha.get(pr.commits[0] as string)?.parents[0] ?? null;
    const repoShape = this.repository(repo);
    const id = stableId(`${repo.fullName}#${pr.number}`);
    return {
      url,
      id,
      node_id: `PR_${Buffer.from(`${repo.fullName}#${pr.number}`).toString('base64url')}`,
      html_url: `${GITHUB}/${repo.fullName}/pull/${pr.number}`,
      diff_url: `${GITHUB}/${repo.fullName}/pull/${pr.number}.diff`,
      patch_url: `${GITHUB}/${repo.fullName}/pull/${pr.number}.patch`,
      issue_url: `${this.api}/repos/${repo.fullName}/issues/${pr.number}`,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      statuses_url: `${this.api}/repos/${repo.fullName}/statuses/${head}`,
      review_comment_url: `${this.api}/repos/${repo.fullName}/pulls/comments{/number}`,
      comments_url: `${this.api}/repos/${repo.fullName}/issues/${pr.number}/comments`,
      _links: {
        self: { href: url },
        html: { href: `${GITHUB}/${repo.fullName}/pull/${pr.number}` },
        issue: { href: `${this.api}/repos/${repo.fullName}/issues/${pr.number}` },
        comments: { href: `${this.api}/repos/${repo.fullName}/issues/${pr.number}/comments` },
        review_comments: { href: `${url}/comments` },
        review_comment: { href: `${this.api}/repos/${repo.fullName}/pulls/comments{/number}` },
        commits: { href: `${url}/commits` },
        statuses: { href: `${this.api}/repos/${repo.fullName}/statuses/${head}` },
      },
      number: pr.number,
      state: prState(pr) === 'OPEN' ? 'open' : 'closed',
      locked: false,
      title: pr.title,
      user: this.simpleUser(pr.author),
      body: pr.body,
      labels: pr.labels
        .filter((label) => label.removedAt === null)
        .map((label) => ({
          id: stableId(`${repo.fullName}:${label.name}`),
          node_id: `LA_${Buffer.from(`${repo.fullName}:${label.name}`).toString('base64url')}`,
          url: `${this.api}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
          name: label.name,
          description: null,
          color: 'ededed',
          default: false,
        })),
      milestone: null,
      active_lock_reason: null,
      created_at: githubTime(pr.createdAt),
      updated_at: githubTime(pr.mergedAt ?? pr.closedAt ?? pr.createdAt),
      closed_at: githubTime(pr.closedAt ?? pr.mergedAt),
      merged_at: githubTime(pr.mergedAt),
      merge_commit_sha: pr.mergeCommit,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: {
        label: `${repo.owner}:${pr.headRef}`,
        ref: pr.headRef,
        sha: head,
        user: repoShape.owner,
        repo: repoShape,
      },
      base: {
        label: `${repo.owner}:${pr.baseRef}`,
        ref: pr.baseRef,
        sha: base,
        user: repoShape.owner,
        repo: repoShape,
      },
      author_association: 'MEMBER',
      auto_merge: null,
      draft: false,
    };
  }

  ruleset(repo: RepoView, ruleset: WorldRuleset, detailed: boolean) {
    const url = `${this.api}/repos/${repo.fullName}/rulesets/${ruleset.id}`;
    const include = Array.isArray(ruleset.target) ? ruleset.target : [ruleset.target];
    const summary = {
      id: ruleset.id,
      name: ruleset.name,
      target: 'branch' as const,
      source_type: 'Repository' as const,
      source: repo.fullName,
      enforcement: ruleset.enforcement,
      node_id: `RRS_${Buffer.from(`${repo.fullName}:${ruleset.id}`).toString('base64url')}`,
      _links: { self: { href: url }, html: { href: `${GITHUB}/${repo.fullName}/rules/${ruleset.id}` } },
      created_at: githubTime(ruleset.createdAt ?? this.view.world.now),
      updated_at: githubTime(ruleset.updatedAt ?? ruleset.createdAt ?? this.view.world.now),
    };
    if (!detailed) return summary;
    return {
      ...summary,
      bypass_actors: ruleset.bypassActors.map((actor) => ({
        actor_id:
          actor.actorId ??
          (actor.login
            ? stableId(actor.login)
            : actor.team
              ? stableId(actor.team)
              : actor.app
                ? stableId(actor.app)
                : null),
        actor_type:
          actor.actorType ??
          (actor.login ? 'User' : actor.team ? 'Team' : actor.app ? 'Integration' : 'RepositoryRole'),
        bypass_mode: actor.mode,
        // Not in GitHub's answer (it gives ids only); kept so a reader can see who the id is.
        ...(actor.login ? { actor_login: actor.login } : {}),
        ...(actor.team ? { actor_slug: actor.team } : {}),
        ...(actor.app ? { actor_slug: actor.app } : {}),
      })),
      current_user_can_bypass: 'never',
      conditions: { ref_name: { include, exclude: ruleset.exclude } },
      rules: ruleset.rules.map((rule) => (typeof rule === 'string' ? { type: rule } : rule)),
    };
  }

  workflowRun(repo: RepoView, run: WorldWorkflowRun) {
    const url = `${this.api}/repos/${repo.fullName}/actions/runs/${run.id}`;
    return {
      id: run.id,
      name: run.name,
      node_id: workflowRunNodeId(repo.fullName, run.id),
      check_suite_id: stableId(`${run.id}:suite`),
      check_suite_node_id: runCheckSuiteNodeId(repo.fullName, run.id),
      head_branch: run.headBranch ?? null,
      head_sha: run.headSha,
      path: run.path ?? `.github/workflows/${run.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.yml`,
      display_title: run.name,
      run_number: run.runNumber ?? run.id % 100_000,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: stableId(`${repo.fullName}:${run.name}`),
      url,
      html_url: `${GITHUB}/${repo.fullName}/actions/runs/${run.id}`,
      pull_requests: [],
      created_at: githubTime(run.createdAt),
      updated_at: githubTime(run.updatedAt),
      actor: this.simpleUser(run.actor),
      triggering_actor: this.simpleUser(run.triggeringActor ?? run.actor),
      run_attempt: run.runAttempt,
      run_started_at: githubTime(run.createdAt),
      jobs_url: `${url}/jobs`,
      logs_url: `${url}/logs`,
      cancel_url: `${url}/cancel`,
      rerun_url: `${url}/rerun`,
      artifacts_url: `${url}/artifacts`,
      previous_attempt_url: run.runAttempt > 1 ? `${url}/attempts/${run.runAttempt - 1}` : null,
      head_commit: this.headCommit(repo, run.headSha),
      check_suite_url: `${this.api}/repos/${repo.fullName}/check-suites/${stableId(`${run.id}:suite`)}`,
      workflow_url: `${this.api}/repos/${repo.fullName}/actions/workflows/${stableId(`${repo.fullName}:${run.name}`)}`,
      repository: this.repository(repo),
      head_repository: this.repository(repo),
    };
  }

  /**
   * A check suite: GitHub makes one per app per commit (GitHub Actions one per workflow run; the
   * worlds group by app). Its status and conclusion are those of its latest runs.
   */
  checkSuite(repo: RepoView, suite: CheckSuiteView) {
    const url = `${this.api}/repos/${repo.fullName}/check-suites/${suite.id}`;
    const latest = latestRuns(suite.runs);
    const failing = ['FAILURE', 'TIMED_OUT', 'CANCELLED', 'ACTION_REQUIRED', 'STARTUP_FAILURE'];
    const done = latest.every((run) => run.status === 'COMPLETED');
    const conclusion = !done
      ? null
      : latest.some((run) => failing.includes(run.conclusion ?? ''))
        ? 'failure'
        : latest.every((run) => run.conclusion === 'SKIPPED')
          ? 'skipped'
          : 'success';
    const times = suite.runs.map((run) => run.startedAt ?? run.completedAt).filter((t) => t !== null);
    const updates = suite.runs.map((run) => run.completedAt ?? run.startedAt).filter((t) => t !== null);
    const first = times.sort()[0] ?? this.view.world.now;
    const lastUpdate = updates.sort()[updates.length - 1] ?? first;
    const commit = repo.commitsBySha.get(suite.commit);
    return {
      id: suite.id,
      node_id: `CS_${Buffer.from(String(suite.id)).toString('base64url')}`,
      head_branch: null,
      head_sha: suite.commit,
      status: done ? 'completed' : 'in_progress',
      conclusion,
      url,
      before: commit?.parents[0] ?? null,
      after: suite.commit,
      pull_requests: [],
      app: this.app(suite.app),
      repository: this.repository(repo),
      created_at: githubTime(first),
      updated_at: githubTime(lastUpdate),
      head_commit: this.headCommit(repo, suite.commit) ?? {
        id: suite.commit,
        tree_id: stableSha(`${suite.commit}:tree`),
        message: '',
        timestamp: githubTime(first),
        author: null,
        committer: null,
      },
      latest_check_runs_count: latest.length,
      check_runs_url: `${url}/check-runs`,
      rerequestable: true,
      runs_rerequestable: true,
    };
  }

  /** One run of a check (each re-run is a run of its own, with its own id). */
  checkRun(repo: RepoView, suite: CheckSuiteView, run: WorldCheck, id: number) {
    const url = `${this.api}/repos/${repo.fullName}/check-runs/${id}`;
    return {
      id,
      head_sha: run.commit,
      node_id: `CR_${Buffer.from(String(id)).toString('base64url')}`,
      external_id: '',
      url,
      html_url: `${GITHUB}/${repo.fullName}/runs/${id}`,
      details_url: run.detailsUrl ?? `${GITHUB}/${repo.fullName}/runs/${id}`,
      status: run.status.toLowerCase(),
      conclusion: run.conclusion === null ? null : restCheckConclusion(run.conclusion),
      started_at: githubTime(run.startedAt),
      completed_at: githubTime(run.completedAt),
      output: {
        title: null,
        summary: null,
        text: null,
        annotations_count: 0,
        annotations_url: `${url}/annotations`,
      },
      name: run.name,
      check_suite: { id: suite.id },
      app: this.app(suite.app),
      pull_requests: [],
    };
  }

  /** A commit status, as `GET /repos/{o}/{r}/commits/{ref}/statuses` lists each one posted. */
  commitStatus(repo: RepoView, status: WorldCheck, id: number) {
    const creator = status.creator ?? (status.app ? `${status.app}[bot]` : null);
    const at = githubTime(status.startedAt ?? status.completedAt ?? this.view.world.now);
    return {
      url: `${this.api}/repos/${repo.fullName}/statuses/${status.commit}`,
      avatar_url: creator ? this.simpleUser(creator).avatar_url : null,
      id,
      node_id: `SC_${Buffer.from(String(id)).toString('base64url')}`,
      state: (status.conclusion ?? 'PENDING').toLowerCase(),
      description: null,
      target_url: status.detailsUrl ?? null,
      context: status.name,
      created_at: at,
      updated_at: githubTime(status.completedAt ?? status.startedAt ?? this.view.world.now),
      creator: creator ? this.simpleUser(creator) : null,
    };
  }

  /** The app behind a check suite, with the id the world gives it (what protection's `app_id` names). */
  private app(slug: string | null) {
    const app = this.integration(slug);
    return app && slug ? { ...app, id: appIdOf(this.view.world, slug, (name) => stableId(name)) } : app;
  }

  /** A workflow run's `head_commit` (GitHub's simple-commit), or null for a commit not in the world. */
  private headCommit(repo: RepoView, sha: string) {
    const commit = repo.commitsBySha.get(sha);
    if (!commit) return null;
    return {
      id: commit.sha,
      tree_id: stableSha(`${commit.sha}:tree`),
      message: commit.message,
      timestamp: githubTime(commit.committedAt),
      author: this.gitPerson(commit.author, commit.authoredAt, commit.authorName, commit.authorEmail),
      committer: this.gitPerson(commit.committer, commit.committedAt),
    };
  }

  /** A git author or committer as GitHub writes it: the user's name and e-mail, or a noreply address. */
  private gitPerson(login: string | null, date: string, name?: string, email?: string) {
    const user = login ? this.view.user(login) : undefined;
    const shown = login ? this.restLogin(login) : null;
    return {
      name: name ?? user?.name ?? shown ?? 'unknown',
      email: email ?? user?.email ?? (shown ? `${stableId(shown)}+${shown}@users.noreply.github.com` : ''),
      date: githubTime(date),
    };
  }

  job(repo: RepoView, run: WorldWorkflowRun, index: number) {
    const job = run.jobs[index] as WorldWorkflowRun['jobs'][number];
    const id = job.id ?? run.id * 100 + index + 1;
    return {
      id,
      run_id: run.id,
      run_url: `${this.api}/repos/${repo.fullName}/actions/runs/${run.id}`,
      run_attempt: run.runAttempt,
      node_id: runJobNodeId(repo.fullName, run.id, index),
      head_sha: run.headSha,
      head_branch: run.headBranch ?? null,
      url: `${this.api}/repos/${repo.fullName}/actions/jobs/${id}`,
      html_url: `${GITHUB}/${repo.fullName}/actions/runs/${run.id}/job/${id}`,
      status: job.status,
      conclusion: job.conclusion,
      created_at: githubTime(job.startedAt),
      started_at: githubTime(job.startedAt),
      completed_at: githubTime(job.completedAt),
      name: job.name,
      steps: [],
      check_run_url: `${this.api}/repos/${repo.fullName}/check-runs/${id}`,
      labels: ['ubuntu-latest'],
      runner_id: null,
      runner_name: null,
      runner_group_id: null,
      runner_group_name: null,
      workflow_name: run.name,
    };
  }
}

/** The URL templates GitHub gives every repository object (all required in its schemas). */
function repositoryUrls(url: string): Record<string, string> {
  return {
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    hooks_url: `${url}/hooks`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
  };
}

/** A check suite of the world: the runs one app made on one commit. */
export interface CheckSuiteView {
  readonly id: number;
  readonly commit: string;
  readonly app: string | null;
  readonly runs: readonly WorldCheck[];
}

/** The latest run of each check of an app, or status of a context (what `filter=latest` lists, a suite sums up and the rollup shows). */
export function latestRuns(runs: readonly WorldCheck[]): WorldCheck[] {
  const byName = new Map<string, WorldCheck>();
  for (const run of runs) {
    const key = run.kind === 'check_run' ? `${run.app ?? ''}/${run.name}` : run.name;
    const known = byName.get(key);
    const started = (check: WorldCheck) => Date.parse(check.startedAt ?? check.completedAt ?? '') || 0;
    if (!known || started(run) >= started(known)) byName.set(key, run);
  }
  return [...byName.values()];
}

/**
 * GitHub's REST description lists no `stale` or `startup_failure` for a check run's conclusion:
 * a run that never started is a failure, a run GitHub gave up on is cancelled.
 */
function restCheckConclusion(conclusion: string): string {
  if (conclusion === 'STARTUP_FAILURE') return 'failure';
  if (conclusion === 'STALE') return 'cancelled';
  return conclusion.toLowerCase();
}

/** A 40-hex digit name for a derived git object (e.g. a commit's tree), stable per input. */
function stableSha(input: string): string {
  return createHash('sha1').update(input).digest('hex');
}
