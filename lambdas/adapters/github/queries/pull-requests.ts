import {
  CHECK_CONTEXT_FIELDS,
  COMMENT_FIELDS,
  COMMIT_FIELDS,
  commitChecksSelection,
  FILE_FIELDS,
  PAGE_INFO,
  REVIEW_FIELDS,
  TIMELINE_ITEM_FIELDS,
  TIMELINE_ITEM_TYPES,
} from './fragments.ts';

/**
 * Merged pull requests: one `search` page brings up to `SEARCH_PAGE_SIZE` PRs with the first
 * page of every nested list; one follow-up request per page brings the head commits' checks
 * (search cannot reach them) together with the next page of any list that did not fit.
 */

export const SEARCH_PAGE_SIZE = 100;
/** GitHub's search returns at most this many results per query, whatever `issueCount` says. */
export const SEARCH_RESULT_CAP = 1000;

/**
 * First-page sizes inside the search. GitHub's cost counts one request per parent node of each
 * connection, so only `commits` (whose nodes hold the `parents` connection) drives the points of
 * a page: 10 commits a PR make a page of 100 PRs cost 18 points where 20 made it 28, and the few
 * PRs with more commits share the follow-ups their page needs anyway. The flat lists are read at
 * GitHub's maximum, which no typical PR exceeds.
 */
export const FIRST_PAGE = {
  commits: 10,
  reviews: 100,
  files: 100,
  labels: 100,
  timelineItems: 100,
  comments: 100,
  checks: 100,
} as const;
export const FOLLOW_UP_PAGE_SIZE = 100;
/** GitHub serves at most 3,000 files of a pull request, whatever `totalCount` says. */
export const GITHUB_FILES_CAP = 3000;

export type PagedConnection = 'commits' | 'reviews' | 'files' | 'timelineItems' | 'comments';

function connectionSelection(
  connection: PagedConnection,
  first: number,
  afterVariable: string | null,
): string {
  const after = afterVariable ? `, after: $${afterVariable}` : '';
  return `${connection}(first: ${first}${after}${CONNECTION_ARGUMENTS[connection]}) { totalCount ${PAGE_INFO} nodes { ${CONNECTION_NODES[connection]} } }`;
}

/** The page of `connection` that ends before `$beforeVariable` (the last page without one). */
function backwardSelection(connection: PagedConnection, last: number, beforeVariable: string | null): string {
  const before = beforeVariable ? `, before: $${beforeVariable}` : '';
  return `${backwardAlias(connection)}: ${connection}(last: ${last}${before}${CONNECTION_ARGUMENTS[connection]}) { totalCount pageInfo { hasPreviousPage startCursor } nodes { ${CONNECTION_NODES[connection]} } }`;
}

const CONNECTION_ARGUMENTS: Record<PagedConnection, string> = {
  commits: '',
  reviews: '',
  files: '',
  timelineItems: `, itemTypes: ${TIMELINE_ITEM_TYPES}`,
  comments: '',
};

const CONNECTION_NODES: Record<PagedConnection, string> = {
  commits: 'commit { ...CommitFields }',
  reviews: REVIEW_FIELDS,
  files: FILE_FIELDS,
  timelineItems: '...TimelineItemFields',
  comments: COMMENT_FIELDS,
};

export const PULL_REQUEST_FIELDS = `fragment PullRequestFields on PullRequest {
  id
  number
  url
  title
  body
  lastEditedAt
  createdAt
  updatedAt
  mergedAt
  merged
  state
  baseRefName
  headRefName
  headRefOid
  author { login __typename }
  mergedBy { login __typename }
  mergeCommit { ...CommitFields }
  ${connectionSelection('commits', FIRST_PAGE.commits, null)}
  ${connectionSelection('reviews', FIRST_PAGE.reviews, null)}
  ${connectionSelection('files', FIRST_PAGE.files, null)}
  labels(first: ${FIRST_PAGE.labels}) { totalCount nodes { name } }
  ${connectionSelection('timelineItems', FIRST_PAGE.timelineItems, null)}
  ${connectionSelection('comments', FIRST_PAGE.comments, null)}
  headCommit: commits(last: 1) { nodes { commit { ${commitChecksSelection(null, FIRST_PAGE.checks)} } } }
}`;

export const MERGED_PULL_REQUESTS_QUERY = `query MergedPullRequests($searchQuery: String!, $first: Int!, $after: String) {
  rateLimit { cost remaining resetAt }
  search(type: ISSUE, query: $searchQuery, first: $first, after: $after) {
    issueCount
    ${PAGE_INFO}
    nodes { ... on PullRequest { ...PullRequestFields } }
  }
}
${PULL_REQUEST_FIELDS}
${COMMIT_FIELDS}
${TIMELINE_ITEM_FIELDS}
${CHECK_CONTEXT_FIELDS}`;

/** `repo:ORG/NAME is:pr is:merged base:BRANCH merged:FROM..TO [updated:>=SINCE]` (inclusive times). */
export function mergedPullRequestsSearch(
  fullName: string,
  baseBranch: string,
  mergedFrom: string,
  mergedToInclusive: string,
  updatedSince?: string,
): string {
  const updated = updatedSince ? ` updated:>=${isoSeconds(updatedSince)}` : '';
  return `repo:${fullName} is:pr is:merged base:${baseBranch} merged:${isoSeconds(mergedFrom)}..${isoSeconds(mergedToInclusive)}${updated}`;
}

