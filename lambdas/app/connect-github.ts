import { createGitHubClient, describeBucket, type GitHubClient } from '../adapters/github/client.ts';
import { githubAuthFromEnv } from '../adapters/github/credentials.ts';

export type { GitHubClient };
export { githubAuthFromEnv };

/** A wait for one of GitHub's rate limits, as a person should be told of it. */
export interface GitHubWait {
  readonly kind: 'rate-limit' | 'secondary-limit';
  /** Why, in words: which budget ran out, its limit as GitHub's headers give it. */
  readonly reason: string;
  readonly seconds: number;
  /** When the wait ends (ISO-8601 UTC). */
  readonly until: string;
}

/**
 * A GitHub client for the collection use-cases on one machine: signed in with a token or a
 * GitHub App from the environment (`GITHUB_TOKEN`, `GITHUB_APP_*`), or with the token given (the
 * local emulator's). On one machine a run whose budget runs out waits for the reset; `onWait`
 * hears each wait, with its reason and length, so that the command line can show it.
 */
export async function connectGitHub(options: {
  readonly baseUrl: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly token?: string;
  readonly onWait?: (wait: GitHubWait) => void;
}): Promise<GitHubClient> {
  const auth =
    options.token !== undefined
      ? { kind: 'token' as const, token: options.token }
      : await githubAuthFromEnv(options.env ?? process.env);
  return createGitHubClient({
    baseUrl: options.baseUrl,
    auth,
    onProgress: (event) => {
      if (event.type === 'retry' || !event.willRetry) return;
      const reason =
        event.type === 'secondary-limit'
          ? "GitHub's secondary rate limit (too many requests in a short time) asks to wait"
          : event.budget
            ? `GitHub's ${describeBucket(event.budget)} is used up (${event.budget.used.toLocaleString('en-US')} used; the limit as GitHub's headers give it)`
            : "GitHub's rate limit is used up";
      options.onWait?.({
        kind: event.type,
        reason,
        seconds: event.retryAfterSeconds,
        until: new Date(Date.now() + event.retryAfterSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
    },
  });
}
