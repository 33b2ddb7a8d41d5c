/**
 * Terse, valid `github-world/1` worlds for tests. A repository builder keeps a clock and branch
 * heads, so `mergePullRequest` and `pushCommit` produce a consistent history (PR commits on a
 * branch off the base head, a squash merge commit on the base) without writing SHAs by hand.
 *
 *   const world = new WorldBuilder({ now: '2026-11-01T06:00:00Z' });
 *   const repo = world.repo('payments-api');
 *   const pr = repo.mergePullRequest({ author: 'alice', mergedAt: '2026-10-05T10:00:00Z',
 *     reviews: [{ author: 'bob', state: 'APPROVED' }] });
 *   repo.check(pr.headSha, { name: 'unit' });
 *   const parsed = world.build();           // a parsed World, ready for startEmulator
 */
import { createHash } from 'node:crypto';
import { parseWorld, type World, type WorldInput } from '../../emulator/world.ts';

type RepoInput = WorldInput['repos'][number];
type CommitInput = RepoInput['commits'][number];
type PullRequestInput = NonNullable<RepoInput['pullRequests']>[number];
type ReviewInput = NonNullable<PullRequestInput['reviews']>[number];
type CheckInput = NonNullable<RepoInput['checks']>[number];
type DeploymentInput = NonNullable<RepoInput['deployments']>[number];
type RuleSuiteInput = NonNullable<RepoInput['ruleSuites']>[number];
type ActivityInput = NonNullable<RepoInput['activity']>[number];
type WorkflowRunInput = NonNullable<RepoInput['workflowRuns']>[number];
type AuditEventInput = NonNullable<WorldInput['auditLog']>[number];
type UserInput = NonNullable<WorldInput['users']>[number];

