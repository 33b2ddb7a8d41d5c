import { COMMIT_FIELDS, PAGE_INFO } from './fragments.ts';

/**
 * Commits of the default branch in a time range, newest first, each with the pull requests
 * GitHub associates with it. `history(since:, until:)` filters on the commit date.
 */
export const HISTORY_PAGE_SIZE = 100;
/** A commit belongs to few PRs; more than this is reported through `totalCount`. */
export const ASSOCIATED_PULL_REQUESTS_FIRST = 5;

export const BRANCH_HISTORY_QUERY = `query DefaultBranchHistory($owner: String!, $name: String!, $since: GitTimestamp!, $until: GitTimestamp!, $first: Int!, $after: String) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    defaultBranchRef {
      name
      target {
        ... on Commit {
          oid
          history(first: $first, after: $after, since: $since, until: $until) {
            totalCount
            ${PAGE_INFO}
            nodes {
              ...CommitFields
              associatedPullRequests(first: ${ASSOCIATED_PULL_REQUESTS_FIRST}) {
                totalCount
                nodes { number mergedAt baseRefName mergeCommit { oid } }
              }
            }
          }
        }
      }
    }
  }
}
${COMMIT_FIELDS}`;
