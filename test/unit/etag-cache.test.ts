import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalEvidenceIndex } from '../../lambdas/adapters/local-index.ts';
import { ETAG_CACHE_COLLECTOR, IndexEtagCache, MAX_ROW_BYTES } from '../../lambdas/collect/etag-cache.ts';

const BASE = 'https://api.github.com';
const dirs: string[] = [];

async function freshIndex(): Promise<LocalEvidenceIndex> {
  const dir = await mkdtemp(join(tmpdir(), 'cm01-etags-'));
  dirs.push(dir);
  return new LocalEvidenceIndex({ dir });
}

function answer(etag: string, data: unknown) {
  return { etag, status: 200, data, headers: {}, url: '' };
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('the persistent ETag cache', () => {
  it('gives a new run (a new cache object) the answers of the last, per repository row', async () => {
    const index = await freshIndex();
    const first = new IndexEtagCache(index, { identity: 'octocat', baseUrl: BASE, org: 'acme' });
    first.set(`${BASE}/repos/acme/api/branches/main`, answer('"a"', { name: 'main' }));
    first.set(`${BASE}/orgs/acme/repos?per_page=100`, answer('"b"', [{ name: 'api' }]));
    expect(await first.flush('2026-11-01T06:00:00Z')).toBe(2);

    const next = new IndexEtagCache(index, { identity: 'octocat', baseUrl: BASE, org: 'acme' });
    expect((await next.get(`${BASE}/repos/acme/api/branches/main`))?.data).toEqual({ name: 'main' });
    expect((await index.getCursor(ETAG_CACHE_COLLECTOR, 'acme/api'))?.position).toBeDefined();
    expect((await index.getCursor(ETAG_CACHE_COLLECTOR, 'acme'))?.position).toBeDefined();
    // Confirmed unchanged (same ETag): nothing to write.
    next.set(`${BASE}/repos/acme/api/branches/main`, answer('"a"', { name: 'main' }));
    expect(await next.flush('2026-11-02T06:00:00Z')).toBe(0);
  });

  it('ignores what was kept for another credential', async () => {
    const index = await freshIndex();
    const mine = new IndexEtagCache(index, { identity: 'octocat', baseUrl: BASE, org: 'acme' });
    mine.set(`${BASE}/repos/acme/api/rules/branches/main`, answer('"r"', []));
    await mine.flush('2026-11-01T06:00:00Z');
    const theirs = new IndexEtagCache(index, { identity: 'app/other', baseUrl: BASE, org: 'acme' });
    expect(await theirs.get(`${BASE}/repos/acme/api/rules/branches/main`)).toBeUndefined();
  });

  it('keeps a row within a DynamoDB item by leaving out the largest answers', async () => {
    const index = await freshIndex();
    const cache = new IndexEtagCache(index, { identity: 'octocat', baseUrl: BASE, org: 'acme' });
    // Incompressible bodies: 40 × 20 KB cannot fit in 300,000 characters.
    for (let i = 0; i < 40; i++) {
      cache.set(
        `${BASE}/repos/acme/api/activity?page=${i}`,
        answer(`"${i}"`, randomBytes(15_000 + i).toString('base64')),
      );
    }
    cache.set(`${BASE}/repos/acme/api/branches/main`, answer('"small"', { name: 'main' }));
    await cache.flush('2026-11-01T06:00:00Z');
    const row = await index.getCursor(ETAG_CACHE_COLLECTOR, 'acme/api');
    expect(row?.position.length).toBeLessThanOrEqual(MAX_ROW_BYTES);

    const next = new IndexEtagCache(index, { identity: 'octocat', baseUrl: BASE, org: 'acme' });
    expect(await next.get(`${BASE}/repos/acme/api/branches/main`)).toBeDefined();
    expect(await next.get(`${BASE}/repos/acme/api/activity?page=39`)).toBeUndefined();
  });
});
