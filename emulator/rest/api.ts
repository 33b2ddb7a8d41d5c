/**
 * The REST endpoints the collectors call, at api.github.com's paths, with its paging (`per_page`
 * and `page`, or opaque `before`/`after` cursors, both announced in a `Link` header), its 404
 * wording, and its reach: the audit log only on the enterprise plan and 180 days back; rule
 * suites and repository activity one month back; nothing after the world's `now`.
 */
import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import { inRange, parseTimeRange, type TimeRange } from '../graphql/search-query.ts';
import {
  appIdOf,
  type WorldAuditEvent,
  type WorldCheck,
  type WorldRuleSuite,
  type WorldRuleset,
} from '../world.ts';
import type { RepoView, WorldView } from '../world-view.ts';
import { checkKey, githubTime, stableId } from '../world-view.ts';
import { type CheckSuiteView, latestRuns, RestShapes } from './shapes.ts';

export interface RestRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly viewerLogin: string;
}

export interface RestResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const DOCS = 'https://docs.github.com/rest';
const DAY_MS = 86_400_000;
const AUDIT_LOG_DAYS = 180;
/** GitHub's workflow-run search stops at 1,000 results. */
const WORKFLOW_RUN_SEARCH_CAP = 1000;

function error(status: number, message: string, documentation = DOCS): RestResponse {
  return { status, body: { message, documentation_url: documentation, status: String(status) } };
}

const notFound = (message = 'Not Found'): RestResponse => error(404, message);
const notEmulated = (what: string): RestResponse => error(422, `${what} is not emulated`);

type Handler = (params: string[], request: RestRequest) => RestResponse;

/** One calendar month before `now` — how far rule suites and repository activity reach back. */
export function oneMonthBefore(nowMs: number): number {
  const date = new Date(nowMs);
  date.setUTCMonth(date.getUTCMonth() - 1);
  return date.getTime();
}

export class RestApi {
  private readonly shapes: RestShapes;
  private readonly routes: { pattern: RegExp; handler: Handler }[] = [];

  constructor(
    private readonly view: WorldView,
    private readonly baseUrl: string,
  ) {
    this.shapes = new RestShapes(view, baseUrl);
    const seg = '([^/]+)';
    const repo = `/repos/${seg}/${seg}`;
    const add = (path: string, handler: Handler): void => {
      this.routes.push({ pattern: new RegExp(`^${path}/?$`), handler });
    };
    add('/user', (_params, request) => this.user(request));
    add('/rate_limit', () => ({ status: 200, body: {} }));
    add(`/orgs/${seg}/repos`, ([org = ''], request) => this.orgRepos(org, request));
    add(`/orgs/${seg}/audit-log`, ([org = ''], request) => this.auditLog(org, request));
    add(`/orgs/${seg}/teams`, ([org = ''], request) => this.teams(org, request));
    add(`/orgs/${seg}/teams/${seg}/members`, ([org = '', slug = ''], request) =>
      this.teamMembers(org, slug, request),
    );
    add(`/orgs/${seg}/members`, ([org = ''], request) => this.orgMembers(org, request));
    add(`/orgs/${seg}/rulesets/rule-suites`, ([org = ''], request) => this.orgRuleSuites(org, request));
    add(`/orgs/${seg}/rulesets/rule-suites/(\\d+)`, ([org = '', id = '']) =>
      this.orgRuleSuite(org, Number(id)),
    );
    add(
      repo,
      this.inRepo((r) => ({ status: 200, body: this.shapes.repository(r) })),
    );
    add(
      `${repo}/branches/(.+)/protection`,
      this.inRepo((r, [branch = ''], request) => this.protection(r, branch, request)),
    );
    add(
      `${repo}/rules/branches/(.+)`,
      this.inRepo((r, [branch = ''], request) => this.branchRules(r, branch, request)),
    );
    add(
      `${repo}/branches/(.+)`,
      this.inRepo((r, [branch = '']) => this.branch(r, branch)),
    );
    add(
      `${repo}/rulesets/rule-suites`,
      this.inRepo((r, _p, request) => this.ruleSuites(r, request)),
    );
    add(
      `${repo}/rulesets/rule-suites/(\\d+)`,
      this.inRepo((r, [id = '']) => this.ruleSuite(r, Number(id))),
    );
    add(
      `${repo}/rulesets`,
      this.inRepo((r, _p, request) => this.rulesets(r, request)),
    );
    add(
      `${repo}/rulesets/(\\d+)`,
      this.inRepo((r, [id = '']) => this.rulesetById(r, Number(id))),
    );
    add(
      `${repo}/commits`,
      this.inRepo((r, _p, request) => this.commits(r, request)),
    );
    add(
      `${repo}/commits/([^/]+)/pulls`,
      this.inRepo((r, [sha = ''], request) => this.commitPulls(r, sha, request)),
    );
    add(
      `${repo}/commits/([^/]+)`,
      this.inRepo((r, [ref = '']) => this.commit(r, ref)),
    );
    add(
      `${repo}/commits/([^/]+)/check-suites`,
      this.inRepo((r, [ref = ''], request) => this.checkSuites(r, ref, request)),
    );
    add(
      `${repo}/commits/([^/]+)/check-runs`,
      this.inRepo((r, [ref = ''], request) => this.commitCheckRuns(r, ref, request)),
    );
    add(
      `${repo}/check-suites/(\\d+)/check-runs`,
      this.inRepo((r, [id = ''], request) => this.checkRuns(r, Number(id), request)),
    );
    add(
      `${repo}/commits/([^/]+)/statuses`,
      this.inRepo((r, [ref = ''], request) => this.commitStatuses(r, ref, request)),
    );
    add(
      `${repo}/activity`,
      this.inRepo((r, _p, request) => this.activity(r, request)),
    );
    add(
      `${repo}/deployments`,
      this.inRepo((r, _p, request) => this.deployments(r, request)),
    );
    add(
      `${repo}/deployments/(\\d+)`,
      this.inRepo((r, [id = '']) => this.deployment(r, Number(id))),
    );
    add(
      `${repo}/deployments/(\\d+)/statuses`,
      this.inRepo((r, [id = ''], request) => this.deploymentStatuses(r, Number(id), request)),
    );
    add(
      `${repo}/contents/(.+)`,
      this.inRepo((r, [path = ''], request) => this.contents(r, path, request)),
    );
    add(
      `${repo}/actions/runs`,
      this.inRepo((r, _p, request) => this.workflowRuns(r, request)),
    );
    add(
      `${repo}/actions/runs/(\\d+)`,
      this.inRepo((r, [id = '']) => this.workflowRun(r, Number(id))),
    );
    add(
      `${repo}/actions/runs/(\\d+)/jobs`,
      this.inRepo((r, [id = ''], request) => this.workflowJobs(r, Number(id), request)),
    );
  }

