import { createHash } from 'node:crypto';
import type {
  WorldActivityType,
  WorldAuditEventDoc,
  WorldCheckDoc,
  WorldCommentDoc,
  WorldCommitDoc,
  WorldDeploymentDoc,
  WorldDeploymentStatusDoc,
  WorldDocument,
  WorldFileDoc,
  WorldLabelDoc,
  WorldProtectionDoc,
  WorldPullRequestDoc,
  WorldRepoDoc,
  WorldReviewDoc,
  WorldRuleSuiteDoc,
  WorldRulesetDoc,
  WorldSignatureDoc,
  WorldUserDoc,
  WorldWorkflowRunDoc,
} from './world-document.ts';

/**
 * Builds consistent repository histories for `github-world/1` documents: commits chained to the
 * default branch as GitHub would chain them (squash merges with one parent, merge commits with two),
 * activity for every branch move, checks on head commits, deployments with statuses and workflow
 * runs. Used by the demo organisation's builder and by the seeded world generator, so both hold the
 * same invariants. Every SHA is derived from a seed and a unique label: the same build gives the
 * same bytes, and a reused label is a builder bug that throws.
 */

/** Thrown when a scenario would produce history GitHub could not have (a builder bug, not input). */
export class InconsistentHistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InconsistentHistoryError';
  }
}

export const GITHUB_MERGE_COMMITTER = 'web-flow';
export const ACTIONS_APP = 'github-actions';

const MINUTE_MS = 60_000;

/** ISO-8601 UTC without milliseconds, the form GitHub prints. */
export function isoAt(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function plusMinutes(time: string, minutes: number): string {
  return isoAt(Date.parse(time) + Math.round(minutes * MINUTE_MS));
}

export function minutesBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / MINUTE_MS;
}

/** SHAs and numeric ids that depend only on the seed and the order of requests. */
export class DeterministicIds {
  private readonly usedLabels = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(private readonly seed: string) {}

  /** A 40-hex SHA for a label; each label names one object and may be asked for once. */
  sha(label: string): string {
    if (this.usedLabels.has(label)) throw new InconsistentHistoryError(`SHA label "${label}" used twice`);
    this.usedLabels.add(label);
    return shaOf(this.seed, label);
  }

  /** The next number of a named sequence, starting at `start`. */
  next(sequence: string, start: number): number {
    const value = this.counters.get(sequence) ?? start;
    this.counters.set(sequence, value + 1);
    return value;
  }
}

/** The SHA `DeterministicIds.sha(label)` returns for a seed: lets fixtures name commits by label. */
export function shaOf(seed: string, label: string): string {
  return createHash('sha1').update(`${seed}\u0000${label}`).digest('hex');
}

export interface CommitSpec {
  readonly at: string;
  /** Defaults to the pull request's author. */
  readonly author?: string;
  /** Defaults to true: a valid signature by the author. */
  readonly signed?: boolean;
  readonly message?: string;
  /** Who pushed it to the PR's branch, when not its author (a reviewer pushing to it). */
  readonly pushedBy?: string;
}

export interface ReviewSpec {
  readonly author: string;
  readonly state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';
  readonly at: string;
  /** Index into the PR's commits of the commit reviewed; defaults to the newest commit at `at`. */
  readonly onCommit?: number;
  readonly dismissed?: { readonly at: string; readonly by: string };
}

export interface LabelSpec {
  readonly name: string;
  readonly addedBy: string;
  readonly addedAt: string;
  readonly removedAt?: string;
}

export interface CheckSpec {
  readonly name: string;
  readonly kind?: 'check_run' | 'status';
  /** App slug for check runs, poster for statuses; defaults to `github-actions`. */
  readonly app?: string;
  /** Defaults to SUCCESS. */
  readonly conclusion?: string;
  readonly startedAt: string;
  /** Null while a check is still running. */
  readonly completedAt: string | null;
  /** Who posted a status, when a person did rather than the app's bot. */
  readonly creator?: string;
}

