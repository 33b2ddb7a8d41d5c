import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/server.ts';
import {
  createGitHubClient,
  GitHubAuthError,
  type GitHubClientEvent,
  GitHubForbiddenError,
  GitHubNotFoundError,
  GitHubRateLimitError,
} from '../../lambdas/adapters/github/client.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';

/**
 * The GitHub client over real HTTP: conditional requests, Link paging, typed errors, rate limits.
 * Behaviours the emulator does not model (ETags, a plain 403) are served by a small local server.
 */

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(status === 304 ? undefined : JSON.stringify(body));
}

describe('GitHub client against a local server', () => {
  let url: string;
  let server: Server;
  const seen: { path: string; ifNoneMatch: string | undefined; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    ({ url, server } = await serve((request, response) => {
      const path = request.url ?? '/';
      seen.push({
        path,
        ifNoneMatch: request.headers['if-none-match'] as string | undefined,
        authorization: request.headers.authorization,
      });
      if (path === '/user') return json(response, 200, { login: 'auditor' });
      if (path === '/repos/acme/api') {
        if (request.headers['if-none-match'] === '"v1"') return json(response, 304, null, { etag: '"v1"' });
        return json(response, 200, { name: 'api', default_branch: 'main' }, { etag: '"v1"' });
      }
      if (path.startsWith('/items')) {
        const page = Number(new URL(path, url).searchParams.get('page') ?? '1');
        const next: Record<string, string> =
          page < 3 ? { link: `<${url}/items?per_page=2&page=${page + 1}>; rel="next"` } : {};
        return json(response, 200, { total_count: 6, items: [page * 10 + 1, page * 10 + 2] }, next);
      }
      if (path === '/orgs/acme/audit-log')
        return json(response, 403, { message: 'Resource not accessible by integration' });
      if (path === '/repos/acme/missing') return json(response, 404, { message: 'Not Found' });
      return json(response, 401, { message: 'Bad credentials' });
    }));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers a repeated GET from its ETag cache when GitHub says 304, without counting it', async () => {
    const github = createGitHubClient({ baseUrl: url, auth: { kind: 'token', token: 'ghp_secret' } });
    const first = await github.rest<{ default_branch: string }>('GET /repos/{owner}/{repo}', {
      owner: 'acme',
      repo: 'api',
    });
    const second = await github.rest<{ default_branch: string }>('GET /repos/{owner}/{repo}', {
      owner: 'acme',
      repo: 'api',
    });
    expect(second.data.default_branch).toBe(first.data.default_branch);
    expect(seen.filter((r) => r.path === '/repos/acme/api').map((r) => r.ifNoneMatch)).toEqual([
      undefined,
      '"v1"',
    ]);
    expect(github.cost).toMatchObject({ requests: 1, notModified: 1 });
  });

  it('follows Link headers and unwraps a wrapped list', async () => {
    const github = createGitHubClient({ baseUrl: url, auth: { kind: 'token', token: 'ghp_secret' } });
    expect(await github.paginate<number>('GET /items', { per_page: 2 })).toEqual([11, 12, 21, 22, 31, 32]);
  });

  it('maps 401, 403 and 404 to typed errors that never carry the token', async () => {
    const github = createGitHubClient({ baseUrl: url, auth: { kind: 'token', token: 'tkn-verysecret123' } });
    const denied = await github
      .rest('GET /repos/{owner}/{repo}/branches', { owner: 'x', repo: 'y' })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(GitHubAuthError);
    expect((denied as Error).message).toContain('GITHUB_TOKEN');
    expect((denied as Error).message).not.toContain('tkn-verysecret123');
    expect(JSON.stringify((denied as Error & { cause?: unknown }).cause ?? '')).not.toContain(
      'tkn-verysecret123',
    );
    await expect(github.rest('GET /orgs/{org}/audit-log', { org: 'acme' })).rejects.toBeInstanceOf(
      GitHubForbiddenError,
    );
    await expect(
      github.rest('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'missing' }),
    ).rejects.toBeInstanceOf(GitHubNotFoundError);
    expect(seen.at(-1)?.authorization).toBe('token tkn-verysecret123');
  });

  it('caches the identity', async () => {
    const github = createGitHubClient({ baseUrl: url, auth: { kind: 'token', token: 'ghp_secret' } });
    const before = seen.filter((r) => r.path === '/user').length;
    expect(await github.identity()).toBe('auditor');
    expect(await github.identity()).toBe('auditor');
    expect(seen.filter((r) => r.path === '/user').length - before).toBe(1);
  });
});

