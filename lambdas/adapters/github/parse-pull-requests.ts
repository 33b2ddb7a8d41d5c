import { z } from 'zod';
import type {
  CheckData,
  CommentData,
  CommitData,
  LabelEvent,
  PullRequestData,
  ReviewData,
} from '../../evidence/documents.ts';
import {
  type ConnectionPageRequest,
  GITHUB_FILES_CAP,
  type PagedConnection,
  TWO_ENDED_CONNECTIONS,
} from './queries/pull-requests.ts';

/**
 * Parsers of GitHub's GraphQL answers about pull requests and commits (one zod schema per
 * payload), and the pure assembly of a `PullRequestData` from a first page plus follow-up pages.
 */

const loginSchema = z.object({ login: z.string() }).nullable().optional();
const pageInfoSchema = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });

export const rawCommitSchema = z.object({
  oid: z.string(),
  message: z.string(),
  committedDate: z.string(),
  authoredDate: z.string(),
  author: z.object({ user: loginSchema, name: z.string().nullable().optional() }).nullable().optional(),
  committer: z.object({ user: loginSchema, name: z.string().nullable().optional() }).nullable().optional(),
  parents: z.object({ totalCount: z.number().int(), nodes: z.array(z.object({ oid: z.string() })) }),
  signature: z.object({ isValid: z.boolean(), state: z.string(), signer: loginSchema }).nullable().optional(),
});
export type RawCommit = z.infer<typeof rawCommitSchema>;

export function toCommitData(raw: RawCommit): CommitData {
  return {
    sha: raw.oid,
    message: raw.message,
    author: raw.author?.user?.login ?? null,
    committer: raw.committer?.user?.login ?? null,
    authoredAt: isoUtc(raw.authoredDate),
    committedAt: isoUtc(raw.committedDate),
    parents: raw.parents.nodes.map((parent) => parent.oid),
    signature: raw.signature
      ? {
          isValid: raw.signature.isValid,
          state: raw.signature.state,
          signer: raw.signature.signer?.login ?? null,
        }
      : null,
  };
}

/** GitHub answers `...Z`; normalise any offset so stored times compare as strings. */
export function isoUtc(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new Error(`"${value}" is not an ISO-8601 time`);
  return new Date(time).toISOString().replace('.000Z', 'Z');
}

