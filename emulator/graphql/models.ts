/**
 * GraphQL objects built from the world on demand. Each model is a plain object whose keys are the
 * schema's field names: a value is served as is, a function is called with the field's arguments.
 * A field the model lacks is answered with an error naming it (see `resolveField`), never a
 * silent null — so a collector that starts asking for more learns it at once.
 */
import { createHash } from 'node:crypto';
import { GraphQLError, type GraphQLFieldResolver } from 'graphql';
import { latestRuns } from '../rest/shapes.ts';
import type {
  WorldCheck,
  WorldComment,
  WorldCommit,
  WorldLabel,
  WorldPullRequest,
  WorldReview,
  WorldUser,
} from '../world.ts';
import { appIdOf } from '../world.ts';
import type { RepoView, WorldView } from '../world-view.ts';
import { checkKey, githubTime, stableId } from '../world-view.ts';
import { type Args, connection, globalId, parseGlobalId } from './connections.ts';
import { DeploymentGraph } from './deployment-models.ts';
import { inRangeMs, parseIssueSearch, SearchSyntaxError } from './search-query.ts';

export interface GraphQlContext {
  readonly view: WorldView;
  readonly viewerLogin: string;
  /** Filled by the server before execution: what `rateLimit` reports. */
  readonly rateLimit: {
    cost: number;
    nodeCount: number;
    limit: number;
    remaining: number;
    used: number;
    resetAt: string;
  };
}

type Model = { readonly __typename: string; readonly [field: string]: unknown };

interface SearchHit {
  readonly repo: RepoView;
  readonly pr: WorldPullRequest;
  readonly key: number;
}

interface PullRequestTimes {
  readonly created: number;
  readonly updated: number;
  readonly merged: number | null;
  readonly closed: number | null;
}

/** An error that github.com reports with a top-level `type` (e.g. `NOT_FOUND`). */
export class TypedGraphQlError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'TypedGraphQlError';
  }
}

export const resolveField: GraphQLFieldResolver<unknown, GraphQlContext, Args> = (
  source,
  args,
  _context,
  info,
) => {
  if (source !== null && typeof source === 'object' && Object.hasOwn(source, info.fieldName)) {
    const value = (source as Record<string, unknown>)[info.fieldName];
    return typeof value === 'function' ? (value as (args: Args) => unknown)(args) : value;
  }
  throw new TypedGraphQlError('NOT_EMULATED', `${info.parentType.name}.${info.fieldName} is not emulated`);
};

const SEARCH_RESULT_CAP = 1000;
const GITHUB = 'https://github.com';

function notEmulated(what: string): never {
  throw new TypedGraphQlError('NOT_EMULATED', `${what} is not emulated`);
}

function rejectArguments(args: Args, field: string, names: readonly string[]): void {
  for (const name of names) {
    if (args[name] !== undefined && args[name] !== null) notEmulated(`${field}(${name}:)`);
  }
}

/**
 * Builds the models of a world. The world never changes under a running emulator, so models are
 * built once and kept: a commit reached as a merge commit, a PR commit and a reviewed commit is
 * one object, and the next page of a search reuses what the last one built.
 */
export class WorldGraph {
  private readonly byLogin = new Map<string, Model | null>();
  private readonly byObject = new WeakMap<object, Model>();

  /** Deployments, their statuses, and the Actions runs and check suites behind them. */
  private readonly deployments: DeploymentGraph;

  constructor(private readonly view: WorldView) {
    this.deployments = new DeploymentGraph(
      {
        view,
        actor: (login) => this.actor(login),
        user: (login) => this.user(login),
        repository: (repo) => this.repository(repo),
        commitBySha: (repo, sha) => {
          const commit = repo.commitsBySha.get(sha);
          return commit ? this.commit(repo, commit) : null;
        },
        ref: (repo, branch) => this.ref(repo, branch),
      },
      notEmulated,
    );
  }

  private memoLogin(kind: string, login: string | null, build: () => Model | null): Model | null {
    if (login === null) return null;
    const key = `${kind}:${login}`;
    let model = this.byLogin.get(key);
    if (model === undefined) {
      model = build();
      this.byLogin.set(key, model);
    }
    return model;
  }

  private memoObject(key: object, build: () => Model): Model {
    let model = this.byObject.get(key);
    if (!model) {
      model = build();
      this.byObject.set(key, model);
    }
    return model;
  }

  /** An `Actor` (User, Bot or Organization) or null for a deleted account. */
  actor(login: string | null): Model | null {
    return this.memoLogin('actor', login, () => this.buildActor(login));
  }

  /** A `User`, or null when the login is a bot (GitHub's `GitActor.user` and `signer` are Users only). */
  user(login: string | null): Model | null {
    return this.memoLogin('user', login, () => this.buildUser(login));
  }

  organizationModel(login: string): Model {
    return this.memoLogin('org', login, () => this.buildOrganization(login)) as Model;
  }

  repository(repo: RepoView): Model {
    return this.memoObject(repo, () => this.buildRepository(repo));
  }

