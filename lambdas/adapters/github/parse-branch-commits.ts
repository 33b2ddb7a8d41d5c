import { z } from 'zod';
import type { BranchCommitData, CommitData } from '../../evidence/documents.ts';
import { isoUtc, rawCommitSchema, toCommitData } from './parse-pull-requests.ts';

/**
 * Parsers of the default-branch history (GraphQL) and of repository activity (REST), and the
 * pure mapping of each commit to the activity event that put it on the branch.
 */

const historyNodeSchema = rawCommitSchema.extend({
  associatedPullRequests: z.object({
    totalCount: z.number().int().optional(),
    nodes: z.array(
      z.object({
        number: z.number().int(),
        mergedAt: z.string().nullable(),
        baseRefName: z.string(),
        mergeCommit: z.object({ oid: z.string() }).nullable(),
      }),
    ),
  }),
});

const historyPageSchema = z.object({
  rateLimit: z.object({ cost: z.number() }).nullable().optional(),
  repository: z.object({
    defaultBranchRef: z
      .object({
        name: z.string(),
        target: z
          .object({
            oid: z.string().optional(),
            history: z
              .object({
                totalCount: z.number().int(),
                pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
                nodes: z.array(historyNodeSchema),
              })
              .optional(),
          })
          .nullable(),
      })
      .nullable(),
  }),
});

export interface HistoryCommit {
  readonly commit: CommitData;
  readonly associatedPullRequests: BranchCommitData['associatedPullRequests'];
  /** GitHub associates more PRs than the query read. */
  readonly associatedPullRequestsTotal: number;
}

export interface HistoryPage {
  /** Null when the repository has no default branch (empty repository). */
  readonly branch: string | null;
  /** The branch head now (the walk of first parents from it is the branch's main line). */
  readonly head: string | null;
  readonly commits: HistoryCommit[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

export function parseHistoryPage(json: unknown): HistoryPage {
  const page = historyPageSchema.parse(json);
  const ref = page.repository.defaultBranchRef;
  const history = ref?.target?.history;
  if (!ref || !history) {
    return { branch: ref?.name ?? null, head: null, commits: [], hasNextPage: false, endCursor: null };
  }
  return {
    branch: ref.name,
    head: ref.target?.oid ?? null,
    commits: history.nodes.map((node) => ({
      commit: toCommitData(node),
      associatedPullRequests: node.associatedPullRequests.nodes.map((pr) => ({
        number: pr.number,
        mergedAt: pr.mergedAt ? isoUtc(pr.mergedAt) : null,
        mergeCommitSha: pr.mergeCommit?.oid ?? null,
        baseRef: pr.baseRefName,
      })),
      associatedPullRequestsTotal:
        node.associatedPullRequests.totalCount ?? node.associatedPullRequests.nodes.length,
    })),
    hasNextPage: history.pageInfo.hasNextPage,
    endCursor: history.pageInfo.endCursor,
  };
}

/** Activity types that move a branch to new commits. */
export const BRANCH_MOVING_ACTIVITY = ['push', 'force_push', 'pr_merge', 'merge_queue_merge'] as const;

const activityEventSchema = z.object({
  id: z.number().int(),
  before: z.string().nullable().optional(),
  after: z.string(),
  ref: z.string(),
  timestamp: z.string(),
  activity_type: z.string(),
  actor: z.object({ login: z.string() }).nullable().optional(),
});

export type ActivityEvent = NonNullable<BranchCommitData['activity']>;

const ZERO_SHA = /^0{40}$/;

/** `GET /repos/{owner}/{repo}/activity` items → events that moved the branch, oldest first. */
export function parseActivityEvents(json: unknown): ActivityEvent[] {
  return z
    .array(activityEventSchema)
    .parse(json)
    .filter((event) => (BRANCH_MOVING_ACTIVITY as readonly string[]).includes(event.activity_type))
    .map((event) => ({
      id: event.id,
      activityType: event.activity_type,
      actor: event.actor?.login ?? null,
      timestamp: isoUtc(event.timestamp),
      before: event.before && !ZERO_SHA.test(event.before) ? event.before : null,
      after: event.after,
    }))
    .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || a.id - b.id);
}

/**
 * Which event put each commit on the branch. Events are taken oldest first; each claims the
 * commits on the first-parent chain from its `after` back to its `before` (a force push whose
 * `before` is not an ancestor stops at commits already claimed). Commits brought in through a
 * merge commit's other parents belong to the event that brought the merge commit.
 */
export function mapCommitsToActivity(
  commits: readonly Pick<CommitData, 'sha' | 'parents'>[],
  events: readonly ActivityEvent[],
  head: string | null,
): Map<string, ActivityEvent> {
  const parentsOf = new Map(commits.map((commit) => [commit.sha, commit.parents]));
  // The branch's main line: side branches brought in by a merge stop where they meet it.
  const mainline = new Set<string>();
  for (let sha = head ?? undefined; sha !== undefined && parentsOf.has(sha) && !mainline.has(sha); ) {
    mainline.add(sha);
    sha = parentsOf.get(sha)?.[0];
  }
  const claimed = new Map<string, ActivityEvent>();
  for (const event of events) {
    let sha: string | undefined = event.after;
    while (sha !== undefined && sha !== event.before && parentsOf.has(sha) && !claimed.has(sha)) {
      claimed.set(sha, event);
      sha = parentsOf.get(sha)?.[0];
    }
  }
  for (const [merged, event] of [...claimed]) {
    const queue = (parentsOf.get(merged) ?? []).slice(1);
    while (queue.length > 0) {
      const sha = queue.shift() as string;
      if (claimed.has(sha) || mainline.has(sha) || !parentsOf.has(sha)) continue;
      claimed.set(sha, event);
      queue.push(...(parentsOf.get(sha) ?? []));
    }
  }
  return claimed;
}
