/**
 * The world as GitHub shows it at the world's `now`: everything dated after `now` is cut away
 * (a PR merged later is still open, a check completed later is still running), and lookups the
 * servers need on every request are indexed once.
 */
import type {
  World,
  WorldCheck,
  WorldCommit,
  WorldDeployment,
  WorldPullRequest,
  WorldRepo,
  WorldUser,
  WorldWorkflowRun,
} from './world.ts';

export interface RepoView {
  readonly repo: WorldRepo;
  readonly owner: string;
  readonly fullName: string;
  readonly databaseId: number;
  readonly commitsBySha: ReadonlyMap<string, WorldCommit>;
  readonly pullsByNumber: ReadonlyMap<number, WorldPullRequest>;
  readonly checksByCommit: ReadonlyMap<string, readonly WorldCheck[]>;
  /** PRs that merged into, or carry, a commit — what GitHub's "associated pull requests" lists. */
  readonly pullsByCommit: ReadonlyMap<string, readonly WorldPullRequest[]>;
  readonly deploymentsById: ReadonlyMap<number, WorldDeployment>;
  readonly runsById: ReadonlyMap<number, WorldWorkflowRun>;
  /** Commits reachable from a head, newest first (as `git log` lists them), cached per head. */
  historyFrom(sha: string): readonly WorldCommit[];
}

export interface WorldView {
  readonly world: World;
  readonly nowMs: number;
  readonly repos: readonly RepoView[];
  repo(owner: string, name: string): RepoView | undefined;
  user(login: string): WorldUser | undefined;
  /** Team slug -> member logins, as stored. */
  team(slug: string): readonly string[] | undefined;
}

