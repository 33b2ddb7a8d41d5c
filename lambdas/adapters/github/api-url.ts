import { InputError } from '../../errors.ts';

/** GitHub.com's REST API; GraphQL is then `https://api.github.com/graphql`. */
export const GITHUB_DOT_COM_API_URL = 'https://api.github.com';

/**
 * A GitHub API base URL, as a deployment names it: `https://api.github.com`, a GitHub
 * Enterprise Server's `https://HOST/api/v3` (its GraphQL endpoint is then `/api/graphql`,
 * which Octokit derives), or GitHub Enterprise Cloud with data residency
 * (`https://api.SUBDOMAIN.ghe.com`). Only https: the credential travels with every request.
 * Returns the URL without a trailing slash; `field` names the setting in the error.
 */
export function parseGitHubApiUrl(text: string, field: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch (error: unknown) {
    throw new InputError(field, `"${text}" is not a URL: ${EXAMPLES}`, { cause: error });
  }
  // First, and without repeating the text: it holds a password.
  if (url.username || url.password) {
    throw new InputError(field, 'must not carry a user name or password: the credential lives in the secret');
  }
  if (url.protocol !== 'https:') {
    throw new InputError(
      field,
      `"${text}" must use https (the GitHub credential is sent with every request)`,
    );
  }
  if (url.search || url.hash) {
    throw new InputError(field, `"${text}" must not have a query or fragment: ${EXAMPLES}`);
  }
  const host = url.hostname.toLowerCase();
  const path = url.pathname.replace(/\/+$/, '');
  if (host === 'github.com' || host === 'www.github.com') {
    throw new InputError(field, `"${text}" is the web site, not the API: use ${GITHUB_DOT_COM_API_URL}`);
  }
  const isCloud = host === 'api.github.com' || /^api\.[a-z0-9-]+\.ghe\.com$/.test(host);
  if (isCloud && path !== '') {
    throw new InputError(field, `"${text}": the API of ${host} has no path; use https://${host}`);
  }
  if (!isCloud && path !== '/api/v3') {
    throw new InputError(
      field,
      `"${text}": a GitHub Enterprise Server API is at https://HOST/api/v3 (e.g. https://${host}/api/v3)`,
    );
  }
  return `${url.origin}${path}`;
}

const EXAMPLES = `use ${GITHUB_DOT_COM_API_URL}, or https://HOST/api/v3 for GitHub Enterprise Server`;
