import { z } from 'zod';
import type { CheckData } from '../../../evidence/documents.ts';
import { isoUtc } from '../parse-pull-requests.ts';
import { PAGE_INFO } from './fragments.ts';

/**
 * Every run of every check suite of several head commits in one GraphQL request (`EveryCheckRun`):
 * `Commit.checkSuites`, each suite's `checkRuns(filterBy: { checkType: ALL })` — re-runs too, which
 * the `statusCheckRollup` hides. A commit with more suites or runs than one page holds is not
 * paged here: its caller reads it through REST instead.
 *
 * Cost: GitHub counts one request per parent of each connection, so a query of
 * `EVERY_CHECK_RUN_COMMITS_PER_QUERY` commits costs (commits × (1 + SUITES_FIRST)) / 100 points:
 * 4 points for 20 commits.
 */

export const EVERY_CHECK_RUN_COMMITS_PER_QUERY = 20;
const SUITES_FIRST = 20;
const RUNS_FIRST = 100;

const COMMIT_FRAGMENT = `fragment EveryCheckRunCommit on Commit {
  oid
  checkSuites(first: ${SUITES_FIRST}) {
    ${PAGE_INFO}
    nodes {
      databaseId
      app { databaseId slug }
      checkRuns(first: ${RUNS_FIRST}, filterBy: { checkType: ALL }) {
        ${PAGE_INFO}
        nodes { databaseId name status conclusion startedAt completedAt }
      }
    }
  }
}`;

/** The query for `commits` head commits: variables `owner`, `name`, `oid0`…; aliases `c0`…. */
export function everyCheckRunQuery(commits: number): string {
  const declarations = ['$owner: String!', '$name: String!'];
  const parts: string[] = [];
  for (let i = 0; i < commits; i++) {
    declarations.push(`$oid${i}: GitObjectID!`);
    parts.push(`c${i}: object(oid: $oid${i}) { ...EveryCheckRunCommit }`);
  }
  return `query EveryCheckRun(${declarations.join(', ')}) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    ${parts.join('\n    ')}
  }
}
${COMMIT_FRAGMENT}`;
}

const pageInfoSchema = z.object({ hasNextPage: z.boolean() });
const commitSchema = z
  .object({
    oid: z.string(),
    checkSuites: z.object({
      pageInfo: pageInfoSchema,
      nodes: z.array(
        z.object({
          databaseId: z.number().int().nullable(),
          app: z.object({ databaseId: z.number().int().nullable(), slug: z.string() }).nullable(),
          checkRuns: z.object({
            pageInfo: pageInfoSchema,
            nodes: z.array(
              z.object({
                databaseId: z.number().int().nullable(),
                name: z.string(),
                status: z.string(),
                conclusion: z.string().nullable(),
                startedAt: z.string().nullable(),
                completedAt: z.string().nullable(),
              }),
            ),
          }),
        }),
      ),
    }),
  })
  .nullable();

/**
 * The runs of commit `c<index>` as the evidence stores checks — the same fields a REST run gives
 * (`GET …/commits/{ref}/check-runs`): its id, its suite's id and app. Undefined when the answer
 * does not hold them all (more suites or runs than one page, a commit GitHub does not return, a
 * run or suite without an id): the caller then reads that commit through REST.
 */
export function everyCheckRunOf(answer: unknown, index: number): CheckData[] | undefined {
  const repository = (answer as { repository?: Record<string, unknown> } | null)?.repository;
  const parsed = commitSchema.safeParse(repository?.[`c${index}`] ?? null);
  if (!parsed.success || parsed.data === null) return undefined;
  const commit = parsed.data;
  if (commit.checkSuites.pageInfo.hasNextPage) return undefined;
  const runs: CheckData[] = [];
  for (const suite of commit.checkSuites.nodes) {
    if (suite.checkRuns.pageInfo.hasNextPage || suite.databaseId === null) return undefined;
    for (const run of suite.checkRuns.nodes) {
      if (run.databaseId === null) return undefined;
      const appId = suite.app?.databaseId ?? null;
      runs.push({
        name: run.name,
        kind: 'check_run',
        app: suite.app?.slug ?? null,
        ...(appId !== null ? { appId } : {}),
        suiteId: String(suite.databaseId),
        runId: run.databaseId,
        commitSha: commit.oid,
        status: run.status.toUpperCase(),
        conclusion: run.conclusion === null ? null : run.conclusion.toUpperCase(),
        startedAt: run.startedAt ? isoUtc(run.startedAt) : null,
        completedAt: run.completedAt ? isoUtc(run.completedAt) : null,
      });
    }
  }
  return runs;
}
