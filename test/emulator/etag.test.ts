import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { createGitHubClient } from '../../lambdas/adapters/github/client.ts';
import { WorldBuilder } from './world-builder.ts';

/** Conditional requests over real HTTP: GitHub's ETag, 304 and the free-of-charge rule. */

const NOW = '2026-11-01T06:00:00Z';

function world() {
  const builder = new WorldBuilder({ now: NOW, plan: 'enterprise' });
  builder.user('alice');
  const repo = builder.repo('payments-api');
  for (let i = 0; i < 5; i++)
    repo.mergePullRequest({ author: 'alice', mergedAt: `2026-10-0${i + 1}T10:00:00Z` });
  return builder.build();
}

async function get(emulator: Emulator, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${emulator.url}${path}`, {
    headers: { authorization: `token ${emulator.token}`, ...headers },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('emulator: ETag and 304 as GitHub answers them', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ world: world() });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('sends a strong ETag on a GET, and Last-Modified on a single resource', async () => {
    const repo = await get(emulator, '/repos/acme/payments-api');
    expect(repo.status).toBe(200);
    expect(repo.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    expect(Date.parse(repo.headers.get('last-modified') ?? '')).not.toBeNaN();
    const list = await get(emulator, '/repos/acme/payments-api/commits?per_page=2');
    expect(list.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);
    // Another page is another representation, so another ETag.
    const page2 = await get(emulator, '/repos/acme/payments-api/commits?per_page=2&page=2');
    expect(page2.headers.get('etag')).not.toBe(list.headers.get('etag'));
  });

  it('answers a matching If-None-Match with an empty 304 that costs nothing', async () => {
    const first = await get(emulator, '/repos/acme/payments-api/commits?per_page=3');
    const etag = first.headers.get('etag') as string;
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));
    const second = await get(emulator, '/repos/acme/payments-api/commits?per_page=3', {
      'if-none-match': etag,
    });
    expect(second.status).toBe(304);
    expect(second.text).toBe('');
    expect(second.headers.get('etag')).toBe(etag);
    expect(Number(second.headers.get('x-ratelimit-remaining'))).toBe(remaining);
    // Weak form of the same tag matches too (GET uses weak comparison).
    const weak = await get(emulator, '/repos/acme/payments-api/commits?per_page=3', {
      'if-none-match': `W/${etag}`,
    });
    expect(weak.status).toBe(304);
    // A stale tag is a full, charged answer.
    const stale = await get(emulator, '/repos/acme/payments-api/commits?per_page=3', {
      'if-none-match': '"0000"',
    });
    expect(stale.status).toBe(200);
    expect(JSON.parse(stale.text)).toEqual(JSON.parse(first.text));
    expect(Number(stale.headers.get('x-ratelimit-remaining'))).toBe(remaining - 1);
  });

  it('answers If-Modified-Since from Last-Modified when no ETag is sent', async () => {
    const first = await get(emulator, '/repos/acme/payments-api');
    const lastModified = first.headers.get('last-modified') as string;
    expect(
      (await get(emulator, '/repos/acme/payments-api', { 'if-modified-since': lastModified })).status,
    ).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await get(emulator, '/repos/acme/payments-api', { 'if-modified-since': earlier })).status).toBe(
      200,
    );
  });

  it('gives errors no ETag and never a 304', async () => {
    const missing = await get(emulator, '/repos/acme/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
    expect((await get(emulator, '/repos/acme/nope', { 'if-none-match': '*' })).status).toBe(404);
  });

  it('the GitHub client sends If-None-Match, serves the cached body on 304 and counts it as free', async () => {
    const github = createGitHubClient({
      baseUrl: emulator.url,
      auth: { kind: 'token', token: emulator.token },
    });
    const route = 'GET /repos/{owner}/{repo}/commits';
    const params = { owner: 'acme', repo: 'payments-api', per_page: 100 };
    const first = await github.rest<{ sha: string }[]>(route, params);
    const logged = emulator.requestLog.length;
    const second = await github.rest<{ sha: string }[]>(route, params);
    expect(emulator.requestLog.slice(logged).map((entry) => entry.status)).toEqual([304]);
    expect(second.status).toBe(200);
    expect(second.data).toEqual(first.data);
    expect(second.data.length).toBeGreaterThan(0);
    // Budget unchanged, and the headers handed back are the 304's current ones.
    expect(second.headers['x-ratelimit-remaining']).toBe(first.headers['x-ratelimit-remaining']);
    expect(github.cost).toMatchObject({ requests: 1, notModified: 1 });
    // Paging follows Link URLs, which are cached the same way.
    const paged = await github.paginate<{ sha: string }>(route, { ...params, per_page: 2 });
    const again = await github.paginate<{ sha: string }>(route, { ...params, per_page: 2 });
    expect(again).toEqual(paged);
    const pages = Math.ceil(paged.length / 2);
    expect(github.cost).toMatchObject({ requests: 1 + pages, notModified: 1 + pages });
  });
});