  commit(repo: RepoView, commit: WorldCommit): Model {
    return this.memoObject(commit, () => this.buildCommit(repo, commit));
  }

  pullRequest(repo: RepoView, pr: WorldPullRequest): Model {
    return this.memoObject(pr, () => this.buildPullRequest(repo, pr));
  }

  private review(repo: RepoView, pr: WorldPullRequest, review: WorldReview): Model {
    return this.memoObject(review, () => this.buildReview(repo, pr, review));
  }

  private displayLogin(login: string): string {
    return login.replace(/\[bot\]$/, '');
  }

  userRecord(login: string): WorldUser {
    return this.view.user(login) ?? { login, type: login.endsWith('[bot]') ? 'Bot' : 'User' };
  }

  private buildActor(login: string | null): Model | null {
    if (login === null) return null;
    const user = this.userRecord(login);
    const shown = this.displayLogin(user.login);
    if (user.type === 'Bot') {
      return {
        __typename: 'Bot',
        id: globalId('BOT', shown),
        databaseId: stableId(shown),
        login: shown,
        url: `${GITHUB}/apps/${shown}`,
        resourcePath: `/apps/${shown}`,
        avatarUrl: () => `https://avatars.githubusercontent.com/in/${stableId(shown)}?v=4`,
      };
    }
    if (user.type === 'Organization') return this.organizationModel(shown);
    return this.userModel(user);
  }

  private buildUser(login: string | null): Model | null {
    if (login === null) return null;
    const user = this.userRecord(login);
    return user.type === 'User' ? this.userModel(user) : null;
  }

  private userModel(user: WorldUser): Model {
    return {
      __typename: 'User',
      id: globalId('U', user.login),
      databaseId: stableId(user.login),
      login: user.login,
      name: user.name ?? null,
      email: user.email ?? '',
      url: `${GITHUB}/${user.login}`,
      resourcePath: `/${user.login}`,
      avatarUrl: () => `https://avatars.githubusercontent.com/u/${stableId(user.login)}?v=4`,
    };
  }

  private buildOrganization(login: string): Model {
    const org = login;
    return {
      __typename: 'Organization',
      id: globalId('O', org),
      databaseId: stableId(org),
      login: org,
      name: org,
      url: `${GITHUB}/${org}`,
      resourcePath: `/${org}`,
      team: ({ slug }: Args) => this.team(String(slug)),
      teams: (args: Args) => {
        rejectArguments(args, 'Organization.teams', ['query', 'userLogins', 'ldapMapped', 'role']);
        const slugs = Object.keys(this.view.world.teams).sort();
        return connection('TeamConnection', slugs, args, (slug) => this.team(slug));
      },
      membersWithRole: (args: Args) =>
        connection(
          'OrganizationMemberConnection',
          // Apps are not organisation members.
          this.view.world.users.filter((user) => user.type === 'User'),
          args,
          (user) => this.user(user.login),
        ),
      repository: ({ name }: Args) => {
        const repo = this.view.repo(org, String(name));
        return repo ? this.repository(repo) : null;
      },
      repositories: (args: Args) =>
        connection('RepositoryConnection', this.view.repos, args, (repo) => this.repository(repo)),
    };
  }

  team(slug: string): Model | null {
    const members = this.view.team(slug);
    if (!members) return null;
    const org = this.view.world.org;
    return {
      __typename: 'Team',
      id: globalId('T', `${org}/${slug}`),
      databaseId: stableId(`${org}/${slug}`),
      slug,
      name: slug,
      combinedSlug: `${org}/${slug}`,
      url: `${GITHUB}/orgs/${org}/teams/${slug}`,
      organization: () => this.organizationModel(org),
      members: (args: Args) => {
        rejectArguments(args, 'Team.members', ['query', 'role']);
        return connection(
          'TeamMemberConnection',
          members,
          args,
          (login) => this.user(login) ?? this.actor(login),
        );
      },
    };
  }