export interface MergeSpec {
  readonly at: string;
  readonly by: string;
  readonly method: 'squash' | 'merge';
  /** Defaults to true (GitHub signs the merges it makes as `web-flow`). */
  readonly signed?: boolean;
  /** Lines appended to the merge commit's message, e.g. an override's `Justification:`. */
  readonly extraMessage?: string;
}

export interface PullRequestSpec {
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly author: string;
  readonly headRef: string;
  readonly createdAt: string;
  /** The PR's own commits, oldest first; the last is the head. */
  readonly commits: readonly CommitSpec[];
  readonly files: readonly WorldFileDoc[];
  readonly labels?: readonly LabelSpec[];
  readonly reviews?: readonly ReviewSpec[];
  readonly comments?: readonly WorldCommentDoc[];
  /** Checks on the head commit. */
  readonly checks: readonly CheckSpec[];
  /** Absent: still open (or closed unmerged when `closedAt` is set). */
  readonly merge?: MergeSpec;
  readonly closedAt?: string;
}

export interface PushSpec {
  readonly label: string;
  readonly at: string;
  readonly author: string;
  readonly message: string;
  readonly signed: boolean;
  /**
   * When the commit was made (author and committer date), if long before the push: a commit
   * made on one day can reach the branch days later. Defaults to 3 minutes before `at`.
   */
  readonly madeAt?: string;
  readonly activityType?: Extract<WorldActivityType, 'push' | 'force_push'>;
  /** A rule-suite evaluation of the push, when a ruleset applies to the branch. */
  readonly ruleSuite?: 'pass' | 'bypass';
}

export interface DeploySpec {
  readonly sha: string;
  readonly environment: string;
  readonly at: string;
  readonly creator: string;
  /** Null for a deployment made by hand. */
  readonly performedViaApp: string | null;
  readonly outcome: 'success' | 'failure' | 'error';
  /** Minutes from creation to the final status; defaults to 6. */
  readonly minutes?: number;
  readonly workflowRunId?: number | null;
}

export interface PipelineSpec {
  readonly sha: string;
  readonly at: string;
  /** Who merged or pushed: the workflow run's triggering actor. */
  readonly triggeredBy: string;
  readonly bot: string;
  readonly skipCanary?: boolean;
  readonly productionOutcome?: 'success' | 'failure';
  /** A person who creates the production deployment by hand instead of the pipeline. */
  readonly productionByHand?: string;
}

export interface PipelineResult {
  readonly deployments: readonly WorldDeploymentDoc[];
  readonly production: WorldDeploymentDoc;
  /** Time of the production deployment's last status. */
  readonly finishedAt: string;
}

export interface RepoConfig {
  readonly name: string;
  readonly defaultBranch?: string;
  readonly protection: WorldProtectionDoc | null;
  /** Files on the default branch head (CODEOWNERS, cdk.json), served as repository contents. */
  readonly files?: Record<string, string>;
  readonly rulesets: readonly WorldRulesetDoc[];
}

interface MainLineCommit {
  readonly sha: string;
  readonly at: string;
}

/** One repository's history, appended in time order per branch. */
export class RepoHistory {
  readonly name: string;
  readonly defaultBranch: string;
  private readonly commits: WorldCommitDoc[] = [];
  private readonly commitBySha = new Map<string, WorldCommitDoc>();
  private readonly pullRequests: WorldPullRequestDoc[] = [];
  private readonly checks: WorldCheckDoc[] = [];
  private readonly deployments: WorldDeploymentDoc[] = [];
  private readonly ruleSuites: WorldRuleSuiteDoc[] = [];
  private readonly activity: WorldActivityDoc[] = [];
  private readonly workflowRuns: WorldWorkflowRunDoc[] = [];
  /** First-parent history of the default branch, oldest first. */
  private readonly mainLine: MainLineCommit[] = [];

  constructor(
    private readonly ids: DeterministicIds,
    readonly org: string,
    private readonly config: RepoConfig,
  ) {
    this.name = config.name;
    this.defaultBranch = config.defaultBranch ?? 'main';
  }

  get head(): string {
    const last = this.mainLine.at(-1);
    if (!last) throw new InconsistentHistoryError(`${this.name}: no initial commit yet`);
    return last.sha;
  }

