import { z } from 'zod';
import { GitHubForbiddenError, GitHubNotFoundError } from '../adapters/github/client.ts';
import type { DefaultBranchFiles } from '../evidence/documents.ts';
import type { CollectContext, RepoRef } from './context.ts';

/**
 * The files of a repository's default branch that decide which paths need a specialist: its
 * CODEOWNERS (in GitHub's search order) and whether a `cdk.json` sits at its root (a CDK app, so
 * `lib/**` is infrastructure). Read as stored, no policy applied.
 */

export const CONTENTS_ROUTE = 'GET /repos/{owner}/{repo}/contents/{path}';

/** Where GitHub looks for CODEOWNERS, in its order: the first one found is the one it uses. */
export const CODEOWNERS_LOCATIONS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'] as const;

const fileAnswerSchema = z.object({
  type: z.literal('file'),
  path: z.string(),
  encoding: z.string().optional(),
  content: z.string().optional(),
});

/** The text of a file on the default branch; undefined when it does not exist. */
async function readFile(ctx: CollectContext, repo: RepoRef, path: string): Promise<string | undefined> {
  try {
    const answer = fileAnswerSchema.parse(
      (
        await ctx.github.rest<unknown>(CONTENTS_ROUTE, {
          owner: repo.owner,
          repo: repo.name,
          path,
          ref: repo.defaultBranch,
        })
      ).data,
    );
    const content = answer.content ?? '';
    return answer.encoding === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : content;
  } catch (error) {
    if (error instanceof GitHubNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Every candidate file in one GraphQL query (`object(expression: "<branch>:<path>")`): one request
 * where REST needs one per path, a missing one (404, which counts against the limit) included.
 */
export const DEFAULT_BRANCH_FILES_QUERY = `query DefaultBranchFiles($owner: String!, $name: String!, $f0: String!, $f1: String!, $f2: String!, $cdk: String!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    f0: object(expression: $f0) { __typename ... on Blob { text isBinary isTruncated } }
    f1: object(expression: $f1) { __typename ... on Blob { text isBinary isTruncated } }
    f2: object(expression: $f2) { __typename ... on Blob { text isBinary isTruncated } }
    cdk: object(expression: $cdk) { __typename }
  }
}`;

const blobSchema = z
  .object({
    __typename: z.string(),
    text: z.string().nullable().optional(),
    isBinary: z.boolean().nullable().optional(),
    isTruncated: z.boolean().optional(),
  })
  .nullable();

const filesAnswerSchema = z.object({
  repository: z.object({ f0: blobSchema, f1: blobSchema, f2: blobSchema, cdk: blobSchema }),
});

async function readFiles(ctx: CollectContext, repo: RepoRef): Promise<DefaultBranchFiles> {
  const expression = (path: string) => `${repo.defaultBranch}:${path}`;
  const answer = filesAnswerSchema.parse(
    await ctx.github.graphql<unknown>(DEFAULT_BRANCH_FILES_QUERY, {
      owner: repo.owner,
      name: repo.name,
      f0: expression(CODEOWNERS_LOCATIONS[0]),
      f1: expression(CODEOWNERS_LOCATIONS[1]),
      f2: expression(CODEOWNERS_LOCATIONS[2]),
      cdk: expression('cdk.json'),
    }),
  ).repository;
  let codeowners: DefaultBranchFiles['codeowners'] = null;
  for (const [i, path] of CODEOWNERS_LOCATIONS.entries()) {
    const blob = [answer.f0, answer.f1, answer.f2][i];
    if (blob?.__typename !== 'Blob') continue;
    // GraphQL leaves out the text of a binary or very large file: then read it whole through REST.
    const text =
      typeof blob.text === 'string' && !blob.isTruncated ? blob.text : await readFile(ctx, repo, path);
    if (text !== undefined) {
      codeowners = { path, text };
      break;
    }
  }
  return { codeowners, cdkJsonAtRoot: answer.cdk !== null };
}

/** Read CODEOWNERS and the presence of a root `cdk.json`; undefined (with a gap) when the token may not read contents. */
export async function readDefaultBranchFiles(
  ctx: CollectContext,
  repo: RepoRef,
): Promise<DefaultBranchFiles | undefined> {
  try {
    return await readFiles(ctx, repo);
  } catch (error) {
    if (!(error instanceof GitHubForbiddenError)) throw error;
    ctx.recordGap({
      withholds: 'default-branch-files',
      repo: repo.fullName,
      reason: `CODEOWNERS and cdk.json could not be read: ${error.message}`,
    });
    return undefined;
  }
}
