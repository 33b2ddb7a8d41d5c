import type { z } from 'zod';
import type { betterStackSectionSchema, linearSectionSchema } from '../service-sections.ts';

/**
 * A `github-world/1` document exactly as the builders in this folder write it: every field the
 * world specification names, with no defaults left for the parser to fill in. These are plain
 * output types for the builders; the emulator's `parseWorld` remains the one parser of worlds.
 */

export interface WorldSignatureDoc {
  readonly valid: boolean;
  readonly state: 'VALID' | 'UNSIGNED' | 'UNKNOWN_KEY' | 'INVALID';
  readonly signer: string | null;
}

export interface WorldCommitDoc {
  readonly sha: string;
  readonly parents: string[];
  readonly message: string;
  readonly author: string;
  readonly committer: string;
  readonly authoredAt: string;
  readonly committedAt: string;
  readonly signature: WorldSignatureDoc | null;
  /** Who pushed it to its branch, when not its committer. */
  readonly pushedBy?: string;
}

export interface WorldFileDoc {
  readonly path: string;
  readonly additions: number;
  readonly deletions: number;
  readonly changeType: 'ADDED' | 'MODIFIED' | 'DELETED' | 'RENAMED';
}

export interface WorldLabelDoc {
  readonly name: string;
  readonly addedBy: string;
  readonly addedAt: string;
  readonly removedAt: string | null;
}

export interface WorldReviewDoc {
  readonly author: string;
  readonly state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  readonly submittedAt: string;
  readonly commit: string;
  readonly dismissedAt: string | null;
  readonly dismissedBy: string | null;
  readonly previousState?: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';
}

export interface WorldCommentDoc {
  readonly author: string;
  readonly createdAt: string;
  readonly body: string;
}

export interface WorldPullRequestDoc {
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly author: string;
  readonly baseRef: string;
  readonly headRef: string;
  readonly createdAt: string;
  readonly closedAt: string | null;
  readonly mergedAt: string | null;
  readonly mergedBy: string | null;
  readonly mergeCommit: string | null;
  readonly commits: string[];
  readonly files: WorldFileDoc[];
  readonly labels: WorldLabelDoc[];
  readonly reviews: WorldReviewDoc[];
  readonly comments: WorldCommentDoc[];
}

export interface WorldCheckDoc {
  readonly commit: string;
  readonly name: string;
  readonly kind: 'check_run' | 'status';
  readonly app: string;
  readonly status: 'COMPLETED' | 'IN_PROGRESS' | 'QUEUED';
  readonly conclusion: string | null;
  readonly startedAt: string;
  readonly completedAt: string | null;
  /** Who posted a commit status, when not the app's bot (a person posting `unit` by hand). */
  readonly creator?: string;
}

export interface WorldDeploymentStatusDoc {
  readonly state: 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';
  readonly createdAt: string;
  readonly creator: string;
  readonly logUrl: string | null;
}

export interface WorldDeploymentDoc {
  readonly id: number;
  readonly sha: string;
  readonly ref: string;
  readonly environment: string;
  readonly productionEnvironment: boolean;
  readonly creator: string;
  readonly performedViaApp: string | null;
  readonly createdAt: string;
  readonly statuses: WorldDeploymentStatusDoc[];
}

export interface WorldRuleSuiteDoc {
  readonly id: number;
  readonly actor: string;
  readonly ref: string;
  readonly beforeSha: string;
  readonly afterSha: string;
  readonly pushedAt: string;
  readonly result: 'pass' | 'fail' | 'bypass';
  readonly evaluationResult: 'pass' | 'fail';
}

export type WorldActivityType = 'push' | 'force_push' | 'pr_merge';

export interface WorldActivityDoc {
  readonly id: number;
  readonly ref: string;
  readonly before: string;
  readonly after: string;
  readonly timestamp: string;
  readonly activityType: WorldActivityType;
  readonly actor: string;
}

export interface WorldWorkflowJobDoc {
  readonly name: string;
  readonly status: 'completed';
  readonly conclusion: 'success' | 'failure';
  readonly startedAt: string;
  readonly completedAt: string;
}

export interface WorldWorkflowRunDoc {
  readonly id: number;
  readonly name: string;
  readonly headSha: string;
  readonly event: string;
  readonly status: 'completed';
  readonly conclusion: 'success' | 'failure';
  readonly actor: string;
  readonly triggeringActor: string;
  readonly runAttempt: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly jobs: WorldWorkflowJobDoc[];
}

export interface WorldProtectionDoc {
  readonly requiredStatusChecks: string[];
  readonly requiredApprovingReviewCount: number;
  readonly requireSignedCommits: boolean;
  readonly enforceAdmins: boolean;
}

export interface WorldRulesetDoc {
  readonly id: number;
  readonly name: string;
  readonly enforcement: 'active' | 'evaluate' | 'disabled';
  readonly target: string;
  readonly rules: string[];
  readonly bypassActors: { readonly login: string; readonly mode: 'always' | 'pull_request' }[];
}

export interface WorldRepoDoc {
  readonly name: string;
  readonly defaultBranch: string;
  readonly branches: Record<string, string>;
  readonly protection: WorldProtectionDoc | null;
  readonly rulesets: WorldRulesetDoc[];
  readonly commits: WorldCommitDoc[];
  readonly pullRequests: WorldPullRequestDoc[];
  readonly checks: WorldCheckDoc[];
  readonly deployments: WorldDeploymentDoc[];
  readonly ruleSuites: WorldRuleSuiteDoc[];
  readonly activity: WorldActivityDoc[];
  readonly workflowRuns: WorldWorkflowRunDoc[];
  readonly files?: Record<string, string>;
}

export interface WorldUserDoc {
  readonly login: string;
  readonly name: string;
  readonly type: 'User' | 'Bot';
}

export interface WorldAuditEventDoc {
  readonly action: string;
  readonly actor: string;
  readonly repo: string;
  readonly branch: string;
  readonly createdAt: string;
  readonly after: string;
  readonly before: string;
  readonly reasons: { readonly code: string; readonly message: string }[];
}

export interface WorldDocument {
  readonly format: 'github-world/1';
  readonly org: string;
  readonly plan: 'enterprise' | 'team' | 'free';
  readonly now: string;
  readonly users: WorldUserDoc[];
  readonly teams: Record<string, string[]>;
  readonly repos: WorldRepoDoc[];
  readonly auditLog: WorldAuditEventDoc[];
  /** Linear's tickets (github-world.md `linear`); absent = Linear not configured. */
  readonly linear?: LinearSectionInput;
  /** Better Stack's incidents and on-call calendars (github-world.md `betterStack`). */
  readonly betterStack?: BetterStackSectionInput;
}

export type LinearSectionInput = z.input<typeof linearSectionSchema>;
export type BetterStackSectionInput = z.input<typeof betterStackSectionSchema>;