  get headTime(): string {
    const last = this.mainLine.at(-1);
    if (!last) throw new InconsistentHistoryError(`${this.name}: no initial commit yet`);
    return last.at;
  }

  commit(sha: string): WorldCommitDoc {
    const found = this.commitBySha.get(sha);
    if (!found) throw new InconsistentHistoryError(`${this.name}: no commit ${sha}`);
    return found;
  }

  /** The repository's first commit on the default branch. */
  initialCommit(at: string, author: string): string {
    if (this.mainLine.length > 0) throw new InconsistentHistoryError(`${this.name}: initialised twice`);
    const commit = this.addCommit({
      sha: this.ids.sha(`${this.name}/initial`),
      parents: [],
      message: 'Initial commit',
      author,
      committer: author,
      authoredAt: at,
      committedAt: at,
      signature: signatureBy(author),
    });
    this.mainLine.push({ sha: commit.sha, at });
    return commit.sha;
  }

  pullRequest(spec: PullRequestSpec): WorldPullRequestDoc {
    const first = spec.commits[0];
    if (!first) throw new InconsistentHistoryError(`${this.name}#${spec.number}: a PR needs a commit`);
    let parent = this.mainCommitAt(first.at);
    const prCommits: WorldCommitDoc[] = [];
    let previousAt = parent.at;
    spec.commits.forEach((commitSpec, index) => {
      if (Date.parse(commitSpec.at) < Date.parse(previousAt)) {
        throw new InconsistentHistoryError(`${this.name}#${spec.number}: commit ${index} before its parent`);
      }
      const author = commitSpec.author ?? spec.author;
      const commit = this.addCommit({
        sha: this.ids.sha(`${this.name}#${spec.number}/commit/${index}`),
        parents: [parent.sha],
        message: commitSpec.message ?? `${spec.title} (part ${index + 1})`,
        author,
        committer: author,
        authoredAt: commitSpec.at,
        committedAt: commitSpec.at,
        signature: commitSpec.signed === false ? null : signatureBy(author),
        ...(commitSpec.pushedBy ? { pushedBy: commitSpec.pushedBy } : {}),
      });
      prCommits.push(commit);
      parent = { sha: commit.sha, at: commitSpec.at };
      previousAt = commitSpec.at;
    });
    const head = prCommits.at(-1)!;
    this.addChecks(head.sha, spec.checks);

    const reviews = (spec.reviews ?? []).map((review) => this.review(spec, prCommits, review));
    const labels: WorldLabelDoc[] = (spec.labels ?? []).map((label) => ({
      name: label.name,
      addedBy: label.addedBy,
      addedAt: label.addedAt,
      removedAt: label.removedAt ?? null,
    }));

    let mergeCommit: string | null = null;
    let closedAt = spec.closedAt ?? null;
    if (spec.merge) {
      mergeCommit = this.merge(spec, prCommits, spec.merge);
      closedAt = spec.merge.at;
    }
    const pullRequest: WorldPullRequestDoc = {
      number: spec.number,
      title: spec.title,
      body: spec.body,
      author: spec.author,
      baseRef: this.defaultBranch,
      headRef: spec.headRef,
      createdAt: spec.createdAt,
      closedAt,
      mergedAt: spec.merge?.at ?? null,
      mergedBy: spec.merge?.by ?? null,
      mergeCommit,
      commits: prCommits.map((commit) => commit.sha),
      files: [...spec.files],
      labels,
      reviews,
      comments: [...(spec.comments ?? [])],
    };
    this.pullRequests.push(pullRequest);
    return pullRequest;
  }

