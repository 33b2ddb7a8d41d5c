import { createSign, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../emulator/generate-world.ts';
import type { EmulatedApp } from '../../emulator/rest/app-auth.ts';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { parseWorld } from '../../emulator/world.ts';
import { createGitHubClient, GitHubAuthError } from '../../lambdas/adapters/github/client.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { collect } from '../../lambdas/collect/collect.ts';
import { monthWindow } from '../../lambdas/core/window.ts';

/**
 * GitHub App sign-in over real HTTP: the emulator checks the App's JWT as GitHub does and hands
 * out expiring installation tokens; the client signs in with `@octokit/auth-app`, renews a
 * token before it expires and after a 401, and reads the installation's higher limit from the
 * headers. The App's RSA key is made here, at test time; no private key is committed.
 */

const APP_ID = 424242;
const INSTALLATION_ID = 77;
const INSTALLATION_LIMIT = 15_000;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

const world = parseWorld(
  generateWorld({ seed: 7, repos: 3, pullRequests: 45, now: '2026-11-01T06:00:00Z', days: 31 }),
);

function app(overrides: Partial<EmulatedApp> = {}): EmulatedApp {
  return {
    id: APP_ID,
    clientId: 'Iv23liEmulatorClient',
    slug: 'cm01-evidence',
    publicKey: publicPem,
    installationId: INSTALLATION_ID,
    ...overrides,
  };
}

function jwt(
  claims: Record<string, unknown>,
  options: { key?: typeof privateKey; alg?: string } = {},
): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: options.alg ?? 'RS256', typ: 'JWT' })}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256')
    .update(signingInput)
    .sign(options.key ?? privateKey)
    .toString('base64url');
  return `${signingInput}.${signature}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const goodClaims = () => ({ iat: nowSeconds() - 60, exp: nowSeconds() + 540, iss: APP_ID });

async function call(emulator: Emulator, method: string, path: string, token: string) {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' },
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('emulator: GitHub App sign-in', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      world,
      app: app({ tokenLifetimeSeconds: 2 }),
      installationRateLimits: { core: INSTALLATION_LIMIT },
    });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('serves the App, its installation and an expiring token to a good JWT (iss = id or client id)', async () => {
    const me = await call(emulator, 'GET', '/app', jwt(goodClaims()));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: APP_ID, slug: 'cm01-evidence', client_id: 'Iv23liEmulatorClient' });
    const byClientId = jwt({ ...goodClaims(), iss: 'Iv23liEmulatorClient' });
    const installation = await call(emulator, 'GET', `/orgs/${world.org}/installation`, byClientId);
    expect(installation.status).toBe(200);
    expect(installation.body).toMatchObject({
      id: INSTALLATION_ID,
      app_id: APP_ID,
      target_type: 'Organization',
    });
    expect((await call(emulator, 'GET', `/app/installations/${INSTALLATION_ID}`, byClientId)).status).toBe(
      200,
    );
    expect((await call(emulator, 'GET', '/orgs/someone-else/installation', byClientId)).status).toBe(404);

    const issued = await call(
      emulator,
      'POST',
      `/app/installations/${INSTALLATION_ID}/access_tokens`,
      byClientId,
    );
    expect(issued.status).toBe(201);
    const expiresAt = Date.parse(issued.body.expires_at as string);
    expect(expiresAt - Date.now()).toBeGreaterThan(0);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(2_000);
    expect(issued.body).toMatchObject({ repository_selection: 'all', permissions: { contents: 'read' } });

    // The token works as `<slug>[bot]`, with the installation's limit in the headers.
    const token = issued.body.token as string;
    const repos = await call(emulator, 'GET', `/orgs/${world.org}/repos`, token);
    expect(repos.status).toBe(200);
    expect(repos.headers.get('x-ratelimit-limit')).toBe(String(INSTALLATION_LIMIT));
    // A JWT does not open anything but the App's own endpoints.
    expect((await call(emulator, 'GET', `/orgs/${world.org}/repos`, jwt(goodClaims()))).status).toBe(403);

    // …and is refused once expired.
    await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 50));
    const late = await call(emulator, 'GET', `/orgs/${world.org}/repos`, token);
    expect(late.status).toBe(401);
    expect(late.body.message).toBe('Bad credentials');
  });

  it.each([
    ['signed with another key', () => jwt(goodClaims(), { key: otherKey }), 'could not be decoded'],
    ['not RS256', () => jwt(goodClaims(), { alg: 'HS256' }), 'could not be decoded'],
    ['unsigned', () => `${jwt(goodClaims()).split('.').slice(0, 2).join('.')}.`, 'could not be decoded'],
    ['another App as issuer', () => jwt({ ...goodClaims(), iss: APP_ID + 1 }), "'Issuer' claim"],
    ['expired', () => jwt({ iat: nowSeconds() - 700, exp: nowSeconds() - 100, iss: APP_ID }), "'exp'"],
    [
      'exp more than 10 minutes ahead',
      () => jwt({ iat: nowSeconds(), exp: nowSeconds() + 3600, iss: APP_ID }),
      'too far',
    ],
    [
      'issued in the future',
      () => jwt({ iat: nowSeconds() + 300, exp: nowSeconds() + 500, iss: APP_ID }),
      "'iat'",
    ],
    ['not a JWT at all', () => 'not-a-jwt', ''],
  ])('refuses a JWT %s with 401', async (_what, make, message) => {
    const answer = await call(
      emulator,
      'POST',
      `/app/installations/${INSTALLATION_ID}/access_tokens`,
      make(),
    );
    expect(answer.status).toBe(401);
    expect(String(answer.body.message)).toContain(message);
  });

  it('allows a minute of clock drift, as GitHub does', async () => {
    const drifted = jwt({ iat: nowSeconds() + 30, exp: nowSeconds() + 600, iss: APP_ID });
    expect((await call(emulator, 'GET', '/app', drifted)).status).toBe(200);
  });
});

describe('GitHub client signed in as an App', () => {
  it('renews an installation token before it expires, without a 401', async () => {
    const emulator = await startEmulator({ world, app: app({ tokenLifetimeSeconds: 2 }) });
    try {
      const github = createGitHubClient({
        baseUrl: emulator.url,
        auth: { kind: 'app', appId: String(APP_ID), privateKey: privatePem, installationId: INSTALLATION_ID },
      });
      expect(await github.identity()).toBe('app/cm01-evidence');
      await github.rest('GET /orgs/{org}/repos', { org: world.org });
      await new Promise((resolve) => setTimeout(resolve, 1_700));
      await github.rest('GET /orgs/{org}/repos', { org: world.org, per_page: 2 });
      const log = emulator.requestLog.map((entry) => `${entry.status} ${entry.method} ${entry.path}`);
      expect(log.filter((line) => line.includes('/access_tokens'))).toHaveLength(2);
      expect(log.filter((line) => line.startsWith('401'))).toEqual([]);
    } finally {
      await emulator.close();
    }
  });

  it('signs in with the client id in place of the App id', async () => {
    const emulator = await startEmulator({ world, app: app() });
    try {
      const github = createGitHubClient({
        baseUrl: emulator.url,
        auth: {
          kind: 'app',
          appId: 'Iv23liEmulatorClient',
          privateKey: privatePem,
          installationId: INSTALLATION_ID,
        },
      });
      expect(await github.identity()).toBe('app/cm01-evidence');
      expect((await github.rest<unknown[]>('GET /orgs/{org}/repos', { org: world.org })).data.length).toBe(3);
    } finally {
      await emulator.close();
    }
  });

  it('fails with GitHubAuthError, naming the App settings, when the key is not the App’s', async () => {
    const emulator = await startEmulator({ world, app: app() });
    try {
      const github = createGitHubClient({
        baseUrl: emulator.url,
        auth: {
          kind: 'app',
          appId: String(APP_ID),
          privateKey: otherKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          installationId: INSTALLATION_ID,
        },
      });
      const error = await github.rest('GET /orgs/{org}/repos', { org: world.org }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitHubAuthError);
      expect((error as Error).message).toContain('GitHub App settings');
    } finally {
      await emulator.close();
    }
  });

  it('collects a month as an App, its token revoked twice mid-run and renewed, the same evidence as with a token', async () => {
    const window = monthWindow('2026-10');
    const run = async (asApp: boolean) => {
      const emulator = await startEmulator({
        world,
        app: app(),
        installationRateLimits: { core: INSTALLATION_LIMIT, graphql: 10_000 },
      });
      const dir = await mkdtemp(join(tmpdir(), 'cm01-app-'));
      let requests = 0;
      const limits = new Set<string>();
      try {
        const github = createGitHubClient({
          baseUrl: emulator.url,
          auth: asApp
            ? { kind: 'app', appId: String(APP_ID), privateKey: privatePem, installationId: INSTALLATION_ID }
            : { kind: 'token', token: emulator.token },
          retryAfterBaseMs: 5,
          fetch: async (input, init) => {
            requests += 1;
            // GitHub may end a token before `expires_at` (revoked, or the App's key rotated).
            if (requests === 15 || requests === 40) emulator.expireInstallationTokens();
            const response = await fetch(input, init);
            const limit = response.headers.get('x-ratelimit-limit');
            if (limit && !String(input).includes('/app'))
              limits.add(`${response.headers.get('x-ratelimit-resource')}:${limit}`);
            return response;
          },
        });
        const { store, index } = await openStore(`local:${dir}`);
        const summary = await collect(
          { store, index, github, org: world.org, clock: () => new Date(world.now) },
          { window },
        );
        const log = emulator.requestLog;
        return {
          summary,
          limits,
          tokensIssued: log.filter((entry) => entry.path.endsWith('/access_tokens')).length,
          refused: log.filter((entry) => entry.status === 401).length,
        };
      } finally {
        await emulator.close();
        await rm(dir, { recursive: true, force: true });
      }
    };
    const asToken = await run(false);
    const asApp = await run(true);
    expect(asApp.summary.status).toBe('succeeded');
    expect(asApp.summary.errors).toEqual([]);
    expect(asApp.summary.counts).toEqual(asToken.summary.counts);
    expect(asApp.summary.counts['pull-request']).toBeGreaterThan(0);
    // Two revocations, each refusing the requests then in flight, each answered by one new
    // token shared by them all (three in all).
    expect(asApp.refused).toBeGreaterThanOrEqual(2);
    expect(asApp.tokensIssued).toBe(3);
    expect(asToken.refused).toBe(0);
    // The installation's limits come from GitHub's headers, not the user's 5,000.
    expect([...asApp.limits].sort()).toEqual([`core:${INSTALLATION_LIMIT}`, 'graphql:10000']);
    expect([...asToken.limits].sort()).toEqual(['core:5000', 'graphql:5000']);
  });
});