describe('GitHub client against the emulator’s rate limits', () => {
  it('waits out secondary and primary limits and 502s, then succeeds, telling its caller', async () => {
    const emulator = await startEmulator({ world: new WorldBuilder().build(), port: 0 });
    try {
      const events: GitHubClientEvent[] = [];
      const github = createGitHubClient({
        baseUrl: emulator.url,
        auth: { kind: 'token', token: emulator.token },
        retryAfterBaseMs: 10,
        onProgress: (event) => events.push(event),
      });
      emulator.failNext(1, 'secondary');
      emulator.failNext(1, 'primary');
      emulator.failNext(1, '502');
      const answer = await github.graphql<{ viewer: { login: string }; rateLimit: { cost: number } }>(
        'query Who { viewer { login } rateLimit { cost } }',
      );
      expect(answer.viewer.login).toBe('octocat-emulator');
      expect(events.map((event) => event.type)).toEqual(['secondary-limit', 'rate-limit', 'retry']);
      expect(github.cost.requests).toBe(4);
      expect(github.cost.graphqlPoints).toBe(answer.rateLimit.cost);
    } finally {
      await emulator.close();
    }
  });

  it('gives up after the bounded retries with GitHubRateLimitError', async () => {
    const emulator = await startEmulator({ world: new WorldBuilder().build(), port: 0 });
    try {
      const github = createGitHubClient({
        baseUrl: emulator.url,
        auth: { kind: 'token', token: emulator.token },
        retries: 2,
        retryAfterBaseMs: 1,
      });
      emulator.failNext(5, 'secondary');
      await expect(
        github.rest('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'x' }),
      ).rejects.toBeInstanceOf(GitHubRateLimitError);
    } finally {
      await emulator.close();
    }
  });
});

describe('GitHub client as a GitHub App installation', () => {
  it('signs a JWT for the app, trades it for an installation token, and names itself app/<slug>', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const seen: { method: string; path: string; authorization: string }[] = [];
    const { url, server } = await serve((request, response) => {
      const path = request.url ?? '/';
      const authorization = String(request.headers.authorization ?? '');
      seen.push({ method: request.method ?? 'GET', path, authorization });
      const jwt = /^bearer [\w-]+\.[\w-]+\.[\w-]+$/i.test(authorization);
      if (request.method === 'POST' && path === '/app/installations/42/access_tokens' && jwt) {
        return json(response, 201, {
          token: 'ghs_installation',
          expires_at: '2099-01-01T00:00:00Z',
          permissions: {},
        });
      }
      if (path === '/app' && jwt) return json(response, 200, { slug: 'cm01-evidence', id: 7 });
      if (path === '/repos/acme/api' && authorization === 'token ghs_installation') {
        return json(response, 200, { name: 'api', default_branch: 'main' });
      }
      return json(response, 401, { message: 'Bad credentials' });
    });
    try {
      const github = createGitHubClient({
        baseUrl: url,
        auth: {
          kind: 'app',
          appId: '7',
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          installationId: 42,
        },
      });
      expect(await github.identity()).toBe('app/cm01-evidence');
      const repo = await github.rest<{ default_branch: string }>('GET /repos/{owner}/{repo}', {
        owner: 'acme',
        repo: 'api',
      });
      expect(repo.data.default_branch).toBe('main');
      expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET /app',
        'POST /app/installations/42/access_tokens',
        'GET /repos/acme/api',
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