  /** A commit pushed straight onto the default branch (no PR). Returns its SHA. */
  push(spec: PushSpec): string {
    const before = this.head;
    this.assertAfterHead(spec.at, spec.label);
    const commit = this.addCommit({
      sha: this.ids.sha(`${this.name}/push/${spec.label}`),
      parents: [before],
      message: spec.message,
      author: spec.author,
      committer: spec.author,
      authoredAt: spec.madeAt ?? plusMinutes(spec.at, -3),
      committedAt: spec.madeAt ?? spec.at,
      signature: spec.signed ? signatureBy(spec.author) : null,
    });
    this.mainLine.push({ sha: commit.sha, at: spec.at });
    this.addActivity(spec.activityType ?? 'push', before, commit.sha, spec.at, spec.author);
    if (spec.ruleSuite) {
      this.ruleSuites.push({
        id: this.ids.next('rule-suite', 52_001),
        actor: spec.author,
        ref: `refs/heads/${this.defaultBranch}`,
        beforeSha: before,
        afterSha: commit.sha,
        pushedAt: spec.at,
        result: spec.ruleSuite,
        evaluationResult: spec.ruleSuite === 'bypass' ? 'fail' : 'pass',
      });
    }
    return commit.sha;
  }

  /**
   * An open PR's head pushed straight onto the default branch (a fast-forward, no merge
   * commit). GitHub then marks the PR merged, with its head as the "merge commit" and the
   * pusher as the merger; repository activity records a push.
   */
  pushPullRequestHead(pullRequest: WorldPullRequestDoc, at: string, pusher: string): void {
    const headSha = pullRequest.commits.at(-1);
    if (!headSha || pullRequest.mergedAt || pullRequest.closedAt) {
      throw new InconsistentHistoryError(`${this.name}#${pullRequest.number}: not an open PR with commits`);
    }
    const before = this.head;
    // A fast-forward: the PR's first commit sits on the branch head as it is now.
    if (!this.commit(pullRequest.commits[0]!).parents.includes(before)) {
      throw new InconsistentHistoryError(`${this.name}#${pullRequest.number}: head is not a fast-forward`);
    }
    this.assertAfterHead(at, `push of #${pullRequest.number}'s head`);
    for (const sha of pullRequest.commits) this.mainLine.push({ sha, at });
    this.addActivity('push', before, headSha, at, pusher);
    Object.assign(pullRequest, { mergedAt: at, closedAt: at, mergedBy: pusher, mergeCommit: headSha });
  }

  /** A rule-suite evaluation of a merge that a bypass actor pushed through the ruleset. */
  bypassedMerge(pullRequest: WorldPullRequestDoc, beforeSha: string): void {
    if (!pullRequest.mergeCommit || !pullRequest.mergedAt || !pullRequest.mergedBy) {
      throw new InconsistentHistoryError(`${this.name}#${pullRequest.number}: not merged`);
    }
    this.ruleSuites.push({
      id: this.ids.next('rule-suite', 52_001),
      actor: pullRequest.mergedBy,
      ref: `refs/heads/${this.defaultBranch}`,
      beforeSha,
      afterSha: pullRequest.mergeCommit,
      pushedAt: pullRequest.mergedAt,
      result: 'bypass',
      evaluationResult: 'fail',
    });
  }

  addChecks(sha: string, checks: readonly CheckSpec[]): void {
    const commit = this.commit(sha);
    for (const check of checks) {
      if (Date.parse(check.startedAt) < Date.parse(commit.committedAt)) {
        throw new InconsistentHistoryError(`${this.name}: check ${check.name} starts before ${sha}`);
      }
      const kind = check.kind ?? 'check_run';
      this.checks.push({
        commit: sha,
        name: check.name,
        kind,
        app: check.app ?? ACTIONS_APP,
        status: check.completedAt === null ? 'IN_PROGRESS' : 'COMPLETED',
        conclusion: check.completedAt === null ? null : (check.conclusion ?? 'SUCCESS'),
        startedAt: check.startedAt,
        completedAt: check.completedAt,
        ...(check.creator ? { creator: check.creator } : {}),
      });
    }
  }