  handle(request: RestRequest): RestResponse {
    if (request.method !== 'GET' && request.method !== 'HEAD') return notFound();
    for (const route of this.routes) {
      const match = route.pattern.exec(request.path);
      if (match) return route.handler(match.slice(1).map(decodeURIComponent), request);
    }
    return notFound();
  }

  private inRepo(handler: (repo: RepoView, params: string[], request: RestRequest) => RestResponse): Handler {
    return ([owner = '', name = '', ...rest], request) => {
      const repo = this.view.repo(owner, name);
      return repo ? handler(repo, rest, request) : notFound();
    };
  }

  private isOrg(org: string): boolean {
    return org.toLowerCase() === this.view.world.org.toLowerCase();
  }

  private user(request: RestRequest): RestResponse {
    const user = this.view.user(request.viewerLogin);
    return {
      status: 200,
      body: {
        ...this.shapes.simpleUser(request.viewerLogin),
        name: user?.name ?? null,
        email: user?.email ?? null,
        // The rest of GitHub's private-user, every field it marks required.
        company: null,
        blog: '',
        location: null,
        hireable: null,
        bio: null,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: '2020-01-01T00:00:00Z',
        updated_at: '2020-01-01T00:00:00Z',
        private_gists: 0,
        total_private_repos: 0,
        owned_private_repos: 0,
        disk_usage: 0,
        collaborators: 0,
        two_factor_authentication: true,
      },
    };
  }

  private orgRepos(org: string, request: RestRequest): RestResponse {
    if (!this.isOrg(org)) return notFound();
    return this.paged(request, this.view.repos, (repo) => this.shapes.repository(repo));
  }

  private teams(org: string, request: RestRequest): RestResponse {
    if (!this.isOrg(org)) return notFound();
    const slugs = Object.keys(this.view.world.teams).sort();
    return this.paged(request, slugs, (slug) => ({
      id: stableId(`${org}/${slug}`),
      node_id: `T_${Buffer.from(`${org}/${slug}`).toString('base64url')}`,
      url: `${this.baseUrl}/orgs/${org}/teams/${slug}`,
      html_url: `https://github.com/orgs/${org}/teams/${slug}`,
      name: slug,
      slug,
      description: null,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'pull',
      members_url: `${this.baseUrl}/orgs/${org}/teams/${slug}/members{/member}`,
      repositories_url: `${this.baseUrl}/orgs/${org}/teams/${slug}/repos`,
      parent: null,
      type: 'organization',
    }));
  }

  private teamMembers(org: string, slug: string, request: RestRequest): RestResponse {
    const members = this.isOrg(org) ? this.view.team(slug) : undefined;
    if (!members) return notFound();
    return this.paged(request, members, (login) => this.shapes.simpleUser(login));
  }

  private orgMembers(org: string, request: RestRequest): RestResponse {
    if (!this.isOrg(org)) return notFound();
    const users = this.view.world.users.filter((user) => user.type === 'User');
    return this.paged(request, users, (user) => this.shapes.simpleUser(user.login));
  }

  /**
   * A file of the default branch (`repos[].files`), as GitHub's "Get repository content" answers
   * for a file: base64 content, its blob SHA and links. Other refs hold no files in a world.
   */
  private contents(repo: RepoView, path: string, request: RestRequest): RestResponse {
    const ref = request.query.get('ref');
    if (ref && ref !== repo.repo.defaultBranch && ref !== repo.repo.branches[repo.repo.defaultBranch]) {
      return notFound('No commit found for the ref');
    }
    const clean = path.replace(/^\/+/, '');
    const text = repo.repo.files[clean];
    if (text === undefined) return notFound();
    const bytes = Buffer.from(text, 'utf8');
    const blobSha = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    const url = `${this.baseUrl}/repos/${repo.fullName}/contents/${clean}?ref=${repo.repo.defaultBranch}`;
    const htmlUrl = `https://github.com/${repo.fullName}/blob/${repo.repo.defaultBranch}/${clean}`;
    const gitUrl = `${this.baseUrl}/repos/${repo.fullName}/git/blobs/${blobSha}`;
    return {
      status: 200,
      body: {
        type: 'file',
        encoding: 'base64',
        size: bytes.length,
        name: clean.split('/').pop() ?? clean,
        path: clean,
        content: bytes.toString('base64'),
        sha: blobSha,
        url,
        git_url: gitUrl,
        html_url: htmlUrl,
        download_url: `https://raw.githubusercontent.com/${repo.fullName}/${repo.repo.defaultBranch}/${clean}`,
        _links: { self: url, git: gitUrl, html: htmlUrl },
      },
    };
  }