const checkContextSchema = z.union([
  z.object({
    __typename: z.literal('CheckRun'),
    name: z.string(),
    status: z.string(),
    conclusion: z.string().nullable(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    checkSuite: z
      .object({
        id: z.string().optional(),
        app: z.object({ slug: z.string(), databaseId: z.number().int().nullable().optional() }).nullable(),
      })
      .nullable()
      .optional(),
  }),
  z.object({
    __typename: z.literal('StatusContext'),
    context: z.string(),
    state: z.string(),
    createdAt: z.string(),
    creator: z.object({ login: z.string(), __typename: z.string().optional() }).nullable().optional(),
  }),
]);
type RawCheckContext = z.infer<typeof checkContextSchema>;

export const commitChecksSchema = z
  .object({
    oid: z.string(),
    statusCheckRollup: z
      .object({
        contexts: z.object({
          totalCount: z.number().int(),
          pageInfo: pageInfoSchema,
          nodes: z.array(checkContextSchema),
        }),
      })
      .nullable(),
  })
  .nullable();

export function toCheckData(raw: RawCheckContext, commitSha: string): CheckData {
  if (raw.__typename === 'CheckRun') {
    return {
      name: raw.name,
      kind: 'check_run',
      app: raw.checkSuite?.app?.slug ?? null,
      ...(typeof raw.checkSuite?.app?.databaseId === 'number'
        ? { appId: raw.checkSuite.app.databaseId }
        : {}),
      ...(raw.checkSuite?.id ? { suiteId: raw.checkSuite.id } : {}),
      commitSha,
      status: raw.status,
      conclusion: raw.conclusion,
      startedAt: raw.startedAt ? isoUtc(raw.startedAt) : null,
      completedAt: raw.completedAt ? isoUtc(raw.completedAt) : null,
    };
  }
  // A commit status has no separate completion: it is final unless PENDING, at its creation time.
  const pending = raw.state === 'PENDING' || raw.state === 'EXPECTED';
  return {
    name: raw.context,
    kind: 'status',
    app: raw.creator?.login ?? null,
    // A status a bot or app posted is automation's word; one a person posted is not a test that ran.
    ...(raw.creator?.__typename === 'Bot' ? { creatorType: 'Bot' } : {}),
    commitSha,
    status: pending ? 'PENDING' : 'COMPLETED',
    conclusion: raw.state,
    startedAt: isoUtc(raw.createdAt),
    completedAt: pending ? null : isoUtc(raw.createdAt),
  };
}

const rawReviewSchema = z.object({
  id: z.string(),
  author: z.object({ login: z.string(), __typename: z.string().optional() }).nullable().optional(),
  state: z.string(),
  submittedAt: z.string().nullable(),
  commit: z.object({ oid: z.string() }).nullable().optional(),
});
const rawFileSchema = z.object({
  path: z.string(),
  additions: z.number().int(),
  deletions: z.number().int(),
  changeType: z.string(),
});
const rawTimelineItemSchema = z.union([
  z.object({
    __typename: z.enum(['LabeledEvent', 'UnlabeledEvent']),
    createdAt: z.string(),
    actor: loginSchema,
    label: z.object({ name: z.string() }),
  }),
  z.object({
    __typename: z.literal('ReviewDismissedEvent'),
    createdAt: z.string(),
    actor: loginSchema,
    review: z.object({ id: z.string() }).nullable(),
    previousReviewState: z.string().nullable().optional(),
  }),
]);
type RawTimelineItem = z.infer<typeof rawTimelineItemSchema>;
const rawCommentSchema = z.object({
  author: loginSchema,
  createdAt: z.string(),
  body: z.string(),
  url: z.string().nullable().optional(),
});

function connectionOf<T extends z.ZodType>(node: T) {
  return z.object({ totalCount: z.number().int(), pageInfo: pageInfoSchema, nodes: z.array(node) });
}

/** A page read backwards (`last:`/`before:`): its start cursor leads to the page before it. */
const backwardPageSchema = z.object({
  totalCount: z.number().int(),
  pageInfo: z.object({ hasPreviousPage: z.boolean(), startCursor: z.string().nullable() }),
  nodes: z.array(z.unknown()),
});

const commitNodeSchema = z.object({ commit: rawCommitSchema });

const connectionSchemas = {
  commits: connectionOf(commitNodeSchema),
  reviews: connectionOf(rawReviewSchema),
  files: connectionOf(rawFileSchema),
  timelineItems: connectionOf(rawTimelineItemSchema),
  comments: connectionOf(rawCommentSchema),
} as const;

const actorWithTypeSchema = z.object({ login: z.string(), __typename: z.string().optional() }).nullable();

export const rawPullRequestSchema = z.object({
  id: z.string(),
  number: z.number().int(),
  url: z.string(),
  title: z.string(),
  body: z.string(),
  lastEditedAt: z.string().nullable().optional(),
  createdAt: z.string(),
  updatedAt: z.string().optional(),
  mergedAt: z.string().nullable(),
  baseRefName: z.string(),
  headRefName: z.string(),
  headRefOid: z.string(),
  author: actorWithTypeSchema,
  mergedBy: actorWithTypeSchema,
  mergeCommit: rawCommitSchema.nullable(),
  commits: connectionSchemas.commits,
  reviews: connectionSchemas.reviews,
  files: connectionSchemas.files,
  labels: z.object({
    totalCount: z.number().int().optional(),
    nodes: z.array(z.object({ name: z.string() })),
  }),
  timelineItems: connectionSchemas.timelineItems,
  comments: connectionSchemas.comments,
  /** The last commit of the PR with its first page of checks (`commits(last: 1)`); absent in older answers. */
  headCommit: z.object({ nodes: z.array(z.object({ commit: commitChecksSchema })) }).optional(),
});
export type RawPullRequest = z.infer<typeof rawPullRequestSchema>;

const searchPageSchema = z.object({
  rateLimit: z.object({ cost: z.number() }).nullable().optional(),
  search: z.object({
    issueCount: z.number().int(),
    pageInfo: pageInfoSchema,
    // Search may also match issues; they arrive as empty objects under `... on PullRequest`.
    nodes: z.array(z.unknown()),
  }),
});

export interface MergedPullRequestsPage {
  readonly issueCount: number;
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
  readonly pullRequests: RawPullRequest[];
  readonly cost: number;
}

export function parseMergedPullRequestsPage(json: unknown): MergedPullRequestsPage {
  const page = searchPageSchema.parse(json);
  const pullRequests = page.search.nodes
    .filter((node) => node !== null && typeof node === 'object' && 'number' in node)
    .map((node) => rawPullRequestSchema.parse(node));
  return {
    issueCount: page.search.issueCount,
    hasNextPage: page.search.pageInfo.hasNextPage,
    endCursor: page.search.pageInfo.endCursor,
    pullRequests,
    cost: page.rateLimit?.cost ?? 0,
  };
}

/** Follow-up pages hold this many items (GitHub's maximum). */
const FOLLOW_UP_PAGE = 100;

/** The key unique within one PR's list: a commit's SHA, a file's path. */
function keyOf(connection: PagedConnection, item: unknown): string {
  return connection === 'commits' ? (item as CommitData).sha : (item as { path: string }).path;
}

/** A pull request being put together from its first page and any follow-up pages. */
export class PullRequestAssembly {
  readonly id: string;
  readonly number: number;
  readonly mergedAt: string;
  readonly headSha: string;
  private readonly first: RawPullRequest;
  private readonly commits: CommitData[] = [];
  private readonly reviews: z.infer<typeof rawReviewSchema>[] = [];
  private readonly files: z.infer<typeof rawFileSchema>[] = [];
  private readonly timeline: RawTimelineItem[] = [];
  private readonly comments: z.infer<typeof rawCommentSchema>[] = [];
  private readonly checks: CheckData[] = [];
  private readonly totals = new Map<string, number>();
  private readonly pending = new Map<PagedConnection, string>();
  /** Lists whose two ends disagreed with GitHub's count: read on from the front only, each item once. */
  private readonly frontOnly = new Set<PagedConnection>();
  /** Lists also read from their end: the pages read so far (last first) and where to go on. */
  private readonly fromEnd = new Map<
    PagedConnection,
    { pages: (CommitData | z.infer<typeof rawFileSchema>)[][]; before: string | null }
  >();
  private checksState: { after: string | null } | 'done' = { after: null };

  constructor(raw: RawPullRequest) {
    if (raw.mergedAt === null) throw new Error(`pull request #${raw.number} is not merged`);
    this.first = raw;
    this.id = raw.id;
    this.number = raw.number;
    this.mergedAt = isoUtc(raw.mergedAt);
    this.headSha = raw.headRefOid;
    for (const connection of ['commits', 'reviews', 'files', 'timelineItems', 'comments'] as const) {
      this.addPage(connection, raw[connection]);
    }
    // The search brings the first page of checks of the PR's last commit. It stands for the head
    // commit only when it is that commit; otherwise the checks are asked for by the head's oid.
    const last = raw.headCommit?.nodes.at(-1)?.commit;
    if (last && last.oid === this.headSha) this.addChecksPage(last);
  }

  /**
   * The pages still to read: the next page of each unfinished list, and for a long list whose
   * items have unique keys also the page before what was read from its end (its last page first).
   */
  pendingPages(): Omit<ConnectionPageRequest, 'pullRequestId'>[] {
    const requests: Omit<ConnectionPageRequest, 'pullRequestId'>[] = [];
    for (const [connection, after] of this.pending) {
      requests.push({ connection, direction: 'forward', cursor: after });
      // From the end too, while more is unread than the next front page holds.
      if (
        TWO_ENDED_CONNECTIONS.has(connection) &&
        !this.frontOnly.has(connection) &&
        this.unread(connection) > FOLLOW_UP_PAGE
      ) {
        requests.push({
          connection,
          direction: 'backward',
          cursor: this.fromEnd.get(connection)?.before ?? null,
        });
      }
    }
    return requests;
  }

  /** Items GitHub serves that neither end has read yet (by its totalCount; files capped as GitHub caps them). */
  private unread(connection: PagedConnection): number {
    const total = this.totals.get(connection) ?? 0;
    const served = connection === 'files' ? Math.min(total, GITHUB_FILES_CAP) : total;
    const fromEnd = this.fromEnd.get(connection)?.pages.reduce((sum, page) => sum + page.length, 0) ?? 0;
    return served - this.listOf(connection).length - fromEnd;
  }

  private listOf(connection: PagedConnection): readonly unknown[] {
    switch (connection) {
      case 'commits':
        return this.commits;
      case 'reviews':
        return this.reviews;
      case 'files':
        return this.files;
      case 'timelineItems':
        return this.timeline;
      case 'comments':
        return this.comments;
    }
  }

  /** A page read from the end of a list (see `pendingPages`). */
  addPageFromEnd(connection: PagedConnection, json: unknown): void {
    if (!TWO_ENDED_CONNECTIONS.has(connection)) {
      throw new Error(`${connection} is not read from its end: its items have no unique key`);
    }
    const page = backwardPageSchema.parse(json);
    this.totals.set(connection, page.totalCount);
    const items =
      connection === 'commits'
        ? page.nodes.map((node) => toCommitData(commitNodeSchema.parse(node).commit))
        : page.nodes.map((node) => rawFileSchema.parse(node));
    const fromEnd = this.fromEnd.get(connection) ?? { pages: [], before: null };
    fromEnd.pages.push(items);
    fromEnd.before = page.pageInfo.hasPreviousPage ? page.pageInfo.startCursor : null;
    this.fromEnd.set(connection, fromEnd);
    if (!page.pageInfo.hasPreviousPage || page.pageInfo.startCursor === null) {
      // Read from the end through to the start: the end's pages hold the whole list.
      this.join(connection);
      this.pending.delete(connection);
    } else this.joinIfMet(connection);
  }

  /**
   * The two ends have met when the end's pages hold an item already read from the front, when
   * either end reached the other's side of the list, or (files within GitHub's cap, where
   * totalCount is exactly what GitHub serves) when together they hold every item.
   */
  private joinIfMet(connection: PagedConnection): void {
    const fromEnd = this.fromEnd.get(connection);
    if (!fromEnd) return;
    const front = new Set(this.listOf(connection).map((item) => keyOf(connection, item)));
    const overlap = fromEnd.pages.some((page) => page.some((item) => front.has(keyOf(connection, item))));
    const total = this.totals.get(connection) ?? 0;
    const countedWhole = connection === 'files' && total <= GITHUB_FILES_CAP && this.unread(connection) <= 0;
    if (!(overlap || !this.pending.has(connection) || countedWhole)) return;
    this.join(connection);
    // Met, as far as GitHub's count can tell: every item it serves is held. Otherwise (the two
    // ends disagree with the count) the front goes on alone to its own end, as if never helped.
    if (countedWhole || this.unread(connection) <= 0) this.pending.delete(connection);
    else this.frontOnly.add(connection);
  }

  /** Appends what was read from the end (oldest page first) after what was read from the front, each item once. */
  private join(connection: PagedConnection): void {
    const fromEnd = this.fromEnd.get(connection);
    if (!fromEnd) return;
    this.fromEnd.delete(connection);
    const list = this.listOf(connection) as (CommitData | z.infer<typeof rawFileSchema>)[];
    const seen = new Set(list.map((item) => keyOf(connection, item)));
    for (const page of fromEnd.pages.reverse()) {
      for (const item of page) {
        const key = keyOf(connection, item);
        if (seen.has(key)) continue;
        seen.add(key);
        list.push(item);
      }
    }
  }

  /** `after` of the next checks page to read, or undefined when the checks are complete. */
  pendingChecks(): { after: string | null } | undefined {
    return this.checksState === 'done' ? undefined : this.checksState;
  }

  addPage(connection: PagedConnection, json: unknown): void {
    const page = connectionSchemas[connection].parse(json);
    this.totals.set(connection, page.totalCount);
    switch (connection) {
      case 'commits':
        for (const node of (page as z.infer<typeof connectionSchemas.commits>).nodes) {
          if (!this.frontOnly.has('commits') || !this.commits.some((c) => c.sha === node.commit.oid)) {
            this.commits.push(toCommitData(node.commit));
          }
        }
        break;
      case 'reviews':
        this.reviews.push(...(page as z.infer<typeof connectionSchemas.reviews>).nodes);
        break;
      case 'files':
        for (const node of (page as z.infer<typeof connectionSchemas.files>).nodes) {
          if (!this.frontOnly.has('files') || !this.files.some((f) => f.path === node.path))
            this.files.push(node);
        }
        break;
      case 'timelineItems':
        this.timeline.push(...(page as z.infer<typeof connectionSchemas.timelineItems>).nodes);
        break;
      case 'comments':
        this.comments.push(...(page as z.infer<typeof connectionSchemas.comments>).nodes);
        break;
    }
    if (page.pageInfo.hasNextPage && page.pageInfo.endCursor)
      this.pending.set(connection, page.pageInfo.endCursor);
    else this.pending.delete(connection);
    this.joinIfMet(connection);
  }

  /** One page of the head commit's checks (`null` when the commit has no checks at all). */
  addChecksPage(json: unknown): void {
    const commit = commitChecksSchema.parse(json);
    const contexts = commit?.statusCheckRollup?.contexts;
    if (!contexts) {
      this.totals.set('checks', this.checks.length);
      this.checksState = 'done';
      return;
    }
    this.totals.set('checks', contexts.totalCount);
    for (const node of contexts.nodes) this.checks.push(toCheckData(node, this.headSha));
    this.checksState =
      contexts.pageInfo.hasNextPage && contexts.pageInfo.endCursor
        ? { after: contexts.pageInfo.endCursor }
        : 'done';
  }

  isComplete(): boolean {
    return this.pending.size === 0 && this.fromEnd.size === 0 && this.checksState === 'done';
  }

  toData(): PullRequestData {
    const raw = this.first;
    const dismissals = new Map<string, { at: string; by: string | null; previousState: string | null }>();
    const labelEvents: LabelEvent[] = [];
    for (const item of this.timeline) {
      if (item.__typename === 'ReviewDismissedEvent') {
        if (item.review) {
          dismissals.set(item.review.id, {
            at: isoUtc(item.createdAt),
            by: item.actor?.login ?? null,
            previousState: item.previousReviewState ?? null,
          });
        }
      } else {
        labelEvents.push({
          name: item.label.name,
          action: item.__typename === 'LabeledEvent' ? 'added' : 'removed',
          actor: item.actor?.login ?? null,
          at: isoUtc(item.createdAt),
        });
      }
    }
    const reviews: ReviewData[] = this.reviews.map((review) => {
      const dismissal = dismissals.get(review.id);
      return {
        id: review.id,
        author: review.author?.login ?? null,
        // Only a Bot is marked: absent means a person, which keeps documents of people's reviews unchanged.
        ...(review.author?.__typename === 'Bot' ? { authorType: 'Bot' } : {}),
        state: review.state,
        previousState: dismissal?.previousState ?? null,
        submittedAt: review.submittedAt ? isoUtc(review.submittedAt) : null,
        commitSha: review.commit?.oid ?? null,
        dismissedAt: dismissal?.at ?? null,
        dismissedBy: dismissal?.by ?? null,
      };
    });
    const comments: CommentData[] = this.comments.map((comment) => ({
      author: comment.author?.login ?? null,
      createdAt: isoUtc(comment.createdAt),
      body: comment.body,
      url: comment.url ?? null,
    }));
    return {
      number: raw.number,
      url: raw.url,
      title: raw.title,
      body: raw.body,
      bodyEditedAt: raw.lastEditedAt ? isoUtc(raw.lastEditedAt) : null,
      author: raw.author ? { login: raw.author.login, type: raw.author.__typename ?? 'User' } : null,
      baseRef: raw.baseRefName,
      headRef: raw.headRefName,
      headSha: raw.headRefOid,
      createdAt: isoUtc(raw.createdAt),
      mergedAt: this.mergedAt,
      mergedBy: raw.mergedBy ? { login: raw.mergedBy.login, type: raw.mergedBy.__typename ?? 'User' } : null,
      mergeCommit: raw.mergeCommit ? toCommitData(raw.mergeCommit) : null,
      commits: this.commits,
      reviews,
      checks: this.checks,
      files: this.files.map((file) => ({ ...file })),
      labels: raw.labels.nodes.map((label) => label.name),
      labelEvents,
      comments,
      completeness: this.completeness(),
    };
  }

  private completeness(): PullRequestData['completeness'] {
    const gaps: PullRequestData['completeness'] = [];
    const collected: Record<string, number> = {
      commits: this.commits.length,
      reviews: this.reviews.length,
      files: this.files.length,
      timelineItems: this.timeline.length,
      comments: this.comments.length,
      checks: this.checks.length,
    };
    for (const [field, count] of Object.entries(collected)) {
      const total = this.totals.get(field) ?? count;
      if (total > count) {
        gaps.push({
          field,
          collected: count,
          total,
          reason:
            field === 'files' && count >= GITHUB_FILES_CAP
              ? `GitHub serves at most ${GITHUB_FILES_CAP} files of a pull request`
              : 'GitHub reported more items than it served',
        });
      }
    }
    const labelTotal = this.first.labels.totalCount ?? this.first.labels.nodes.length;
    if (labelTotal > this.first.labels.nodes.length) {
      gaps.push({
        field: 'labels',
        collected: this.first.labels.nodes.length,
        total: labelTotal,
        reason: 'more labels than the query reads',
      });
    }
    const mergeCommit = this.first.mergeCommit;
    if (mergeCommit && mergeCommit.parents.totalCount > mergeCommit.parents.nodes.length) {
      gaps.push({
        field: 'mergeCommit.parents',
        collected: mergeCommit.parents.nodes.length,
        total: mergeCommit.parents.totalCount,
        reason: 'octopus merge with more parents than the query reads',
      });
    }
    return gaps;
  }
}

const followUpSchema = z.object({
  rateLimit: z.object({ cost: z.number() }).nullable().optional(),
  repository: z.record(z.string(), z.unknown()).nullable().optional(),
});

/** The pieces of a `PullRequestFollowUp` answer, by alias. */
export function parseFollowUp(json: unknown): {
  checks: (alias: string) => unknown;
  pullRequest: (alias: string) => Record<string, unknown> | undefined;
  cost: number;
} {
  const parsed = followUpSchema.parse(json);
  const record = json as Record<string, unknown>;
  return {
    cost: parsed.rateLimit?.cost ?? 0,
    checks: (alias) => parsed.repository?.[alias] ?? null,
    pullRequest: (alias) => {
      const node = record[alias];
      return node !== null && typeof node === 'object' ? (node as Record<string, unknown>) : undefined;
    },
  };
}
