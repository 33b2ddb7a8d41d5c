import { type GitHubClient, GitHubNotFoundError } from '../adapters/github/client.ts';
import { parseRepositories, parseRepository } from '../adapters/github/parse-repositories.ts';
import { InputError, malformedInput } from '../errors.ts';
import type { RepoRef } from './context.ts';

/**
 * Which repositories a collection covers — the one rule both the command line and the Lambda
 * fan-out apply.
 *
 * The population is every change that reached a protected default branch in the period, so
 * every repository of the organisation is in it: archived ones (archived after changes reached
 * them that month), forks (their default branch is the organisation's as much as any other) and
 * repositories GitHub has disabled (a read that fails is then a named collection failure, never
 * a silent omission). Only a repository without a default branch is left out: nothing can have
 * reached it.
 */
export const REPOSITORY_RULE =
  'every repository of the organisation, archived, forks and disabled included; only a repository without a default branch is left out';

const REPO_NAME = /^[A-Za-z0-9_.-]+$/;

/** Every named repository must exist before anything is written; default the organisation's. */
export async function resolveRepositories(
  github: GitHubClient,
  org: string,
  names: readonly string[] | undefined,
): Promise<RepoRef[]> {
  if (names === undefined) {
    const listed = parseRepositories(
      await github.paginate<unknown>('GET /orgs/{org}/repos', { org, type: 'all', per_page: 100 }),
    );
    return listed
      .filter((repo) => repo.default_branch !== undefined)
      .map((repo) => ({
        owner: org,
        name: repo.name,
        fullName: `${org}/${repo.name}`,
        defaultBranch: repo.default_branch as string,
        ...(repo.fork ? { fork: true } : {}),
      }))
      .sort((a, b) => a.fullName.localeCompare(b.fullName));
  }
  if (names.length === 0) throw malformedInput('repos', 'no repository named');
  const repos: RepoRef[] = [];
  for (const input of names) {
    const parts = input.split('/');
    const [owner, name] = parts.length === 2 ? parts : [org, parts[0]];
    if (parts.length > 2 || !owner || !name || !REPO_NAME.test(name)) {
      throw malformedInput('repos', `"${input}" is not a repository name (name or ${org}/name)`);
    }
    if (owner.toLowerCase() !== org.toLowerCase()) {
      throw malformedInput('repos', `"${input}" is not in the organisation ${org}`);
    }
    try {
      const answer = parseRepository(
        (await github.rest<unknown>('GET /repos/{owner}/{repo}', { owner: org, repo: name })).data,
      );
      if (!answer.default_branch) throw new InputError('repos', `${org}/${name} has no default branch`);
      repos.push({
        owner: org,
        name: answer.name,
        fullName: `${org}/${answer.name}`,
        defaultBranch: answer.default_branch,
        ...(answer.fork ? { fork: true } : {}),
      });
    } catch (error) {
      if (error instanceof GitHubNotFoundError) {
        throw new InputError('repos', `unknown repository ${org}/${name}`, { cause: error });
      }
      throw error;
    }
  }
  return repos;
}
