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

/** Read CODEOWNERS and the presence of a root `cdk.json`; undefined (with a gap) when the token may not read contents. */
export async function readDefaultBranchFiles(
  ctx: CollectContext,
  repo: RepoRef,
): Promise<DefaultBranchFiles | undefined> {
  try {
    let codeowners: DefaultBranchFiles['codeowners'] = null;
    for (const path of CODEOWNERS_LOCATIONS) {
      const text = await readFile(ctx, repo, path);
      if (text !== undefined) {
        codeowners = { path, text };
        break;
      }
    }
    const cdkJson = await readFile(ctx, repo, 'cdk.json');
    return { codeowners, cdkJsonAtRoot: cdkJson !== undefined };
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
