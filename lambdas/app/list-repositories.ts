import type { GitHubClient } from '../adapters/github/client.ts';
import { resolveRepositories } from '../collect/repositories.ts';

/**
 * The repositories a collection covers, as `org/name`: the first step of the Lambda fan-out,
 * and the same rule `collect` applies on the command line (`REPOSITORY_RULE`: archived, forks
 * and disabled repositories included). Named repositories must exist.
 */
export async function listRepositories(
  deps: { readonly github: GitHubClient; readonly org: string },
  request: { readonly repos?: readonly string[] } = {},
): Promise<string[]> {
  const repos = await resolveRepositories(deps.github, deps.org, request.repos);
  return repos.map((repo) => repo.fullName);
}