  private protection(repo: RepoView, branch: string, request: RestRequest): RestResponse {
    if (!(branch in repo.repo.branches)) return notFound('Branch not found');
    // GitHub hides protection from a token without admin rights behind a plain 404.
    if (repo.repo.admins && !repo.repo.admins.includes(request.viewerLogin)) return notFound();
    const protection = repo.repo.protection;
    if (!protection || branch !== repo.repo.defaultBranch) return notFound('Branch not protected');
    const url = `${this.baseUrl}/repos/${repo.fullName}/branches/${branch}/protection`;
    const enabled = (value: boolean | undefined, path: string) => ({
      url: `${url}/${path}`,
      enabled: value ?? false,
    });
    return {
      status: 200,
      body: {
        url,
        ...(protection.requiredStatusChecks.length > 0
          ? {
              required_status_checks: {
                url: `${url}/required_status_checks`,
                strict: protection.strictStatusChecks ?? false,
                contexts: protection.requiredStatusChecks,
                contexts_url: `${url}/required_status_checks/contexts`,
                checks: protection.requiredStatusChecks.map((context) => {
                  const bound = protection.requiredCheckApps.find((check) => check.context === context);
                  return {
                    context,
                    app_id: bound ? appIdOf(this.view.world, bound.app, (slug) => stableId(slug)) : null,
                  };
                }),
              },
            }
          : {}),
        ...(protection.requiredApprovingReviewCount > 0 || protection.requireCodeOwnerReviews
          ? {
              required_pull_request_reviews: {
                url: `${url}/required_pull_request_reviews`,
                dismiss_stale_reviews: protection.dismissStaleReviews ?? false,
                require_code_owner_reviews: protection.requireCodeOwnerReviews ?? false,
                required_approving_review_count: protection.requiredApprovingReviewCount,
                require_last_push_approval: false,
              },
            }
          : {}),
        required_signatures: enabled(protection.requireSignedCommits, 'required_signatures'),
        enforce_admins: enabled(protection.enforceAdmins, 'enforce_admins'),
        required_linear_history: { enabled: protection.requireLinearHistory ?? false },
        allow_force_pushes: { enabled: protection.allowForcePushes ?? false },
        allow_deletions: { enabled: protection.allowDeletions ?? false },
        block_creations: { enabled: false },
        required_conversation_resolution: { enabled: false },
        lock_branch: { enabled: false },
        allow_fork_syncing: { enabled: false },
      },
    };
  }