  deploy(spec: DeploySpec): WorldDeploymentDoc {
    const logUrl =
      spec.workflowRunId === undefined || spec.workflowRunId === null
        ? null
        : `https://github.com/${this.org}/${this.name}/actions/runs/${spec.workflowRunId}`;
    const statuses: WorldDeploymentStatusDoc[] = [
      { state: 'in_progress', createdAt: plusMinutes(spec.at, 1), creator: spec.creator, logUrl },
      {
        state: spec.outcome,
        createdAt: plusMinutes(spec.at, spec.minutes ?? 6),
        creator: spec.creator,
        logUrl,
      },
    ];
    const deployment: WorldDeploymentDoc = {
      id: this.ids.next('deployment', 9001),
      sha: spec.sha,
      ref: this.defaultBranch,
      environment: spec.environment,
      productionEnvironment: spec.environment === 'production',
      creator: spec.creator,
      performedViaApp: spec.performedViaApp,
      createdAt: spec.at,
      statuses,
    };
    this.commit(spec.sha);
    this.deployments.push(deployment);
    return deployment;
  }

  /**
   * The CD pipeline: one workflow run deploying to staging, then canary, then production, each
   * deployment created by the bot through the `github-actions` app, unless the spec says otherwise.
   */
  pipeline(spec: PipelineSpec): PipelineResult {
    const runId = this.ids.next('workflow-run', 7_310_000_001);
    const stages = spec.skipCanary ? ['staging'] : ['staging', 'canary'];
    const deployments: WorldDeploymentDoc[] = [];
    const jobs: WorldWorkflowRunDoc['jobs'] = [];
    let at = spec.at;
    for (const environment of stages) {
      deployments.push(
        this.deploy({
          sha: spec.sha,
          environment,
          at,
          creator: spec.bot,
          performedViaApp: ACTIONS_APP,
          outcome: 'success',
          workflowRunId: runId,
        }),
      );
      jobs.push(job(`deploy-${environment}`, at, plusMinutes(at, 6), 'success'));
      at = plusMinutes(at, 8);
    }
    const productionOutcome = spec.productionOutcome ?? 'success';
    const byHand = spec.productionByHand;
    const production = this.deploy({
      sha: spec.sha,
      environment: 'production',
      at,
      creator: byHand ?? spec.bot,
      performedViaApp: byHand ? null : ACTIONS_APP,
      outcome: productionOutcome,
      minutes: productionOutcome === 'success' ? 6 : 9,
      workflowRunId: byHand ? null : runId,
    });
    deployments.push(production);
    if (!byHand) jobs.push(job('deploy-production', at, plusMinutes(at, 6), productionOutcome));
    const finishedAt = production.statuses.at(-1)!.createdAt;
    this.workflowRuns.push({
      id: runId,
      name: 'deploy',
      headSha: spec.sha,
      event: 'push',
      status: 'completed',
      conclusion: jobs.every((j) => j.conclusion === 'success') ? 'success' : 'failure',
      actor: spec.triggeredBy,
      triggeringActor: spec.triggeredBy,
      runAttempt: 1,
      createdAt: spec.at,
      updatedAt: jobs.at(-1)!.completedAt,
      jobs,
    });
    return { deployments, production, finishedAt };
  }

  /** An automated rollback: the bot redeploys an earlier SHA to production from its own run. */
  rollback(spec: { readonly toSha: string; readonly at: string; readonly bot: string }): WorldDeploymentDoc {
    const runId = this.ids.next('workflow-run', 7_310_000_001);
    const deployment = this.deploy({
      sha: spec.toSha,
      environment: 'production',
      at: spec.at,
      creator: spec.bot,
      performedViaApp: ACTIONS_APP,
      outcome: 'success',
      workflowRunId: runId,
    });
    this.workflowRuns.push({
      id: runId,
      name: 'rollback',
      headSha: spec.toSha,
      event: 'workflow_run',
      status: 'completed',
      conclusion: 'success',
      actor: spec.bot,
      triggeringActor: spec.bot,
      runAttempt: 1,
      createdAt: spec.at,
      updatedAt: plusMinutes(spec.at, 6),
      jobs: [job('rollback-production', spec.at, plusMinutes(spec.at, 6), 'success')],
    });
    return deployment;
  }

  toDocument(): WorldRepoDoc {
    return {
      name: this.name,
      defaultBranch: this.defaultBranch,
      branches: { [this.defaultBranch]: this.head },
      protection: this.config.protection,
      rulesets: [...this.config.rulesets],
      commits: this.commits,
      pullRequests: this.pullRequests,
      checks: this.checks,
      deployments: this.deployments,
      ruleSuites: this.ruleSuites,
      activity: this.activity,
      workflowRuns: this.workflowRuns,
      ...(this.config.files ? { files: { ...this.config.files } } : {}),
    };
  }

