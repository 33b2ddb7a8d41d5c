/**
 * GraphQL fragments shared by the collectors' queries. Field names are GitHub's own (checked
 * against `@octokit/graphql-schema` by test/collect/queries.test.ts).
 *
 * Page sizes of nested connections are chosen against GitHub's cost formula (one "request" per
 * parent node a connection is fetched for, summed, divided by 100): large enough that a typical
 * pull request arrives whole in its first page, small enough that a page of 50 PRs stays cheap.
 * Anything longer is paged through `node(id:)` follow-ups, never dropped.
 */

export const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

/** Git parents: two cover merge commits; an octopus merge is flagged through `totalCount`. */
export const PARENTS_FIRST = 3;

export const COMMIT_FIELDS = `fragment CommitFields on Commit {
  oid
  message
  committedDate
  authoredDate
  author { user { login } name email date }
  committer { user { login } name date }
  parents(first: ${PARENTS_FIRST}) { totalCount nodes { oid } }
  signature { isValid state signer { login } }
}`;

export const CHECK_CONTEXT_FIELDS = `fragment CheckContextFields on StatusCheckRollupContext {
  __typename
  ... on CheckRun { name status conclusion startedAt completedAt checkSuite { id app { slug databaseId } } }
  ... on StatusContext { context state createdAt creator { login __typename } }
}`;

/** Check runs and statuses of one commit, one page; the variables are named per alias. */
export function commitChecksSelection(afterVariable: string | null, first: number): string {
  const after = afterVariable ? `, after: $${afterVariable}` : '';
  return `oid
    statusCheckRollup {
      contexts(first: ${first}${after}) {
        totalCount
        ${PAGE_INFO}
        nodes { ...CheckContextFields }
      }
    }`;
}

export const TIMELINE_ITEM_TYPES = '[LABELED_EVENT, UNLABELED_EVENT, REVIEW_DISMISSED_EVENT]';

export const TIMELINE_ITEM_FIELDS = `fragment TimelineItemFields on PullRequestTimelineItems {
  __typename
  ... on LabeledEvent { createdAt actor { login } label { name } }
  ... on UnlabeledEvent { createdAt actor { login } label { name } }
  ... on ReviewDismissedEvent { createdAt actor { login } review { id } previousReviewState }
}`;

export const REVIEW_FIELDS = 'id author { login __typename } state submittedAt commit { oid }';
export const FILE_FIELDS = 'path additions deletions changeType';
export const COMMENT_FIELDS = 'author { login } createdAt body url';