/** GitHub's search qualifiers take second precision: `2026-10-01T00:00:00Z`. */
export function isoSeconds(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19)}Z`;
}

/**
 * One follow-up item: a page of one list of one pull request — the page after `cursor`
 * (`forward`), or the page before it, the list's last page when `cursor` is null (`backward`).
 */
export interface ConnectionPageRequest {
  readonly pullRequestId: string;
  readonly connection: PagedConnection;
  readonly direction: 'forward' | 'backward';
  readonly cursor: string | null;
}

/**
 * Lists read from both ends at once when long: each follow-up brings a page from the front and
 * one from the back, so a 3,000-file PR takes 15 requests instead of 29. Only lists whose items
 * have a key unique within the PR (a commit's SHA, a file's path), so the two ends are joined
 * where they meet without a duplicate or a gap.
 */
export const TWO_ENDED_CONNECTIONS: ReadonlySet<PagedConnection> = new Set(['commits', 'files']);

/** The alias under which a backward page of `connection` comes back. */
export function backwardAlias(connection: PagedConnection): string {
  return `${connection}FromEnd`;
}

/** One follow-up item: a page of the check contexts of one head commit. */
export interface ChecksPageRequest {
  readonly sha: string;
  readonly after: string | null;
}

/**
 * One request that fetches, through aliases, a page of checks for each named head commit and
 * the next page of each named PR list. Returns the query and its variables; aliases are
 * `c<i>` (checks, in order) and `p<i>` (one per distinct PR, holding its requested lists).
 */
export function buildFollowUpQuery(
  owner: string,
  name: string,
  checks: readonly ChecksPageRequest[],
  pages: readonly ConnectionPageRequest[],
): { query: string; variables: Record<string, unknown>; prAliases: Map<string, string> } {
  // Only declared when used: GraphQL rejects a declared variable no field uses.
  const variables: Record<string, unknown> = checks.length > 0 ? { owner, name } : {};
  const declarations = checks.length > 0 ? ['$owner: String!', '$name: String!'] : [];
  const parts: string[] = ['rateLimit { cost remaining resetAt }'];
  const usesCommitFields = pages.some((page) => page.connection === 'commits');
  const usesTimeline = pages.some((page) => page.connection === 'timelineItems');

  if (checks.length > 0) {
    const commitParts = checks.map((check, i) => {
      variables[`oid${i}`] = check.sha;
      declarations.push(`$oid${i}: GitObjectID!`);
      let afterVariable: string | null = null;
      if (check.after !== null) {
        afterVariable = `checksAfter${i}`;
        variables[afterVariable] = check.after;
        declarations.push(`$${afterVariable}: String`);
      }
      const first = check.after === null ? FIRST_PAGE.checks : FOLLOW_UP_PAGE_SIZE;
      return `c${i}: object(oid: $oid${i}) { ... on Commit { ${commitChecksSelection(afterVariable, first)} } }`;
    });
    parts.push(`repository(owner: $owner, name: $name) {\n    ${commitParts.join('\n    ')}\n  }`);
  }

  const byPullRequest = new Map<string, ConnectionPageRequest[]>();
  for (const page of pages) {
    const list = byPullRequest.get(page.pullRequestId) ?? [];
    list.push(page);
    byPullRequest.set(page.pullRequestId, list);
  }
  const prAliases = new Map<string, string>();
  let prIndex = 0;
  let cursorIndex = 0;
  for (const [pullRequestId, list] of byPullRequest) {
    const alias = `p${prIndex}`;
    prAliases.set(pullRequestId, alias);
    variables[`id${prIndex}`] = pullRequestId;
    declarations.push(`$id${prIndex}: ID!`);
    const selections = list.map((page) => {
      let cursorVariable: string | null = null;
      if (page.cursor !== null) {
        cursorVariable = `${page.direction === 'forward' ? 'after' : 'before'}${cursorIndex}`;
        cursorIndex += 1;
        variables[cursorVariable] = page.cursor;
        declarations.push(`$${cursorVariable}: String`);
      }
      return page.direction === 'forward'
        ? connectionSelection(page.connection, FOLLOW_UP_PAGE_SIZE, cursorVariable)
        : backwardSelection(page.connection, FOLLOW_UP_PAGE_SIZE, cursorVariable);
    });
    parts.push(`${alias}: node(id: $id${prIndex}) { ... on PullRequest { id ${selections.join(' ')} } }`);
    prIndex += 1;
  }

  const fragments = [
    checks.length > 0 ? CHECK_CONTEXT_FIELDS : '',
    usesCommitFields ? COMMIT_FIELDS : '',
    usesTimeline ? TIMELINE_ITEM_FIELDS : '',
  ].filter((fragment) => fragment !== '');
  const signature = declarations.length > 0 ? `(${declarations.join(', ')})` : '';
  const query = `query PullRequestFollowUp${signature} {\n  ${parts.join('\n  ')}\n}\n${fragments.join('\n')}`;
  return { query, variables, prAliases };
}