  private addCommit(commit: WorldCommitDoc): WorldCommitDoc {
    this.commits.push(commit);
    this.commitBySha.set(commit.sha, commit);
    return commit;
  }

  /** The newest default-branch commit not after `at`: where a branch started from. */
  private mainCommitAt(at: string): MainLineCommit {
    const t = Date.parse(at);
    for (let i = this.mainLine.length - 1; i >= 0; i--) {
      const candidate = this.mainLine[i]!;
      if (Date.parse(candidate.at) <= t) return candidate;
    }
    throw new InconsistentHistoryError(`${this.name}: no default-branch commit before ${at}`);
  }

  private assertAfterHead(at: string, what: string): void {
    if (Date.parse(at) < Date.parse(this.headTime)) {
      throw new InconsistentHistoryError(
        `${this.name}: ${what} at ${at} is before the branch head's time ${this.headTime}`,
      );
    }
  }

  private review(
    spec: PullRequestSpec,
    prCommits: readonly WorldCommitDoc[],
    review: ReviewSpec,
  ): WorldReviewDoc {
    const submitted = Date.parse(review.at);
    const index =
      review.onCommit ?? prCommits.findLastIndex((commit) => Date.parse(commit.committedAt) <= submitted);
    const reviewed = prCommits[index];
    if (!reviewed || Date.parse(reviewed.committedAt) > submitted) {
      throw new InconsistentHistoryError(
        `${this.name}#${spec.number}: review by ${review.author} precedes the commit it reviews`,
      );
    }
    if (spec.merge && submitted > Date.parse(spec.merge.at)) {
      throw new InconsistentHistoryError(`${this.name}#${spec.number}: review after merge`);
    }
    if (review.dismissed) {
      return {
        author: review.author,
        state: 'DISMISSED',
        submittedAt: review.at,
        commit: reviewed.sha,
        dismissedAt: review.dismissed.at,
        dismissedBy: review.dismissed.by,
        previousState: review.state,
      };
    }
    return {
      author: review.author,
      state: review.state,
      submittedAt: review.at,
      commit: reviewed.sha,
      dismissedAt: null,
      dismissedBy: null,
    };
  }

  private merge(spec: PullRequestSpec, prCommits: readonly WorldCommitDoc[], merge: MergeSpec): string {
    const head = prCommits.at(-1)!;
    if (Date.parse(merge.at) < Date.parse(head.committedAt)) {
      throw new InconsistentHistoryError(`${this.name}#${spec.number}: merged before its head commit`);
    }
    this.assertAfterHead(merge.at, `merge of #${spec.number}`);
    const before = this.head;
    const signed = merge.signed ?? true;
    const extra = merge.extraMessage ? `\n\n${merge.extraMessage}` : '';
    const commit =
      merge.method === 'squash'
        ? this.addCommit({
            sha: this.ids.sha(`${this.name}#${spec.number}/merge`),
            parents: [before],
            message: `${spec.title} (#${spec.number})\n\n${squashSummary(prCommits)}${extra}`,
            author: spec.author,
            committer: signed ? GITHUB_MERGE_COMMITTER : merge.by,
            authoredAt: merge.at,
            committedAt: merge.at,
            signature: signed ? signatureBy(GITHUB_MERGE_COMMITTER) : null,
          })
        : this.addCommit({
            sha: this.ids.sha(`${this.name}#${spec.number}/merge`),
            parents: [before, head.sha],
            message: `Merge pull request #${spec.number} from ${this.org}/${spec.headRef}\n\n${spec.title}${extra}`,
            author: merge.by,
            committer: signed ? GITHUB_MERGE_COMMITTER : merge.by,
            authoredAt: merge.at,
            committedAt: merge.at,
            signature: signed ? signatureBy(GITHUB_MERGE_COMMITTER) : null,
          });
    this.mainLine.push({ sha: commit.sha, at: merge.at });
    this.addActivity('pr_merge', before, commit.sha, merge.at, merge.by);
    return commit.sha;
  }