  private buildRepository(repo: RepoView): Model {
    return {
      __typename: 'Repository',
      id: globalId('R', repo.fullName),
      databaseId: repo.databaseId,
      name: repo.repo.name,
      nameWithOwner: repo.fullName,
      url: `${GITHUB}/${repo.fullName}`,
      resourcePath: `/${repo.fullName}`,
      isPrivate: repo.repo.private,
      visibility: repo.repo.private ? 'PRIVATE' : 'PUBLIC',
      isArchived: false,
      isFork: false,
      owner: () => this.organizationModel(repo.owner),
      defaultBranchRef: () => this.ref(repo, repo.repo.defaultBranch),
      ref: ({ qualifiedName }: Args) => this.ref(repo, String(qualifiedName).replace(/^refs\/heads\//, '')),
      deployments: (args: Args) => this.deployments.repositoryDeployments(repo, args),
      pullRequest: ({ number }: Args) => {
        const pr = repo.pullsByNumber.get(Number(number));
        if (!pr) {
          throw new TypedGraphQlError(
            'NOT_FOUND',
            `Could not resolve to a PullRequest with the number of ${number}.`,
          );
        }
        return this.pullRequest(repo, pr);
      },
      pullRequests: (args: Args) => {
        rejectArguments(args, 'Repository.pullRequests', ['labels']);
        const states = Array.isArray(args.states) ? (args.states as string[]) : undefined;
        let prs = repo.repo.pullRequests.filter(
          (pr) =>
            (!states || states.includes(prState(pr))) &&
            (typeof args.baseRefName !== 'string' || pr.baseRef === args.baseRefName) &&
            (typeof args.headRefName !== 'string' || pr.headRef === args.headRefName),
        );
        const order = args.orderBy as { field?: string; direction?: string } | undefined;
        const key =
          order?.field === 'UPDATED_AT'
            ? (pr: WorldPullRequest) => updatedAt(pr)
            : (pr: WorldPullRequest) => pr.createdAt;
        prs = [...prs].sort((a, b) => Date.parse(key(a)) - Date.parse(key(b)) || a.number - b.number);
        if (order?.direction === 'DESC') prs.reverse();
        return connection('PullRequestConnection', prs, args, (pr) => this.pullRequest(repo, pr));
      },
      object: ({ oid, expression }: Args) => {
        if (typeof expression === 'string' && expression.includes(':')) return this.blob(repo, expression);
        if (typeof expression === 'string') {
          const head = repo.repo.branches[expression.replace(/^refs\/heads\//, '')];
          const commit = repo.commitsBySha.get(head ?? expression);
          return commit ? this.commit(repo, commit) : null;
        }
        const commit = repo.commitsBySha.get(String(oid));
        return commit ? this.commit(repo, commit) : null;
      },
    };
  }

  /**
   * `object(expression: "<branch>:<path>")`: a file of the default branch as a `Blob` (the world
   * keeps that branch's files only), or null where there is no such file.
   */
  private blob(repo: RepoView, expression: string): Model | null {
    const at = expression.indexOf(':');
    const ref = expression.slice(0, at).replace(/^refs\/heads\//, '');
    const path = expression.slice(at + 1).replace(/^\/+/, '');
    const onDefault =
      ref === repo.repo.defaultBranch ||
      ref === 'HEAD' ||
      ref === repo.repo.branches[repo.repo.defaultBranch];
    const text = onDefault ? repo.repo.files[path] : undefined;
    if (text === undefined) return null;
    const bytes = Buffer.from(text, 'utf8');
    const oid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    return {
      __typename: 'Blob',
      id: globalId('B', `${repo.fullName}:${oid}`),
      oid,
      abbreviatedOid: oid.slice(0, 7),
      byteSize: bytes.length,
      isBinary: false,
      isTruncated: false,
      text,
      repository: () => this.repository(repo),
    };
  }

  ref(repo: RepoView, branch: string): Model | null {
    const head = repo.repo.branches[branch];
    if (head === undefined) return null;
    const commit = repo.commitsBySha.get(head);
    return {
      __typename: 'Ref',
      id: globalId('REF', `${repo.fullName}:refs/heads/${branch}`),
      name: branch,
      prefix: 'refs/heads/',
      repository: () => this.repository(repo),
      target: () => (commit ? this.commit(repo, commit) : null),
    };
  }

  private buildCommit(repo: RepoView, commit: WorldCommit): Model {
    const [headline = '', ...rest] = commit.message.split('\n');
    const url = `${GITHUB}/${repo.fullName}/commit/${commit.sha}`;
    return {
      __typename: 'Commit',
      id: globalId('C', `${repo.fullName}@${commit.sha}`),
      oid: commit.sha,
      abbreviatedOid: commit.sha.slice(0, 7),
      message: commit.message,
      messageHeadline: headline,
      messageBody: rest.join('\n').replace(/^\n+/, ''),
      committedDate: githubTime(commit.committedAt),
      authoredDate: githubTime(commit.authoredAt),
      url,
      commitUrl: url,
      resourcePath: `/${repo.fullName}/commit/${commit.sha}`,
      repository: () => this.repository(repo),
      author: () => this.gitActor(commit.author, commit.authoredAt, commit.authorName, commit.authorEmail),
      committer: () => this.gitActor(commit.committer, commit.committedAt),
      parents: (args: Args) =>
        connection('CommitConnection', commit.parents, args, (sha) => {
          const parent = repo.commitsBySha.get(sha);
          return parent ? this.commit(repo, parent) : null;
        }),
      signature: () => this.signature(commit),
      associatedPullRequests: (args: Args) => {
        const prs = repo.pullsByCommit.get(commit.sha) ?? [];
        return connection('PullRequestConnection', prs, args, (pr) => this.pullRequest(repo, pr));
      },
      statusCheckRollup: () => this.statusCheckRollup(repo, commit),
      checkSuites: (args: Args) => {
        rejectArguments(args, 'Commit.checkSuites', ['filterBy']);
        return connection('CheckSuiteConnection', this.checkSuitesOf(repo, commit), args, (suite) => suite);
      },
      history: (args: Args) => {
        rejectArguments(args, 'Commit.history', ['author', 'path']);
        const since = typeof args.since === 'string' ? Date.parse(args.since) : Number.NEGATIVE_INFINITY;
        const until = typeof args.until === 'string' ? Date.parse(args.until) : Number.POSITIVE_INFINITY;
        const all = repo.historyFrom(commit.sha);
        const commits =
          since === Number.NEGATIVE_INFINITY && until === Number.POSITIVE_INFINITY
            ? all
            : all.filter((c) => {
                const t = Date.parse(c.committedAt);
                return t >= since && t <= until;
              });
        return connection('CommitHistoryConnection', commits, args, (c) => this.commit(repo, c));
      },
    };
  }

  private gitActor(login: string | null, date: string, name?: string, email?: string): Model {
    const user = login === null ? undefined : this.userRecord(login);
    const shown = user ? this.displayLogin(user.login) : null;
    return {
      __typename: 'GitActor',
      name: name ?? user?.name ?? shown ?? 'unknown',
      email:
        email ??
        user?.email ??
        (shown
          ? `${stableId(shown)}+${user?.type === 'Bot' ? `${shown}[bot]` : shown}@users.noreply.github.com`
          : null),
      date: githubTime(date),
      user: () => this.user(login),
      avatarUrl: () => `https://avatars.githubusercontent.com/u/${stableId(shown ?? 'ghost')}?v=4`,
    };
  }

  private signature(commit: WorldCommit): Model | null {
    const signature = commit.signature;
    if (!signature) return null;
    const typename = { gpg: 'GpgSignature', ssh: 'SshSignature', smime: 'SmimeSignature' }[signature.kind];
    const signer = signature.signer ?? null;
    return {
      __typename: typename,
      isValid: signature.valid,
      state: signature.state,
      signer: () => this.user(signer),
      email: signer ? `${signer}@users.noreply.github.com` : '',
      wasSignedByGitHub: signer === 'web-flow',
      payload: '',
      signature: '',
      verifiedAt: githubTime(commit.committedAt),
      ...(signature.kind === 'gpg'
        ? { keyId: signer ? stableId(signer).toString(16).toUpperCase() : null }
        : {}),
    };
  }

  /**
   * The check suites of a commit, one per app as the REST lists group them (the same ids), each
   * with its runs: by default the latest of each name, with `filterBy: { checkType: ALL }` every
   * run, re-runs too — newest first, as `GET …/check-suites/{id}/check-runs` lists them.
   */
  private checkSuitesOf(repo: RepoView, commit: WorldCommit): Model[] {
    const byApp = new Map<string, WorldCheck[]>();
    for (const check of repo.checksByCommit.get(commit.sha) ?? []) {
      if (check.kind !== 'check_run') continue;
      byApp.set(check.app ?? '', [...(byApp.get(check.app ?? '') ?? []), check]);
    }
    return [...byApp.entries()].map(([app, runs]) => {
      const key = `${repo.fullName}@${commit.sha}/suite/${app}`;
      const completed = runs.every((run) => run.status === 'COMPLETED');
      return {
        __typename: 'CheckSuite',
        id: globalId('CS', key),
        databaseId: stableId(key),
        status: completed ? 'COMPLETED' : 'IN_PROGRESS',
        conclusion: !completed
          ? null
          : latestRuns(runs).every((run) => ['SUCCESS', 'NEUTRAL', 'SKIPPED'].includes(run.conclusion ?? ''))
            ? 'SUCCESS'
            : 'FAILURE',
        commit: () => this.commit(repo, commit),
        app:
          app === ''
            ? null
            : {
                __typename: 'App',
                id: globalId('A', app),
                databaseId: appIdOf(this.view.world, app, (slug) => stableId(slug)),
                slug: app,
                name: app === 'github-actions' ? 'GitHub Actions' : app,
              },
        checkRuns: (args: Args) => {
          const filter = (args.filterBy ?? {}) as Record<string, unknown>;
          for (const name of Object.keys(filter)) {
            if (name !== 'checkType' && filter[name] !== undefined && filter[name] !== null)
              notEmulated(`CheckSuite.checkRuns(filterBy: { ${name} })`);
          }
          const listed = (filter.checkType === 'ALL' ? runs : latestRuns(runs))
            .map((run) => ({ run, order: runs.indexOf(run) }))
            .sort(
              (a, b) =>
                Date.parse(b.run.startedAt ?? b.run.completedAt ?? '') -
                  Date.parse(a.run.startedAt ?? a.run.completedAt ?? '') || b.order - a.order,
            );
          return connection('CheckRunConnection', listed, args, ({ run }) => this.checkContext(repo, run));
        },
      };
    });
  }

  private statusCheckRollup(repo: RepoView, commit: WorldCommit): Model | null {
    const all = repo.checksByCommit.get(commit.sha);
    if (!all || all.length === 0) return null;
    // The rollup shows the latest run of each check and the latest status of each context, as
    // GitHub's does: earlier runs (a pass before a failed re-run) are only in the REST lists.
    const checks = [
      ...latestRuns(all.filter((check) => check.kind === 'check_run')),
      ...latestRuns(all.filter((check) => check.kind === 'status')),
    ].sort((a, b) => all.indexOf(a) - all.indexOf(b));
    return {
      __typename: 'StatusCheckRollup',
      id: globalId('SCR', `${repo.fullName}@${commit.sha}`),
      state: rollupState(checks),
      commit: () => this.commit(repo, commit),
      contexts: (args: Args) =>
        connection(
          'StatusCheckRollupContextConnection',
          checks,
          args,
          (check) => this.checkContext(repo, check),
          {
            checkRunCount: checks.filter((check) => check.kind === 'check_run').length,
            statusContextCount: checks.filter((check) => check.kind === 'status').length,
          },
        ),
    };
  }

  private checkContext(repo: RepoView, check: WorldCheck): Model {
    const key = checkKey(repo, check);
    const commit = () => {
      const found = repo.commitsBySha.get(check.commit);
      return found ? this.commit(repo, found) : null;
    };
    if (check.kind === 'status') {
      const creator = check.creator ?? (check.app ? `${check.app}[bot]` : null);
      return {
        __typename: 'StatusContext',
        id: globalId('SC', key),
        context: check.name,
        state: check.conclusion ?? 'PENDING',
        createdAt: githubTime(check.startedAt ?? check.completedAt),
        creator: () => this.actor(creator),
        targetUrl: check.detailsUrl ?? null,
        description: null,
        commit,
      };
    }
    const databaseId = stableId(key);
    const url = `${GITHUB}/${repo.fullName}/runs/${databaseId}`;
    return {
      __typename: 'CheckRun',
      id: globalId('CR', key),
      databaseId,
      name: check.name,
      status: check.status,
      conclusion: check.conclusion,
      startedAt: githubTime(check.startedAt),
      completedAt: githubTime(check.completedAt),
      detailsUrl: check.detailsUrl ?? url,
      url,
      permalink: url,
      resourcePath: `/${repo.fullName}/runs/${databaseId}`,
      checkSuite: () => ({
        __typename: 'CheckSuite',
        id: globalId('CS', key),
        status: check.status,
        conclusion: check.conclusion,
        commit,
        app: check.app
          ? {
              __typename: 'App',
              id: globalId('A', check.app),
              databaseId: appIdOf(this.view.world, check.app, (slug) => stableId(slug)),
              slug: check.app,
              name: check.app === 'github-actions' ? 'GitHub Actions' : check.app,
            }
          : null,
      }),
    };
  }

  private buildPullRequest(repo: RepoView, pr: WorldPullRequest): Model {
    const url = `${GITHUB}/${repo.fullName}/pull/${pr.number}`;
    const headSha = pr.commits[pr.commits.length - 1] as string;
    const firstCommit = repo.commitsBySha.get(pr.commits[0] as string);
    const review = (r: WorldReview): Model => this.review(repo, pr, r);
    const self = (): Model => this.pullRequest(repo, pr);
    return {
      __typename: 'PullRequest',
      id: globalId('PR', `${repo.fullName}#${pr.number}`),
      databaseId: stableId(`${repo.fullName}#${pr.number}`),
      number: pr.number,
      url,
      permalink: url,
      resourcePath: `/${repo.fullName}/pull/${pr.number}`,
      title: pr.title,
      body: pr.body,
      bodyText: pr.body,
      lastEditedAt: githubTime(pr.bodyEditedAt),
      createdAt: githubTime(pr.createdAt),
      updatedAt: githubTime(updatedAt(pr)),
      closedAt: githubTime(pr.closedAt ?? pr.mergedAt),
      mergedAt: githubTime(pr.mergedAt),
      merged: pr.mergedAt !== null,
      closed: pr.closedAt !== null || pr.mergedAt !== null,
      state: prState(pr),
      isDraft: false,
      locked: false,
      baseRefName: pr.baseRef,
      headRefName: pr.headRef,
      headRefOid: headSha,
      baseRefOid: firstCommit?.parents[0] ?? null,
      additions: pr.files.reduce((sum, file) => sum + file.additions, 0),
      deletions: pr.files.reduce((sum, file) => sum + file.deletions, 0),
      changedFiles: pr.files.length,
      author: () => this.actor(pr.author),
      mergedBy: () => this.actor(pr.mergedBy),
      repository: () => this.repository(repo),
      baseRepository: () => this.repository(repo),
      headRepository: () => this.repository(repo),
      mergeCommit: () => {
        const commit = pr.mergeCommit ? repo.commitsBySha.get(pr.mergeCommit) : undefined;
        return commit ? this.commit(repo, commit) : null;
      },
      commits: (args: Args) =>
        connection('PullRequestCommitConnection', pr.commits, args, (sha) => {
          const commit = repo.commitsBySha.get(sha) as WorldCommit;
          return {
            __typename: 'PullRequestCommit',
            id: globalId('PURC', `${repo.fullName}#${pr.number}@${sha}`),
            url: `${url}/commits/${sha}`,
            resourcePath: `/${repo.fullName}/pull/${pr.number}/commits/${sha}`,
            commit: this.commit(repo, commit),
            pullRequest: self,
          };
        }),
      reviews: (args: Args) => {
        const states = Array.isArray(args.states) ? (args.states as string[]) : undefined;
        const author = typeof args.author === 'string' ? args.author.toLowerCase() : undefined;
        const reviews = pr.reviews.filter(
          (r) => (!states || states.includes(r.state)) && (!author || r.author?.toLowerCase() === author),
        );
        return connection('PullRequestReviewConnection', reviews, args, review);
      },
      latestReviews: (args: Args) => {
        const latest = new Map<string, WorldReview>();
        for (const r of pr.reviews) if (r.author && r.state !== 'COMMENTED') latest.set(r.author, r);
        return connection('PullRequestReviewConnection', [...latest.values()], args, review);
      },
      files: (args: Args) =>
        connection('PullRequestChangedFileConnection', pr.files, args, (file) => ({
          __typename: 'PullRequestChangedFile',
          path: file.path,
          additions: file.additions,
          deletions: file.deletions,
          changeType: file.changeType,
        })),
      labels: (args: Args) => {
        const current = pr.labels.filter((label) => label.removedAt === null);
        return connection('LabelConnection', current, args, (label) => this.label(repo, label));
      },
      comments: (args: Args) => {
        return connection('IssueCommentConnection', pr.comments, args, (comment) =>
          this.comment(repo, pr, comment),
        );
      },
      timelineItems: (args: Args) => this.timeline(repo, pr, args, review),
    };
  }

  private label(repo: RepoView, label: WorldLabel): Model {
    return {
      __typename: 'Label',
      id: globalId('LA', `${repo.fullName}:${label.name}`),
      name: label.name,
      color: 'ededed',
      description: null,
      url: `${GITHUB}/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
    };
  }

  private comment(repo: RepoView, pr: WorldPullRequest, comment: WorldComment): Model {
    const databaseId = stableId(`${repo.fullName}#${pr.number}/${comment.createdAt}/${comment.author}`);
    return {
      __typename: 'IssueComment',
      id: globalId('IC', String(databaseId)),
      databaseId,
      author: () => this.actor(comment.author),
      createdAt: githubTime(comment.createdAt),
      updatedAt: githubTime(comment.createdAt),
      body: comment.body,
      bodyText: comment.body,
      url: `${GITHUB}/${repo.fullName}/pull/${pr.number}#issuecomment-${databaseId}`,
    };
  }

  private buildReview(repo: RepoView, pr: WorldPullRequest, review: WorldReview): Model {
    const index = pr.reviews.indexOf(review);
    const key = `${repo.fullName}#${pr.number}/review/${index}`;
    const databaseId = stableId(key);
    return {
      __typename: 'PullRequestReview',
      id: globalId('PRR', key),
      databaseId,
      author: () => this.actor(review.author),
      state: review.state,
      body: review.body,
      submittedAt: githubTime(review.submittedAt),
      createdAt: githubTime(review.submittedAt),
      url: `${GITHUB}/${repo.fullName}/pull/${pr.number}#pullrequestreview-${databaseId}`,
      commit: () => {
        const commit = repo.commitsBySha.get(review.commit);
        return commit ? this.commit(repo, commit) : null;
      },
      pullRequest: () => this.pullRequest(repo, pr),
    };
  }

  private timeline(
    repo: RepoView,
    pr: WorldPullRequest,
    args: Args,
    review: (r: WorldReview) => Model,
  ): Model {
    const modelled = [
      'LABELED_EVENT',
      'UNLABELED_EVENT',
      'REVIEW_DISMISSED_EVENT',
      'MERGED_EVENT',
      'PULL_REQUEST_REVIEW',
      'ISSUE_COMMENT',
    ];
    const wanted = Array.isArray(args.itemTypes) ? (args.itemTypes as string[]) : modelled;
    for (const type of wanted) {
      if (!modelled.includes(type)) notEmulated(`PullRequest.timelineItems(itemTypes: ${type})`);
    }
    rejectArguments(args, 'PullRequest.timelineItems', ['skip']);
    const since = typeof args.since === 'string' ? Date.parse(args.since) : Number.NEGATIVE_INFINITY;
    const items: { at: string; model: () => Model }[] = [];
    const event = (typename: string, at: string, actor: string | null, fields: Record<string, unknown>) => ({
      at,
      model: (): Model => ({
        __typename: typename,
        id: globalId('E', `${repo.fullName}#${pr.number}/${typename}/${at}`),
        createdAt: githubTime(at),
        actor: () => this.actor(actor),
        ...fields,
      }),
    });
    for (const label of pr.labels) {
      const labelModel = () => this.label(repo, label);
      if (wanted.includes('LABELED_EVENT')) {
        items.push(event('LabeledEvent', label.addedAt, label.addedBy, { label: labelModel }));
      }
      if (label.removedAt !== null && wanted.includes('UNLABELED_EVENT')) {
        items.push(
          event('UnlabeledEvent', label.removedAt, label.removedBy ?? label.addedBy, { label: labelModel }),
        );
      }
    }
    for (const r of pr.reviews) {
      if (wanted.includes('PULL_REQUEST_REVIEW')) items.push({ at: r.submittedAt, model: () => review(r) });
      if (r.state === 'DISMISSED' && r.dismissedAt !== null && wanted.includes('REVIEW_DISMISSED_EVENT')) {
        items.push(
          event('ReviewDismissedEvent', r.dismissedAt, r.dismissedBy, {
            review: () => review(r),
            previousReviewState: r.previousState,
            dismissalMessage: null,
          }),
        );
      }
    }
    if (wanted.includes('ISSUE_COMMENT')) {
      for (const c of pr.comments) items.push({ at: c.createdAt, model: () => this.comment(repo, pr, c) });
    }
    if (pr.mergedAt !== null && wanted.includes('MERGED_EVENT')) {
      items.push(
        event('MergedEvent', pr.mergedAt, pr.mergedBy, {
          mergeRefName: pr.baseRef,
          commit: () => {
            const commit = pr.mergeCommit ? repo.commitsBySha.get(pr.mergeCommit) : undefined;
            return commit ? this.commit(repo, commit) : null;
          },
        }),
      );
    }
    const ordered = items
      .filter((item) => Date.parse(item.at) >= since)
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return connection('PullRequestTimelineItemsConnection', ordered, args, (item) => item.model(), {
      filteredCount: ordered.length,
      updatedAt: githubTime(updatedAt(pr)),
    });
  }

  search(args: Args): Model {
    const type = String(args.type);
    if (type !== 'ISSUE' && type !== 'ISSUE_ADVANCED') notEmulated(`Query.search(type: ${type})`);
    const results = this.searchResults(String(args.query));
    return connection(
      'SearchResultItemConnection',
      results,
      args,
      (result) => this.pullRequest(result.repo, result.pr),
      {
        issueCount: results.length,
        codeCount: 0,
        discussionCount: 0,
        repositoryCount: 0,
        userCount: 0,
        wikiCount: 0,
      },
      SEARCH_RESULT_CAP,
    );
  }

  private readonly searches = new Map<string, readonly SearchHit[]>();
  private readonly prTimes = new WeakMap<WorldPullRequest, PullRequestTimes>();

  private timesOf(pr: WorldPullRequest): PullRequestTimes {
    let times = this.prTimes.get(pr);
    if (!times) {
      const parse = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));
      times = {
        created: Date.parse(pr.createdAt),
        updated: Date.parse(updatedAt(pr)),
        merged: parse(pr.mergedAt),
        closed: parse(pr.closedAt ?? pr.mergedAt),
      };
      this.prTimes.set(pr, times);
    }
    return times;
  }

  /** The sorted hits of a query; kept, because a collector pages the same query many times. */
  private searchResults(query: string): readonly SearchHit[] {
    const cached = this.searches.get(query);
    if (cached) return cached;
    let search: ReturnType<typeof parseIssueSearch>;
    try {
      search = parseIssueSearch(query);
    } catch (error: unknown) {
      if (error instanceof SearchSyntaxError) throw new GraphQLError(error.message);
      throw error;
    }
    const org = this.view.world.org.toLowerCase();
    const repos = this.view.repos.filter(
      (repo) =>
        (search.repos.length === 0 || search.repos.includes(repo.fullName.toLowerCase())) &&
        (search.orgs.length === 0 || search.orgs.includes(org)),
    );
    const hits: SearchHit[] = [];
    // The world holds pull requests only; a search for issues finds none.
    if (search.kind !== 'issue') {
      for (const repo of repos) {
        for (const pr of repo.repo.pullRequests) {
          if (search.merged !== undefined && (pr.mergedAt !== null) !== search.merged) continue;
          if (search.state && (search.state === 'open') !== (prState(pr) === 'OPEN')) continue;
          if (search.base !== undefined && pr.baseRef !== search.base) continue;
          if (search.head !== undefined && pr.headRef !== search.head) continue;
          if (search.authors.length > 0 && !search.authors.includes((pr.author ?? '').toLowerCase()))
            continue;
          if (
            search.labels.length > 0 &&
            !search.labels.every((name) =>
              pr.labels.some((label) => label.removedAt === null && label.name.toLowerCase() === name),
            )
          ) {
            continue;
          }
          const times = this.timesOf(pr);
          if (!inRangeMs(times.merged, search.dates.merged)) continue;
          if (!inRangeMs(times.created, search.dates.created)) continue;
          if (!inRangeMs(times.updated, search.dates.updated)) continue;
          if (!inRangeMs(times.closed, search.dates.closed)) continue;
          if (search.text.length > 0) {
            const haystack = `${pr.title}\n${pr.body}`.toLowerCase();
            if (!search.text.every((word) => haystack.includes(word))) continue;
          }
          const key =
            search.sort.field === 'updated'
              ? times.updated
              : search.sort.field === 'comments'
                ? pr.comments.length
                : times.created;
          hits.push({ repo, pr, key });
        }
      }
    }
    const sign = search.sort.direction === 'asc' ? 1 : -1;
    hits.sort((a, b) => sign * (a.key - b.key) || sign * (a.pr.number - b.pr.number));
    if (this.searches.size >= 128) this.searches.clear();
    this.searches.set(query, hits);
    return hits;
  }

  /** `node(id:)`: every id this emulator hands out resolves back to its object. */
  node(id: string): Model | null {
    const parsed = parseGlobalId(id);
    const missing = (): never => {
      throw new TypedGraphQlError('NOT_FOUND', `Could not resolve to a node with the global id of '${id}'`);
    };
    if (!parsed) return missing();
    const { prefix, key } = parsed;
    const repoOf = (fullName: string): RepoView => {
      const [owner = '', name = ''] = fullName.split('/');
      return this.view.repo(owner, name) ?? missing();
    };
    switch (prefix) {
      case 'U':
      case 'BOT':
        return this.actor(key);
      case 'O':
        return key.toLowerCase() === this.view.world.org.toLowerCase()
          ? this.organizationModel(key)
          : missing();
      case 'T':
        return this.team(key.split('/')[1] ?? '') ?? missing();
      case 'R':
        return this.repository(repoOf(key));
      case 'PR': {
        const [fullName = '', number = ''] = key.split('#');
        const repo = repoOf(fullName);
        const pr = repo.pullsByNumber.get(Number(number));
        return pr ? this.pullRequest(repo, pr) : missing();
      }
      case 'PRR': {
        const match = /^(.+)#(\d+)\/review\/(\d+)$/.exec(key);
        if (!match) return missing();
        const repo = repoOf(match[1] as string);
        const pr = repo.pullsByNumber.get(Number(match[2]));
        const review = pr?.reviews[Number(match[3])];
        return pr && review ? this.review(repo, pr, review) : missing();
      }
      case 'C': {
        const [fullName = '', sha = ''] = key.split('@');
        const repo = repoOf(fullName);
        const commit = repo.commitsBySha.get(sha);
        return commit ? this.commit(repo, commit) : missing();
      }
      default:
        return this.deployments.node(prefix, key, missing) ?? missing();
    }
  }
}

export function prState(pr: WorldPullRequest): 'OPEN' | 'CLOSED' | 'MERGED' {
  if (pr.mergedAt !== null) return 'MERGED';
  return pr.closedAt !== null ? 'CLOSED' : 'OPEN';
}

/** The last time anything happened on a PR (GitHub's `updatedAt`). */
export function updatedAt(pr: WorldPullRequest): string {
  let latest = pr.createdAt;
  const consider = (iso: string | null | undefined): void => {
    if (iso && Date.parse(iso) > Date.parse(latest)) latest = iso;
  };
  consider(pr.closedAt);
  consider(pr.mergedAt);
  for (const review of pr.reviews) {
    consider(review.submittedAt);
    consider(review.dismissedAt);
  }
  for (const comment of pr.comments) consider(comment.createdAt);
  for (const label of pr.labels) {
    consider(label.addedAt);
    consider(label.removedAt);
  }
  return latest;
}

function rollupState(checks: readonly WorldCheck[]): string {
  const failing = ['FAILURE', 'ERROR', 'TIMED_OUT', 'CANCELLED', 'ACTION_REQUIRED', 'STARTUP_FAILURE'];
  if (checks.some((check) => check.conclusion !== null && failing.includes(check.conclusion))) {
    return checks.some((check) => check.conclusion === 'ERROR') ? 'ERROR' : 'FAILURE';
  }
  if (
    checks.some(
      (check) => check.status !== 'COMPLETED' || check.conclusion === null || check.conclusion === 'PENDING',
    )
  ) {
    return 'PENDING';
  }
  return 'SUCCESS';
}

/** The root `Query` object. */
export function queryRoot(graph: WorldGraph, context: GraphQlContext): Model {
  const view = context.view;
  return {
    __typename: 'Query',
    rateLimit: () => ({ __typename: 'RateLimit', ...context.rateLimit }),
    viewer: () => graph.actor(context.viewerLogin),
    user: ({ login }: Args) => {
      const user = view.user(String(login));
      return user && user.type === 'User' ? graph.actor(user.login) : null;
    },
    organization: ({ login }: Args) => {
      if (String(login).toLowerCase() !== view.world.org.toLowerCase()) {
        throw new TypedGraphQlError(
          'NOT_FOUND',
          `Could not resolve to an Organization with the login of '${login}'.`,
        );
      }
      return graph.organizationModel(String(login));
    },
    repository: ({ owner, name }: Args) => {
      const repo = view.repo(String(owner), String(name));
      if (!repo) {
        throw new TypedGraphQlError(
          'NOT_FOUND',
          `Could not resolve to a Repository with the name '${owner}/${name}'.`,
        );
      }
      return graph.repository(repo);
    },
    search: (args: Args) => graph.search(args),
    node: ({ id }: Args) => graph.node(String(id)),
    nodes: ({ ids }: Args) =>
      (ids as string[]).map((id) => {
        try {
          return graph.node(id);
        } catch (error: unknown) {
          if (error instanceof TypedGraphQlError) return error;
          throw error;
        }
      }),
  };
}
