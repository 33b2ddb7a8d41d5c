/**
 * The part of Linear's public GraphQL schema the collector and the emulator use: the types and
 * fields of `Query.issues`, `Query.issue` and `Query.viewer`, as Linear publishes them in its
 * SDK's `packages/sdk/src/schema.graphql` (repository `linear/linear`, read at commit
 * 8335e09a17dd8aa351dace3d05a94a55e78dad2a, July 2026). Only names and types are kept, with
 * fields and filter members the collector does not ask for left out; every query the
 * collector sends is validated against this text in the tests, and the emulator refuses any
 * query that does not validate, as Linear would.
 */
export const LINEAR_SCHEMA_SDL = `
scalar DateTime

enum PaginationOrderBy {
  createdAt
  updatedAt
}

type Query {
  issues(after: String, before: String, filter: IssueFilter, first: Int, includeArchived: Boolean, last: Int, orderBy: PaginationOrderBy): IssueConnection!
  issue(id: String!): Issue!
  viewer: User!
}

type Issue {
  id: ID!
  identifier: String!
  number: Float!
  title: String!
  url: String!
  createdAt: DateTime!
  archivedAt: DateTime
  team: Team!
  state: WorkflowState!
}

type IssueConnection {
  nodes: [Issue!]!
  pageInfo: PageInfo!
}

type PageInfo {
  hasNextPage: Boolean!
  endCursor: String
  hasPreviousPage: Boolean!
  startCursor: String
}

type Team {
  id: ID!
  key: String!
  name: String!
}

type WorkflowState {
  id: ID!
  name: String!
  type: String!
}

type User {
  id: ID!
  name: String!
  email: String!
}

input IssueFilter {
  id: IssueIDComparator
  number: NumberComparator
  team: TeamFilter
  and: [IssueFilter!]
  or: [IssueFilter!]
}

input TeamFilter {
  key: StringComparator
}

input StringComparator {
  eq: String
  in: [String!]
  neq: String
  nin: [String!]
  eqIgnoreCase: String
}

input NumberComparator {
  eq: Float
  in: [Float!]
}

input IssueIDComparator {
  eq: ID
  in: [ID!]
  neq: ID
  nin: [ID!]
}
`;