/** A deterministic 40-hex SHA from any seed text. */
export function shaOf(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/** `base` plus `minutes`, as an ISO time without fractions. */
export function addMinutes(base: string, minutes: number): string {
  return new Date(Date.parse(base) + minutes * 60_000).toISOString().replace(/\.000Z$/, 'Z');
}

export interface CommitOptions {
  message?: string;
  author?: string | null;
  committer?: string | null;
  at?: string;
  authoredAt?: string;
  parents?: string[];
  /** Signed by `web-flow` and valid (default), unsigned (`false`), or an explicit signature. */
  signature?: CommitInput['signature'] | boolean;
  /** Who pushed it to its branch (the world's default: the committer). */
  pushedBy?: string;
}

export interface PullRequestOptions {
  number?: number;
  title?: string;
  body?: string;
  author?: string | null;
  base?: string;
  head?: string;
  createdAt?: string;
  /** Null (or omitted with `open: true`) leaves the PR open. */
  mergedAt?: string | null;
  closedAt?: string | null;
  mergedBy?: string | null;
  /** How many commits the PR carries (default 1); or explicit commit options. */
  commits?: number | CommitOptions[];
  files?: PullRequestInput['files'];
  labels?: PullRequestInput['labels'];
  /** Reviews of the head commit unless `commit` is given; `submittedAt` defaults to just before the merge. */
  reviews?: (Partial<ReviewInput> & { author: string | null; state: ReviewInput['state'] })[];
  comments?: PullRequestInput['comments'];
  /** Sign the squash merge commit (default: valid web-flow signature). */
  mergeSignature?: CommitOptions['signature'];
}

export interface BuiltPullRequest {
  readonly number: number;
  readonly commits: string[];
  readonly headSha: string;
  readonly mergeCommit: string | null;
}

function signatureOf(option: CommitOptions['signature']): CommitInput['signature'] {
  if (option === undefined || option === true) return { valid: true, state: 'VALID', signer: 'web-flow' };
  if (option === false) return null;
  return option;
}

export class RepoBuilder {
  readonly input: RepoInput & {
    commits: CommitInput[];
    pullRequests: PullRequestInput[];
    checks: CheckInput[];
    deployments: DeploymentInput[];
    ruleSuites: RuleSuiteInput[];
    activity: ActivityInput[];
    workflowRuns: WorkflowRunInput[];
    branches: Record<string, string>;
  };
  private sequence = 0;
  private nextPullNumber = 1;
  private nextId = 1;

  constructor(
    readonly name: string,
    private clock: string,
    defaultBranch = 'main',
  ) {
    this.input = {
      name,
      defaultBranch,
      branches: {},
      protection: null,
      rulesets: [],
      commits: [],
      pullRequests: [],
      checks: [],
      deployments: [],
      ruleSuites: [],
      activity: [],
      workflowRuns: [],
    };
    const root = this.commit({ message: 'Initial commit', author: 'octocat', parents: [] });
    this.input.branches[defaultBranch] = root;
  }

  get defaultBranch(): string {
    return this.input.defaultBranch;
  }

  head(branch = this.input.defaultBranch): string {
    return this.input.branches[branch] as string;
  }

  /** Advance the builder's clock and return the new time. */
  tick(minutes = 1): string {
    this.clock = addMinutes(this.clock, minutes);
    return this.clock;
  }

  /** Add a commit (not on any branch unless you move one); returns its SHA. */
  commit(options: CommitOptions = {}): string {
    const at = options.at ?? this.tick();
    const author = options.author === undefined ? 'octocat' : options.author;
    const sha = shaOf(`${this.name}:${this.sequence++}:${options.message ?? ''}`);
    this.input.commits.push({
      sha,
      parents: options.parents ?? [this.head()],
      message: options.message ?? `Change ${this.sequence}`,
      author,
      committer: options.committer === undefined ? author : options.committer,
      authoredAt: options.authoredAt ?? at,
      committedAt: at,
      signature: signatureOf(options.signature),
      ...(options.pushedBy ? { pushedBy: options.pushedBy } : {}),
    });
    return sha;
  }

  /** A commit pushed straight onto a branch (default: the default branch). */
  pushCommit(options: CommitOptions & { branch?: string } = {}): string {
    const branch = options.branch ?? this.input.defaultBranch;
    const sha = this.commit({ ...options, parents: options.parents ?? [this.head(branch)] });
    this.input.branches[branch] = sha;
    return sha;
  }

  /** A pull request; merged (squash, onto the base) unless `mergedAt` is null. */
  mergePullRequest(options: PullRequestOptions = {}): BuiltPullRequest {
    const number = options.number ?? this.nextPullNumber;
    this.nextPullNumber = Math.max(this.nextPullNumber, number + 1);
    const base = options.base ?? this.input.defaultBranch;
    const author = options.author === undefined ? 'octocat' : options.author;
    const commitOptions: CommitOptions[] = Array.isArray(options.commits)
      ? options.commits
      : Array.from({ length: options.commits ?? 1 }, () => ({}));
    const resume = this.clock;
    // With a given merge time, the PR's own commits are laid out just before it.
    const createdAt =
      options.createdAt ??
      (typeof options.mergedAt === 'string'
        ? addMinutes(options.mergedAt, -(commitOptions.length + 10))
        : this.tick());
    this.clock = createdAt;
    const commits: string[] = [];
    let parent = this.head(base);
    for (const [i, commitOption] of commitOptions.entries()) {
      const sha = this.commit({
        message: `PR ${number} commit ${i + 1}`,
        author,
        signature: false,
        ...commitOption,
        parents: commitOption.parents ?? [parent],
      });
      commits.push(sha);
      parent = sha;
    }
    const headSha = commits[commits.length - 1] as string;
    const mergedAt = options.mergedAt === undefined ? this.tick(5) : options.mergedAt;
    if (mergedAt !== null && Date.parse(mergedAt) > Date.parse(this.clock)) this.clock = mergedAt;
    if (Date.parse(resume) > Date.parse(this.clock)) this.clock = resume;
    let mergeCommit: string | null = null;
    const title = options.title ?? `Change ${number}`;
    if (mergedAt !== null) {
      mergeCommit = this.commit({
        message: `${title} (#${number})`,
        author,
        committer: 'web-flow',
        at: mergedAt,
        parents: [this.head(base)],
        signature: options.mergeSignature ?? true,
      });
      this.input.branches[base] = mergeCommit;
    }
    const beforeMerge = mergedAt ?? this.clock;
    this.input.pullRequests.push({
      number,
      title,
      body: options.body ?? '',
      author,
      baseRef: base,
      headRef: options.head ?? `${author ?? 'ghost'}/change-${number}`,
      createdAt,
      closedAt: options.closedAt === undefined ? mergedAt : options.closedAt,
      mergedAt,
      mergedBy: options.mergedBy === undefined ? (mergedAt === null ? null : author) : options.mergedBy,
      mergeCommit,
      commits,
      files: options.files ?? [
        { path: `src/change-${number}.ts`, additions: 10, deletions: 2, changeType: 'MODIFIED' },
      ],
      labels: options.labels ?? [],
      reviews: (options.reviews ?? []).map((review) => ({
        commit: headSha,
        submittedAt: addMinutes(beforeMerge, -1),
        ...review,
      })),
      comments: options.comments ?? [],
    });
    return { number, commits, headSha, mergeCommit };
  }

  check(commit: string, options: Partial<CheckInput> & { name: string }): this {
    const at = options.startedAt ?? this.clock;
    this.input.checks.push({
      commit,
      kind: 'check_run',
      app: 'github-actions',
      status: 'COMPLETED',
      conclusion: 'SUCCESS',
      startedAt: at,
      completedAt: options.completedAt === undefined ? addMinutes(at, 2) : options.completedAt,
      ...options,
    });
    return this;
  }

  deployment(options: Partial<DeploymentInput> & { createdAt: string }): number {
    const id = options.id ?? 9000 + this.nextId++;
    this.input.deployments.push({
      id,
      sha: this.head(),
      ref: this.input.defaultBranch,
      environment: 'production',
      productionEnvironment: true,
      creator: 'deploy-bot',
      statuses: [],
      ...options,
    });
    return id;
  }

  ruleSuite(options: Partial<RuleSuiteInput> & { pushedAt: string }): number {
    const id = options.id ?? this.nextId++;
    this.input.ruleSuites.push({
      id,
      actor: 'octocat',
      ref: `refs/heads/${this.input.defaultBranch}`,
      beforeSha: this.head(),
      afterSha: this.head(),
      result: 'pass',
      evaluationResult: 'pass',
      ...options,
    });
    return id;
  }

  activity(options: Partial<ActivityInput> & { timestamp: string }): number {
    const id = options.id ?? this.nextId++;
    this.input.activity.push({
      id,
      ref: `refs/heads/${this.input.defaultBranch}`,
      before: this.head(),
      after: this.head(),
      activityType: 'push',
      actor: 'octocat',
      ...options,
    });
    return id;
  }

  workflowRun(options: Partial<WorkflowRunInput> & { id: number; createdAt: string }): this {
    this.input.workflowRuns.push({
      name: 'deploy',
      headSha: this.head(),
      event: 'push',
      status: 'completed',
      conclusion: 'success',
      actor: 'octocat',
      runAttempt: 1,
      updatedAt: addMinutes(options.createdAt, 5),
      jobs: [],
      ...options,
    });
    return this;
  }

  protect(protection: NonNullable<RepoInput['protection']>): this {
    this.input.protection = protection;
    return this;
  }

  ruleset(ruleset: NonNullable<RepoInput['rulesets']>[number]): this {
    this.input.rulesets = [...(this.input.rulesets ?? []), ruleset];
    return this;
  }
}

export interface WorldOptions {
  org?: string;
  plan?: WorldInput['plan'];
  now?: string;
  /** Where repository clocks start; default one month and a day before `now`. */
  start?: string;
}

export class WorldBuilder {
  readonly org: string;
  readonly now: string;
  private readonly plan: WorldInput['plan'];
  private readonly start: string;
  private readonly users = new Map<string, UserInput>();
  private readonly teams: Record<string, string[]> = {};
  private readonly repos: RepoBuilder[] = [];
  private readonly auditLog: AuditEventInput[] = [];

  constructor(options: WorldOptions = {}) {
    this.org = options.org ?? 'acme';
    this.plan = options.plan ?? 'enterprise';
    this.now = options.now ?? '2026-11-01T06:00:00Z';
    this.start = options.start ?? '2026-09-30T00:00:00Z';
    this.user('octocat', { name: 'The Octocat' });
  }

  user(login: string, options: Omit<UserInput, 'login'> = {}): this {
    this.users.set(login, { login, ...options });
    return this;
  }

  team(slug: string, members: string[]): this {
    for (const member of members) if (!this.users.has(member)) this.user(member);
    this.teams[slug] = members;
    return this;
  }

  repo(name: string, defaultBranch = 'main'): RepoBuilder {
    const repo = new RepoBuilder(name, this.start, defaultBranch);
    this.repos.push(repo);
    return repo;
  }

  audit(event: AuditEventInput): this {
    this.auditLog.push(event);
    return this;
  }

  /** The world as JSON-ready input (what a world file holds). */
  toInput(): WorldInput {
    return {
      format: 'github-world/1',
      org: this.org,
      plan: this.plan,
      now: this.now,
      users: [...this.users.values()],
      teams: this.teams,
      repos: this.repos.map((repo) => repo.input),
      auditLog: this.auditLog,
    };
  }

  /** Parsed and cross-checked, ready for `startEmulator`. */
  build(): World {
    return parseWorld(JSON.parse(JSON.stringify(this.toInput())));
  }
}