const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** GitHub prints times without fractions: `2026-10-01T12:00:00Z`. */
export function githubTime(iso: string): string;
export function githubTime(iso: string | null): string | null;
export function githubTime(iso: string | null): string | null {
  if (iso === null) return null;
  if (CANONICAL_TIME.test(iso)) return iso;
  return new Date(Date.parse(iso)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A stable number for a name, so ids do not move when a world grows. */
export function stableId(text: string, base = 1_000_000): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return base + ((hash >>> 0) % 90_000_000);
}

/**
 * The key a check's ids derive from: `<repo>@<commit>/<kind>/<name>`, and `#<n>` for the n-th
 * re-run of the same name on the same commit (each run of a check is a run of its own on GitHub).
 */
export function checkKey(repo: RepoView, check: WorldCheck): string {
  const base = `${repo.fullName}@${check.commit}/${check.kind}/${check.name}`;
  const same = (repo.checksByCommit.get(check.commit) ?? []).filter(
    (other) => other.kind === check.kind && other.name === check.name,
  );
  const run = same.indexOf(check);
  return run > 0 ? `${base}#${run}` : base;
}

export function viewWorld(world: World): WorldView {
  const nowMs = Date.parse(world.now);
  const visible = (iso: string | null): boolean => iso !== null && Date.parse(iso) <= nowMs;
  const later = (iso: string | null): iso is string => iso !== null && Date.parse(iso) > nowMs;

  const repos = world.repos.map((source) => viewRepo(world.org, pruneRepo(source, nowMs, visible, later)));
  const reposByName = new Map(repos.map((view) => [view.repo.name.toLowerCase(), view]));
  const users = new Map(world.users.map((user) => [user.login.toLowerCase(), user]));
  const teams = new Map(Object.entries(world.teams).map(([slug, members]) => [slug.toLowerCase(), members]));
  return {
    world: {
      ...world,
      repos: repos.map((view) => view.repo),
      auditLog: world.auditLog.filter((event) => visible(event.createdAt)),
    },
    nowMs,
    repos,
    repo: (owner, name) =>
      owner.toLowerCase() === world.org.toLowerCase() ? reposByName.get(name.toLowerCase()) : undefined,
    user: (login) => users.get(login.toLowerCase()),
    team: (slug) => teams.get(slug.toLowerCase()),
  };
}

function pruneRepo(
  repo: WorldRepo,
  nowMs: number,
  visible: (iso: string | null) => boolean,
  later: (iso: string | null) => iso is string,
): WorldRepo {
  const commits = repo.commits.filter((commit) => visible(commit.committedAt));
  const shas = new Map(commits.map((commit) => [commit.sha, commit]));
  const allBySha = new Map(repo.commits.map((commit) => [commit.sha, commit]));
  const branches: Record<string, string> = {};
  for (const [branch, head] of Object.entries(repo.branches)) {
    // A branch whose head was pushed after `now` pointed at an earlier first-parent then.
    let sha: string | undefined = head;
    while (sha !== undefined && !shas.has(sha)) sha = allBySha.get(sha)?.parents[0];
    if (sha !== undefined) branches[branch] = sha;
  }
  const pullRequests = repo.pullRequests
    .filter((pr) => visible(pr.createdAt))
    .map((pr): WorldPullRequest => {
      const merged = pr.mergedAt !== null && !later(pr.mergedAt);
      return {
        ...pr,
        closedAt: later(pr.closedAt) ? null : pr.closedAt,
        mergedAt: merged ? pr.mergedAt : null,
        mergedBy: merged ? pr.mergedBy : null,
        mergeCommit: merged ? pr.mergeCommit : null,
        commits: pr.commits.filter((sha) => shas.has(sha)),
        labels: pr.labels
          .filter((label) => visible(label.addedAt))
          .map((label) => (later(label.removedAt) ? { ...label, removedAt: null } : label)),
        reviews: pr.reviews
          .filter((review) => visible(review.submittedAt))
          .map((review) =>
            later(review.dismissedAt)
              ? {
                  ...review,
                  state: review.previousState ?? 'COMMENTED',
                  dismissedAt: null,
                  dismissedBy: null,
                }
              : review,
          ),
        comments: pr.comments.filter((comment) => visible(comment.createdAt)),
      };
    })
    .filter((pr) => pr.commits.length > 0);
  const checks = repo.checks
    .filter((check) => shas.has(check.commit) && visible(check.startedAt ?? check.completedAt))
    .map((check) =>
      later(check.completedAt)
        ? {
            ...check,
            status: 'IN_PROGRESS' as const,
            conclusion: check.kind === 'status' ? 'PENDING' : null,
            completedAt: null,
          }
        : check,
    );
  const workflowRuns = repo.workflowRuns
    .filter((run) => visible(run.createdAt))
    .map((run) => {
      const jobs = run.jobs
        .filter((job) => visible(job.startedAt))
        .map((job) =>
          later(job.completedAt)
            ? { ...job, status: 'in_progress' as const, conclusion: null, completedAt: null }
            : job,
        );
      return later(run.updatedAt)
        ? {
            ...run,
            status: 'in_progress' as const,
            conclusion: null,
            updatedAt: new Date(nowMs).toISOString(),
            jobs,
          }
        : { ...run, jobs };
    });
  return {
    ...repo,
    branches,
    commits,
    pullRequests,
    checks,
    deployments: repo.deployments
      .filter((deployment) => visible(deployment.createdAt))
      .map((deployment) => ({
        ...deployment,
        statuses: deployment.statuses.filter((status) => visible(status.createdAt)),
      })),
    ruleSuites: repo.ruleSuites.filter((suite) => visible(suite.pushedAt)),
    activity: [...repo.activity, ...pullRequestBranchPushes(repo, pullRequests, shas)].filter((event) =>
      visible(event.timestamp),
    ),
    workflowRuns,
  };
}

/** GitHub's own committers for commits made on github.com: the person behind them is the author. */
const WEB_COMMITTERS = new Set(['web-flow', 'github']);

/**
 * The pushes that put each PR's commits on its head branch, as repository activity shows them
 * (`GET /repos/{o}/{r}/activity?ref=<head branch>`): one `push` per commit, at its commit time,
 * by the commit's `pushedBy` (default: its committer, or its author for a commit made on
 * github.com). A branch the world already gives activity for keeps only the world's events.
 */
function pullRequestBranchPushes(
  repo: WorldRepo,
  pullRequests: readonly WorldPullRequest[],
  commits: ReadonlyMap<string, WorldCommit>,
): WorldRepo['activity'] {
  const described = new Set(repo.activity.map((event) => event.ref));
  const pushes: WorldRepo['activity'] = [];
  const seen = new Set<string>();
  for (const pr of pullRequests) {
    const ref = `refs/heads/${pr.headRef}`;
    if (pr.headRef === repo.defaultBranch || described.has(ref)) continue;
    let before = repo.commits.find((commit) => commit.sha === pr.commits[0])?.parents[0] ?? ZERO_SHA;
    for (const sha of pr.commits) {
      const commit = commits.get(sha);
      if (!commit) continue;
      const key = `${repo.name}:${ref}:${sha}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const committer = commit.committer && !WEB_COMMITTERS.has(commit.committer) ? commit.committer : null;
      pushes.push({
        id: stableId(key, 1_000_000_000),
        ref,
        before,
        after: sha,
        timestamp: commit.committedAt,
        activityType: 'push',
        actor: commit.pushedBy ?? committer ?? commit.author,
      });
      before = sha;
    }
  }
  return pushes;
}

const ZERO_SHA = '0'.repeat(40);

function viewRepo(org: string, repo: WorldRepo): RepoView {
  const commitsBySha = new Map(repo.commits.map((commit) => [commit.sha, commit]));
  const pullsByNumber = new Map(repo.pullRequests.map((pr) => [pr.number, pr]));
  const checksByCommit = new Map<string, WorldCheck[]>();
  for (const check of repo.checks) {
    const list = checksByCommit.get(check.commit);
    if (list) list.push(check);
    else checksByCommit.set(check.commit, [check]);
  }
  const pullsByCommit = new Map<string, WorldPullRequest[]>();
  const associate = (sha: string, pr: WorldPullRequest): void => {
    const list = pullsByCommit.get(sha);
    if (!list) pullsByCommit.set(sha, [pr]);
    else if (!list.includes(pr)) list.push(pr);
  };
  // The merge commit first: for a commit on the default branch, the PR that landed it comes first.
  for (const pr of repo.pullRequests) if (pr.mergeCommit !== null) associate(pr.mergeCommit, pr);
  for (const pr of repo.pullRequests) for (const sha of pr.commits) associate(sha, pr);

  const histories = new Map<string, WorldCommit[]>();
  const fullName = `${org}/${repo.name}`;
  return {
    repo,
    owner: org,
    fullName,
    databaseId: stableId(fullName, 100_000_000),
    commitsBySha,
    pullsByNumber,
    checksByCommit,
    pullsByCommit,
    deploymentsById: new Map(repo.deployments.map((deployment) => [deployment.id, deployment])),
    runsById: new Map(repo.workflowRuns.map((run) => [run.id, run])),
    historyFrom(sha) {
      let history = histories.get(sha);
      if (!history) {
        history = walkHistory(commitsBySha, sha);
        histories.set(sha, history);
      }
      return history;
    },
  };
}

/** Reachable commits, newest committer date first, children before parents (git log's order). */
function walkHistory(commitsBySha: ReadonlyMap<string, WorldCommit>, head: string): WorldCommit[] {
  const reachable: WorldCommit[] = [];
  const seen = new Set<string>();
  const stack = [head];
  while (stack.length > 0) {
    const sha = stack.pop() as string;
    if (seen.has(sha)) continue;
    seen.add(sha);
    const commit = commitsBySha.get(sha);
    if (!commit) continue;
    reachable.push(commit);
    for (const parent of commit.parents) if (!seen.has(parent)) stack.push(parent);
  }
  const order = new Map(reachable.map((commit, i) => [commit.sha, i]));
  return reachable.sort(
    (a, b) =>
      Date.parse(b.committedAt) - Date.parse(a.committedAt) ||
      (order.get(a.sha) ?? 0) - (order.get(b.sha) ?? 0),
  );
}