  private rulesetApplies(repo: RepoView, ruleset: WorldRuleset, branch: string): boolean {
    const matches = (pattern: string): boolean => {
      if (pattern === '~ALL') return true;
      if (pattern === '~DEFAULT_BRANCH') return branch === repo.repo.defaultBranch;
      return picomatch.isMatch(branch, pattern.replace(/^refs\/heads\//, ''));
    };
    const include = Array.isArray(ruleset.target) ? ruleset.target : [ruleset.target];
    return include.some(matches) && !ruleset.exclude.some(matches);
  }

  /** `GET /repos/{o}/{r}/branches/{b}`: readable with read access; `protected` shows what protection hides. */
  private branch(repo: RepoView, branch: string): RestResponse {
    const sha = repo.repo.branches[branch];
    if (sha === undefined) return notFound('Branch not found');
    const head = repo.commitsBySha.get(sha);
    const classic = repo.repo.protection !== null && branch === repo.repo.defaultBranch;
    const ruled = repo.repo.rulesets.some(
      (ruleset) => ruleset.enforcement === 'active' && this.rulesetApplies(repo, ruleset, branch),
    );
    const url = `${this.baseUrl}/repos/${repo.fullName}/branches/${branch}`;
    return {
      status: 200,
      body: {
        name: branch,
        // GitHub gives the branch head as a full commit, as `GET /repos/{o}/{r}/commits/{ref}` does.
        commit: head
          ? this.shapes.commit(repo, head)
          : { sha, url: `${this.baseUrl}/repos/${repo.fullName}/commits/${sha}` },
        _links: { self: url, html: `https://github.com/${repo.fullName}/tree/${branch}` },
        protected: classic || ruled,
        protection: {
          enabled: classic || ruled,
          required_status_checks: {
            enforcement_level: !classic
              ? 'off'
              : repo.repo.protection?.enforceAdmins
                ? 'everyone'
                : 'non_admins',
            contexts: classic ? (repo.repo.protection?.requiredStatusChecks ?? []) : [],
            checks: (classic ? (repo.repo.protection?.requiredStatusChecks ?? []) : []).map((context) => ({
              context,
              app_id: null,
            })),
          },
        },
        protection_url: `${url}/protection`,
      },
    };
  }

  private branchRules(repo: RepoView, branch: string, request: RestRequest): RestResponse {
    const rules = repo.repo.rulesets
      .filter((ruleset) => ruleset.enforcement === 'active' && this.rulesetApplies(repo, ruleset, branch))
      .flatMap((ruleset) =>
        ruleset.rules.map((rule) => ({
          ...(typeof rule === 'string' ? { type: rule } : rule),
          ruleset_source_type: 'Repository',
          ruleset_source: repo.fullName,
          ruleset_id: ruleset.id,
        })),
      );
    // A list like any other on GitHub: `per_page` (default 30) and `page`, announced in `Link`.
    return this.paged(request, rules, (rule) => rule);
  }

  private rulesets(repo: RepoView, request: RestRequest): RestResponse {
    return this.paged(request, repo.repo.rulesets, (ruleset) => this.shapes.ruleset(repo, ruleset, false));
  }

  private rulesetById(repo: RepoView, id: number): RestResponse {
    const ruleset = repo.repo.rulesets.find((candidate) => candidate.id === id);
    return ruleset ? { status: 200, body: this.shapes.ruleset(repo, ruleset, true) } : notFound();
  }

  private reachBack(period: string | null, floorMs: number, fallback: string): number | RestResponse {
    const spans: Record<string, number> = {
      hour: 3_600_000,
      day: DAY_MS,
      week: 7 * DAY_MS,
      month: this.view.nowMs - oneMonthBefore(this.view.nowMs),
      quarter: 92 * DAY_MS,
      year: 365 * DAY_MS,
    };
    const span = spans[period ?? fallback];
    if (span === undefined) return error(422, `Invalid time_period: ${period}`);
    return Math.max(floorMs, this.view.nowMs - span);
  }

  private ruleSuites(repo: RepoView, request: RestRequest): RestResponse {
    const suites = this.matchingRuleSuites([repo], request.query);
    if (!Array.isArray(suites)) return suites;
    return this.paged(request, suites, ({ repo: of, suite }) => ruleSuiteSummary(of, suite));
  }

  /**
   * `GET /orgs/{org}/rulesets/rule-suites`: the rule suites of every repository of the
   * organisation, newest first, with the per-repository filters and `repository_name`.
   */
  private orgRuleSuites(org: string, request: RestRequest): RestResponse {
    if (!this.isOrg(org)) return notFound();
    const name = request.query.get('repository_name')?.toLowerCase();
    const repos = this.orgRepoViews().filter((repo) => !name || repo.repo.name.toLowerCase() === name);
    const suites = this.matchingRuleSuites(repos, request.query);
    if (!Array.isArray(suites)) return suites;
    return this.paged(request, suites, ({ repo, suite }) => ruleSuiteSummary(repo, suite));
  }

  /** `GET /orgs/{org}/rulesets/rule-suites/{rule_suite_id}`: one suite of any of its repositories. */
  private orgRuleSuite(org: string, id: number): RestResponse {
    if (!this.isOrg(org)) return notFound();
    // GitHub's ids are unique across repositories; a world's are unique per repository, so the
    // first repository (in the world's order) that has the id answers.
    const repo = this.orgRepoViews().find((view) => view.repo.ruleSuites.some((suite) => suite.id === id));
    return repo ? this.ruleSuite(repo, id) : notFound();
  }

  private orgRepoViews(): RepoView[] {
    return this.view.world.repos
      .map((repo) => this.view.repo(this.view.world.org, repo.name))
      .filter((view): view is RepoView => view !== undefined);
  }

  /** Rule suites of the repositories that match the query's filters, newest first; or the 422 GitHub answers. */
  private matchingRuleSuites(
    repos: readonly RepoView[],
    q: URLSearchParams,
  ): { repo: RepoView; suite: WorldRuleSuite }[] | RestResponse {
    const since = this.reachBack(q.get('time_period'), oneMonthBefore(this.view.nowMs), 'day');
    if (typeof since !== 'number') return since;
    const ref = q.get('ref');
    const fullRef = ref === null ? null : ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
    const actor = q.get('actor_name')?.toLowerCase();
    const result = q.get('rule_suite_result') ?? 'all';
    return repos
      .flatMap((repo) => repo.repo.ruleSuites.map((suite) => ({ repo, suite })))
      .filter(
        ({ suite }) =>
          Date.parse(suite.pushedAt) >= since &&
          (fullRef === null || suite.ref === fullRef) &&
          (!actor || suite.actor?.toLowerCase() === actor) &&
          (result === 'all' || suite.result === result),
      )
      .sort(
        (a, b) =>
          Date.parse(b.suite.pushedAt) - Date.parse(a.suite.pushedAt) ||
          b.suite.id - a.suite.id ||
          a.repo.repo.name.localeCompare(b.repo.repo.name),
      );
  }

  private ruleSuite(repo: RepoView, id: number): RestResponse {
    const suite = repo.repo.ruleSuites.find((candidate) => candidate.id === id);
    if (!suite || Date.parse(suite.pushedAt) < oneMonthBefore(this.view.nowMs)) return notFound();
    const branch = suite.ref.replace(/^refs\/heads\//, '');
    const evaluations =
      suite.ruleEvaluations ??
      repo.repo.rulesets
        .filter((ruleset) => ruleset.enforcement !== 'disabled' && this.rulesetApplies(repo, ruleset, branch))
        .flatMap((ruleset) =>
          ruleset.rules.map((rule) => ({
            rulesetId: ruleset.id,
            ruleType: typeof rule === 'string' ? rule : rule.type,
            result:
              suite.evaluationResult === 'pass' || suite.result === 'pass'
                ? ('pass' as const)
                : ('fail' as const),
            enforcement: ruleset.enforcement === 'active' ? ('active' as const) : ('evaluate' as const),
            details: null,
          })),
        );
    const rulesetName = (rulesetId: number | null) =>
      repo.repo.rulesets.find((ruleset) => ruleset.id === rulesetId)?.name ?? null;
    return {
      status: 200,
      body: {
        ...ruleSuiteSummary(repo, suite),
        rule_evaluations: evaluations.map((evaluation) => ({
          rule_source: { type: 'ruleset', id: evaluation.rulesetId, name: rulesetName(evaluation.rulesetId) },
          enforcement: evaluation.enforcement,
          result: evaluation.result,
          rule_type: evaluation.ruleType,
          details: evaluation.details,
        })),
      },
    };
  }

  private resolveRef(repo: RepoView, ref: string): string | undefined {
    const branchHead = repo.repo.branches[ref.replace(/^refs\/heads\//, '')];
    if (branchHead) return branchHead;
    if (repo.commitsBySha.has(ref)) return ref;
    if (/^[0-9a-f]{7,39}$/.test(ref)) {
      for (const sha of repo.commitsBySha.keys()) if (sha.startsWith(ref)) return sha;
    }
    return undefined;
  }

  private commits(repo: RepoView, request: RestRequest): RestResponse {
    const q = request.query;
    if (q.get('path')) return notEmulated('the path filter');
    const head = this.resolveRef(repo, q.get('sha') ?? repo.repo.defaultBranch);
    if (!head) return notFound();
    const since = q.get('since');
    const until = q.get('until');
    const author = q.get('author')?.toLowerCase();
    const committer = q.get('committer')?.toLowerCase();
    const commits = repo
      .historyFrom(head)
      .filter(
        (commit) =>
          (since === null || Date.parse(commit.committedAt) >= Date.parse(since)) &&
          (until === null || Date.parse(commit.committedAt) <= Date.parse(until)) &&
          (!author || commit.author?.toLowerCase() === author) &&
          (!committer || commit.committer?.toLowerCase() === committer),
      );
    return this.paged(request, commits, (commit) => this.shapes.commit(repo, commit));
  }

  private commit(repo: RepoView, ref: string): RestResponse {
    const sha = this.resolveRef(repo, ref);
    const commit = sha ? repo.commitsBySha.get(sha) : undefined;
    if (!commit) return error(422, `No commit found for SHA: ${ref}`, `${DOCS}/commits/commits#get-a-commit`);
    return { status: 200, body: this.shapes.commit(repo, commit) };
  }

  private commitPulls(repo: RepoView, ref: string, request: RestRequest): RestResponse {
    const sha = this.resolveRef(repo, ref);
    if (!sha) return error(422, `No commit found for SHA: ${ref}`);
    const prs = repo.pullsByCommit.get(sha) ?? [];
    return this.paged(request, prs, (pr) => this.shapes.pullRequest(repo, pr));
  }

  /** The check suites of a commit: one per app that ran checks on it. */
  private suitesOf(repo: RepoView, sha: string): CheckSuiteView[] {
    const byApp = new Map<string, WorldCheck[]>();
    for (const check of repo.checksByCommit.get(sha) ?? []) {
      if (check.kind !== 'check_run') continue;
      const list = byApp.get(check.app ?? '') ?? [];
      list.push(check);
      byApp.set(check.app ?? '', list);
    }
    return [...byApp.entries()].map(([app, runs]) => ({
      id: stableId(`${repo.fullName}@${sha}/suite/${app}`),
      commit: sha,
      app: app === '' ? null : app,
      runs,
    }));
  }

  private checkSuites(repo: RepoView, ref: string, request: RestRequest): RestResponse {
    const sha = this.resolveRef(repo, ref);
    if (!sha) return error(422, `No commit found for SHA: ${ref}`);
    const appId = request.query.get('app_id');
    const name = request.query.get('check_name');
    const suites = this.suitesOf(repo, sha).filter(
      (suite) =>
        (appId === null ||
          (suite.app !== null &&
            String(appIdOf(this.view.world, suite.app, (slug) => stableId(slug))) === appId)) &&
        (name === null || suite.runs.some((run) => run.name === name)),
    );
    const page = this.paged(request, suites, (suite) => this.shapes.checkSuite(repo, suite));
    return { ...page, body: { total_count: suites.length, check_suites: page.body } };
  }

  /** The runs of a suite: the latest of each name (GitHub's default), or with `filter=all` every run, re-runs too. */
  private checkRuns(repo: RepoView, suiteId: number, request: RestRequest): RestResponse {
    const suite = [...repo.checksByCommit.keys()]
      .flatMap((sha) => this.suitesOf(repo, sha))
      .find((candidate) => candidate.id === suiteId);
    if (!suite) return notFound();
    return this.listCheckRuns(repo, [suite], request);
  }

  /**
   * `GET /repos/{owner}/{repo}/commits/{ref}/check-runs`: the runs of every suite of the commit,
   * with the same `filter` (latest of each name per suite, or `all`), `check_name`, `status` and
   * `app_id` filters as a suite's list.
   */
  private commitCheckRuns(repo: RepoView, ref: string, request: RestRequest): RestResponse {
    const sha = this.resolveRef(repo, ref);
    if (!sha) return error(422, `No commit found for SHA: ${ref}`);
    const appId = request.query.get('app_id');
    const suites = this.suitesOf(repo, sha).filter(
      (suite) =>
        appId === null ||
        (suite.app !== null &&
          String(appIdOf(this.view.world, suite.app, (slug) => stableId(slug))) === appId),
    );
    return this.listCheckRuns(repo, suites, request);
  }

  private listCheckRuns(
    repo: RepoView,
    suites: readonly CheckSuiteView[],
    request: RestRequest,
  ): RestResponse {
    const filter = request.query.get('filter') ?? 'latest';
    if (filter !== 'latest' && filter !== 'all') return error(422, `Invalid filter: ${filter}`);
    const name = request.query.get('check_name');
    const status = request.query.get('status');
    const runs = suites
      .flatMap((suite) =>
        (filter === 'all' ? suite.runs : latestRuns(suite.runs)).map((run) => ({
          suite,
          run,
          order: suite.runs.indexOf(run),
        })),
      )
      .filter(
        ({ run }) =>
          (name === null || run.name === name) && (status === null || run.status.toLowerCase() === status),
      )
      .sort(
        (a, b) =>
          Date.parse(b.run.startedAt ?? b.run.completedAt ?? '') -
            Date.parse(a.run.startedAt ?? a.run.completedAt ?? '') || b.order - a.order,
      );
    const page = this.paged(request, runs, ({ suite, run }) =>
      this.shapes.checkRun(repo, suite, run, stableId(checkKey(repo, run))),
    );
    return { ...page, body: { total_count: runs.length, check_runs: page.body } };
  }

  /** Every status posted on a commit, newest first (the combined status shows only the latest per context). */
  private commitStatuses(repo: RepoView, ref: string, request: RestRequest): RestResponse {
    const sha = this.resolveRef(repo, ref);
    if (!sha) return error(422, `No commit found for SHA: ${ref}`);
    const all = repo.checksByCommit.get(sha) ?? [];
    const statuses = all
      .filter((check) => check.kind === 'status')
      .sort(
        (a, b) =>
          Date.parse(b.startedAt ?? b.completedAt ?? '') - Date.parse(a.startedAt ?? a.completedAt ?? '') ||
          all.indexOf(b) - all.indexOf(a),
      );
    return this.paged(request, statuses, (status) =>
      this.shapes.commitStatus(repo, status, stableId(checkKey(repo, status))),
    );
  }

  private activity(repo: RepoView, request: RestRequest): RestResponse {
    const q = request.query;
    // `time_period` reaches as far as it says, a year at most (day, week, month, quarter, year).
    const since = this.reachBack(q.get('time_period'), this.view.nowMs - 365 * DAY_MS, 'month');
    if (typeof since !== 'number') return since;
    const ref = q.get('ref');
    const fullRef = ref === null ? null : ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
    const type = q.get('activity_type');
    const actor = q.get('actor')?.toLowerCase();
    const ascending = q.get('direction') === 'asc';
    const events = repo.repo.activity
      .filter(
        (event) =>
          Date.parse(event.timestamp) >= since &&
          (fullRef === null || event.ref === fullRef) &&
          (type === null || event.activityType === type) &&
          (!actor || event.actor?.toLowerCase() === actor),
      )
      .sort(
        (a, b) => (ascending ? 1 : -1) * (Date.parse(a.timestamp) - Date.parse(b.timestamp) || a.id - b.id),
      );
    return this.cursorPaged(
      request,
      events,
      (event) => String(event.id),
      (event) => ({
        id: event.id,
        node_id: `RA_${Buffer.from(String(event.id)).toString('base64url')}`,
        before: event.before,
        after: event.after,
        ref: event.ref,
        timestamp: githubTime(event.timestamp),
        activity_type: event.activityType,
        actor: this.shapes.simpleUser(event.actor),
      }),
    );
  }

  private deployments(repo: RepoView, request: RestRequest): RestResponse {
    const q = request.query;
    const filters = {
      sha: q.get('sha'),
      ref: q.get('ref'),
      environment: q.get('environment'),
      task: q.get('task'),
    };
    // GitHub lists deployments newest first.
    const deployments = repo.repo.deployments
      .filter(
        (d) =>
          (filters.sha === null || d.sha === filters.sha) &&
          (filters.ref === null || d.ref === filters.ref) &&
          (filters.environment === null || d.environment === filters.environment) &&
          (filters.task === null || d.task === filters.task),
      )
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id);
    return this.paged(request, deployments, (deployment) => this.shapes.deployment(repo, deployment));
  }

  private deployment(repo: RepoView, id: number): RestResponse {
    const deployment = repo.deploymentsById.get(id);
    return deployment ? { status: 200, body: this.shapes.deployment(repo, deployment) } : notFound();
  }

  private deploymentStatuses(repo: RepoView, id: number, request: RestRequest): RestResponse {
    const deployment = repo.deploymentsById.get(id);
    if (!deployment) return notFound();
    // Newest first, as GitHub lists them.
    const statuses = deployment.statuses
      .map((status, index) => ({ status, index }))
      .sort((a, b) => Date.parse(b.status.createdAt) - Date.parse(a.status.createdAt) || b.index - a.index);
    return this.paged(request, statuses, ({ status, index }) =>
      this.shapes.deploymentStatus(repo, deployment, status, index),
    );
  }

  /**
   * `GET /repos/{owner}/{repo}/actions/runs`, newest first. With any of GitHub's search filters
   * (`actor`, `branch`, `check_suite_id`, `created`, `event`, `head_sha`, `status`) GitHub serves
   * at most 1,000 runs, whatever `total_count` says.
   */
  private workflowRuns(repo: RepoView, request: RestRequest): RestResponse {
    const q = request.query;
    let created: TimeRange | undefined;
    try {
      const value = q.get('created');
      created = value ? parseTimeRange(value) : undefined;
    } catch (cause: unknown) {
      return error(422, cause instanceof Error ? cause.message : String(cause));
    }
    const event = q.get('event');
    const branch = q.get('branch');
    const headSha = q.get('head_sha');
    const status = q.get('status');
    const actor = q.get('actor')?.toLowerCase() ?? null;
    const runs = repo.repo.workflowRuns
      .filter(
        (run) =>
          inRange(run.createdAt, created) &&
          (event === null || run.event === event) &&
          (branch === null || run.headBranch === branch) &&
          (headSha === null || run.headSha === headSha) &&
          (status === null || run.status === status || run.conclusion === status) &&
          (actor === null || run.actor?.toLowerCase() === actor),
      )
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id);
    const searched = ['actor', 'branch', 'check_suite_id', 'created', 'event', 'head_sha', 'status'].some(
      (name) => q.has(name),
    );
    const reachable = searched ? runs.slice(0, WORKFLOW_RUN_SEARCH_CAP) : runs;
    const page = this.paged(request, reachable, (run) => this.shapes.workflowRun(repo, run));
    return { ...page, body: { total_count: runs.length, workflow_runs: page.body } };
  }

  private workflowRun(repo: RepoView, id: number): RestResponse {
    const run = repo.runsById.get(id);
    return run ? { status: 200, body: this.shapes.workflowRun(repo, run) } : notFound();
  }

  private workflowJobs(repo: RepoView, id: number, request: RestRequest): RestResponse {
    const run = repo.runsById.get(id);
    if (!run) return notFound();
    const indexes = run.jobs.map((_job, index) => index);
    const page = this.paged(request, indexes, (index) => this.shapes.job(repo, run, index));
    return { ...page, body: { total_count: indexes.length, jobs: page.body } };
  }

  private auditLog(org: string, request: RestRequest): RestResponse {
    // github.com answers 404 where the plan has no audit-log API.
    if (!this.isOrg(org) || this.view.world.plan !== 'enterprise') return notFound();
    const q = request.query;
    let phrase: AuditPhrase;
    try {
      phrase = parseAuditPhrase(q.get('phrase') ?? '');
    } catch (cause: unknown) {
      return error(422, cause instanceof Error ? cause.message : String(cause));
    }
    const include = q.get('include') ?? 'web';
    const floor = this.view.nowMs - AUDIT_LOG_DAYS * DAY_MS;
    const ascending = q.get('order') === 'asc';
    const events = this.view.world.auditLog
      .map((event, index) => ({ event, index }))
      .filter(({ event }) => {
        const isGit = event.action.startsWith('git.');
        return (
          Date.parse(event.createdAt) >= floor &&
          (include === 'all' || (include === 'git') === isGit) &&
          matchesAuditPhrase(event, phrase)
        );
      })
      .sort(
        (a, b) =>
          (ascending ? 1 : -1) *
          (Date.parse(a.event.createdAt) - Date.parse(b.event.createdAt) || a.index - b.index),
      );
    return this.cursorPaged(
      request,
      events,
      ({ index }) => auditDocumentId(index),
      ({ event, index }) => this.auditEntry(event, index),
    );
  }

  private auditEntry(event: WorldAuditEvent, index: number): Record<string, unknown> {
    const at = Date.parse(event.createdAt);
    const details: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(event.details)) {
      details[key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)] = value;
    }
    return {
      '@timestamp': at,
      _document_id: auditDocumentId(index),
      action: event.action,
      actor: event.actor ? this.shapes.restLogin(event.actor) : null,
      actor_id: event.actor ? stableId(event.actor) : null,
      actor_is_bot: event.actor ? this.shapes.userType(event.actor) === 'Bot' : false,
      created_at: at,
      operation_type: 'modify',
      org: this.view.world.org,
      org_id: stableId(this.view.world.org),
      ...(event.repo ? { repo: event.repo, repository: event.repo } : {}),
      ...details,
    };
  }

  /** `per_page` (default 30, at most 100) and `page`, with GitHub's `Link` header. */
  private paged<T>(request: RestRequest, items: readonly T[], toJson: (item: T) => unknown): RestResponse {
    const perPage = pageSize(request.query);
    const page = Math.max(1, Number.parseInt(request.query.get('page') ?? '1', 10) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const body = items.slice((page - 1) * perPage, page * perPage).map(toJson);
    const link = (n: number): string => {
      const query = new URLSearchParams(request.query);
      query.set('page', String(n));
      if (request.query.has('per_page')) query.set('per_page', String(perPage));
      return `<${this.baseUrl}${request.path}?${query.toString()}>`;
    };
    const links: string[] = [];
    if (page > 1) links.push(`${link(page - 1)}; rel="prev"`);
    if (page < last) links.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) links.push(`${link(1)}; rel="first"`);
    return { status: 200, body, headers: links.length > 0 ? { link: links.join(', ') } : {} };
  }

  /** Cursor paging (`after`/`before`), as the audit log and repository activity page. */
  private cursorPaged<T>(
    request: RestRequest,
    items: readonly T[],
    keyOf: (item: T) => string,
    toJson: (item: T) => unknown,
  ): RestResponse {
    const perPage = pageSize(request.query);
    const decode = (cursor: string | null): string | undefined =>
      cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;
    const encode = (item: T): string => Buffer.from(keyOf(item)).toString('base64url');
    const afterKey = decode(request.query.get('after'));
    const beforeKey = decode(request.query.get('before'));
    let start = 0;
    let end = items.length;
    if (afterKey !== undefined) {
      const at = items.findIndex((item) => keyOf(item) === afterKey);
      if (at < 0) return error(422, 'Invalid cursor');
      start = at + 1;
    }
    if (beforeKey !== undefined) {
      const at = items.findIndex((item) => keyOf(item) === beforeKey);
      if (at < 0) return error(422, 'Invalid cursor');
      end = at;
      start = afterKey !== undefined ? start : Math.max(0, end - perPage);
    }
    const pageItems = items.slice(start, Math.min(end, start + perPage));
    const link = (key: 'after' | 'before', cursor: string): string => {
      const query = new URLSearchParams(request.query);
      query.delete('after');
      query.delete('before');
      query.set(key, cursor);
      return `<${this.baseUrl}${request.path}?${query.toString()}>`;
    };
    const links: string[] = [];
    const first = pageItems[0];
    const lastItem = pageItems[pageItems.length - 1];
    if (lastItem !== undefined && start + pageItems.length < items.length) {
      links.push(`${link('after', encode(lastItem))}; rel="next"`);
    }
    if (first !== undefined && start > 0) links.push(`${link('before', encode(first))}; rel="prev"`);
    return {
      status: 200,
      body: pageItems.map(toJson),
      headers: links.length > 0 ? { link: links.join(', ') } : {},
    };
  }
}

function pageSize(query: URLSearchParams): number {
  const requested = Number.parseInt(query.get('per_page') ?? '30', 10);
  return Math.min(100, Math.max(1, Number.isNaN(requested) ? 30 : requested));
}

function auditDocumentId(index: number): string {
  return Buffer.from(`audit-log-entry-${index}`).toString('base64url');
}

interface AuditPhrase {
  actions: string[];
  excludedActions: string[];
  repos: string[];
  actors: string[];
  created?: TimeRange;
}

/** The audit log's search phrase: `action:`, `-action:`, `repo:`, `actor:`, `created:`. */
export function parseAuditPhrase(phrase: string): AuditPhrase {
  const parsed: AuditPhrase = { actions: [], excludedActions: [], repos: [], actors: [] };
  for (const token of phrase.split(/\s+/).filter(Boolean)) {
    const match = /^(-?)([a-z_]+):(.+)$/.exec(token);
    if (!match) throw new Error(`Invalid phrase term: ${token}`);
    const [, negated, key, value = ''] = match;
    switch (key) {
      case 'action':
        (negated ? parsed.excludedActions : parsed.actions).push(...value.split(','));
        break;
      case 'repo':
        parsed.repos.push(value.toLowerCase());
        break;
      case 'actor':
        parsed.actors.push(value.toLowerCase());
        break;
      case 'created':
        parsed.created = parseTimeRange(value);
        break;
      default:
        throw new Error(`Unsupported phrase qualifier: ${key}`);
    }
  }
  return parsed;
}

function matchesAuditPhrase(event: WorldAuditEvent, phrase: AuditPhrase): boolean {
  // `action:protected_branch` matches every protected_branch.* action, as on github.com.
  const actionMatches = (pattern: string): boolean =>
    event.action === pattern || (!pattern.includes('.') && event.action.startsWith(`${pattern}.`));
  if (phrase.actions.length > 0 && !phrase.actions.some(actionMatches)) return false;
  if (phrase.excludedActions.some(actionMatches)) return false;
  if (phrase.repos.length > 0 && !phrase.repos.includes((event.repo ?? '').toLowerCase())) return false;
  if (phrase.actors.length > 0 && !phrase.actors.includes((event.actor ?? '').toLowerCase())) return false;
  return inRange(event.createdAt, phrase.created);
}

/** A rule suite as GitHub lists it; the single-suite answer adds its rule evaluations. */
function ruleSuiteSummary(repo: RepoView, suite: WorldRuleSuite): Record<string, unknown> {
  return {
    id: suite.id,
    actor_id: suite.actor ? stableId(suite.actor) : null,
    actor_name: suite.actor,
    before_sha: suite.beforeSha,
    after_sha: suite.afterSha,
    ref: suite.ref,
    repository_id: repo.databaseId,
    repository_name: repo.repo.name,
    pushed_at: githubTime(suite.pushedAt),
    result: suite.result,
    evaluation_result: suite.evaluationResult,
  };
}