  private addActivity(
    activityType: WorldActivityType,
    before: string,
    after: string,
    timestamp: string,
    actor: string,
  ): void {
    this.activity.push({
      id: this.ids.next('activity', 40_001),
      ref: `refs/heads/${this.defaultBranch}`,
      before,
      after,
      timestamp,
      activityType,
      actor,
    });
  }
}

type WorldActivityDoc = WorldRepoDoc['activity'][number];

function signatureBy(signer: string): WorldSignatureDoc {
  return { valid: true, state: 'VALID', signer };
}

function squashSummary(commits: readonly WorldCommitDoc[]): string {
  // GitHub lists at most the first lines of the squashed commits; long PRs would bloat the world.
  const lines = commits.slice(0, 20).map((commit) => `* ${commit.message.split('\n')[0]}`);
  if (commits.length > 20) lines.push(`* … and ${commits.length - 20} more commits`);
  return lines.join('\n');
}

function job(
  name: string,
  startedAt: string,
  completedAt: string,
  conclusion: 'success' | 'failure',
): WorldWorkflowRunDoc['jobs'][number] {
  return { name, status: 'completed', conclusion, startedAt, completedAt };
}

/** Assemble a world document from its parts. */
export function worldDocument(parts: {
  readonly org: string;
  readonly plan: WorldDocument['plan'];
  readonly now: string;
  readonly users: readonly WorldUserDoc[];
  readonly teams: Readonly<Record<string, readonly string[]>>;
  readonly repos: readonly RepoHistory[];
  readonly auditLog: readonly WorldAuditEventDoc[];
}): WorldDocument {
  return {
    format: 'github-world/1',
    org: parts.org,
    plan: parts.plan,
    now: parts.now,
    users: [...parts.users],
    teams: Object.fromEntries(Object.entries(parts.teams).map(([slug, members]) => [slug, [...members]])),
    repos: parts.repos.map((repo) => repo.toDocument()),
    auditLog: [...parts.auditLog],
  };
}

/**
 * JSON that stays readable and small: objects and arrays that fit on one line are written on one
 * line (a commit, a check, a file), larger ones are indented. Deterministic for a given value.
 */
export function serializeWorld(world: WorldDocument): string {
  return `${layout(world, '')}\n`;
}

const INLINE_WIDTH = 160;

/**
 * One pass, bottom-up: each node's one-line form is built from its children's, and dropped as
 * soon as it is too long to be used, so a large world is laid out in time linear in its size.
 */
function layout(value: unknown, indent: string): string {
  return layoutNode(value, indent).text;
}

interface Laid {
  /** The node as it appears in the output at this indent. */
  readonly text: string;
  /** Its one-line JSON, or null once that exceeds the inline width (no parent can inline it). */
  readonly flat: string | null;
}

function layoutNode(value: unknown, indent: string): Laid {
  if (value === null || typeof value !== 'object') {
    const flat = JSON.stringify(value) ?? 'null';
    return { text: flat, flat };
  }
  const inner = `${indent}  `;
  const isArray = Array.isArray(value);
  const entries: [string | null, unknown][] = isArray
    ? (value as unknown[]).map((item) => [null, item])
    : Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return { text: open + close, flat: open + close };
  const children = entries.map(([key, child]) => ({
    prefix: key === null ? '' : `${JSON.stringify(key)}:`,
    laid: layoutNode(child, inner),
  }));
  let flat: string | null = null;
  if (children.every((child) => child.laid.flat !== null)) {
    const candidate = open + children.map((child) => child.prefix + child.laid.flat).join(',') + close;
    if (candidate.length + indent.length <= INLINE_WIDTH) flat = candidate;
  }
  if (flat !== null) return { text: flat, flat };
  const lines = children.map(
    (child) => `${inner}${child.prefix}${child.prefix === '' ? '' : ' '}${child.laid.text}`,
  );
  return { text: `${open}\n${lines.join(',\n')}\n${indent}${close}`, flat: null };
}
