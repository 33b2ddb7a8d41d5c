import { createGitHubClient, type GitHubClient } from '../adapters/github/client.ts';
import { githubAuthFromEnv } from '../adapters/github/credentials.ts';

export type { GitHubClient };
export { githubAuthFromEnv };

/**
 * A GitHub client for the collection use-cases on one machine: signed in with a token or a
 * GitHub App from the environment (`GITHUB_TOKEN`, `GITHUB_APP_*`), or with the token given (the
 * local emulator's). `onWait` hears each rate-limit wait, with its reason and length.
 */
export async function connectGitHub(options: {
  readonly baseUrl: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly token?: string;
  readonly onWait?: (text: string) => void;
}): Promise<GitHubClient> {
  const auth =
    options.token !== undefined
      ? { kind: 'token' as const, token: options.token }
      : await githubAuthFromEnv(options.env ?? process.env);
  return createGitHubClient({
    baseUrl: options.baseUrl,
    auth,
    onProgress: (event) => {
      if (event.type !== 'retry')
        options.onWait?.(`GitHub ${event.type}: waiting ${event.retryAfterSeconds}s`);
    },
  });
}
