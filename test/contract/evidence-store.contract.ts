import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../lambdas/errors.ts';
import { sha256Hex } from '../../lambdas/evidence/canonical-json.ts';
import type { EvidenceIndex, EvidenceStore, IndexEntry } from '../../lambdas/evidence/ports.ts';

/**
 * The behaviour every evidence store + index pair must show, whatever it is built on. Each
 * adapter's test file calls this with a factory; adapter-specific proofs (Object Lock, the local
 * locker's refusals) live beside it in that file.
 */

export interface StoreUnderTest {
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
}

const DAY_MS = 86_400_000;
const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

export function describeEvidenceStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name}: evidence store contract`, () => {
    let store: EvidenceStore;
    let index: EvidenceIndex;
    /** Every test works under its own prefix, org and period, so tests share one store. */
    let run: string;

    beforeAll(async () => {
      ({ store, index } = await open());
    });

    const fresh = () => {
      run = randomBytes(6).toString('hex');
      return `evidence/org${run}/repo/pull-request/2026/10`;
    };

    it('stores an object and reads back the same bytes, SHA-256 and retention', async () => {
      const prefix = fresh();
      const body = bytes('{"pr":1}');
      const before = Date.now();

      const put = await store.put({ key: `${prefix}/1.json`, body, contentType: 'application/json' });
      const got = await store.get(put.key);
      const head = await store.head(put.key);

      expect(put.written).toBe(true);
      expect(put.sha256).toBe(sha256Hex(body));
      expect(put.contentHash).toBe(put.sha256);
      expect(Buffer.from(got.body).toString()).toBe('{"pr":1}');
      expect(got.object.versionId).toBe(put.versionId);
      expect(got.object.sha256).toBe(put.sha256);
      // A store that gives the hash of what it read gives the true one (a pack trusts it instead of hashing again).
      if (got.bodySha256 !== undefined) expect(got.bodySha256).toBe(sha256Hex(got.body));
      expect(head?.versionId).toBe(put.versionId);
      expect(head?.size).toBe(body.byteLength);
      expect(Date.parse(put.retainUntil)).toBeGreaterThanOrEqual(
        before + store.defaultRetentionDays * DAY_MS - 1000,
      );
      expect(Date.parse(head?.retainUntil ?? '')).toBe(Date.parse(put.retainUntil));
    });

    it('writes nothing when the same content is put again', async () => {
      const key = `${fresh()}/2.json`;
      const first = await store.put({ key, body: bytes('same'), contentType: 'text/plain' });

      const again = await store.put({ key, body: bytes('same'), contentType: 'text/plain' });

      expect(again.written).toBe(false);
      expect(again.versionId).toBe(first.versionId);
      expect(await store.listVersions(key)).toHaveLength(1);
    });

    it('treats different bytes with the same content hash as unchanged (a re-fetch of the same facts)', async () => {
      const key = `${fresh()}/3.json`;
      const first = await store.put({
        key,
        body: bytes('{"fetchedAt":1}'),
        contentType: 'application/json',
        contentHash: 'facts-1',
      });

      const refetch = await store.put({
        key,
        body: bytes('{"fetchedAt":2}'),
        contentType: 'application/json',
        contentHash: 'facts-1',
      });

      expect(refetch.written).toBe(false);
      expect(refetch.versionId).toBe(first.versionId);
      expect(Buffer.from((await store.get(key)).body).toString()).toBe('{"fetchedAt":1}');
    });

    it('keeps the old version readable when new content makes a new version', async () => {
      const key = `${fresh()}/4.json`;
      const old = await store.put({ key, body: bytes('v1'), contentType: 'text/plain' });

      const next = await store.put({ key, body: bytes('v2'), contentType: 'text/plain' });
      const versions = await store.listVersions(key);

      expect(next.written).toBe(true);
      expect(next.versionId).not.toBe(old.versionId);
      expect(Buffer.from((await store.get(key)).body).toString()).toBe('v2');
      expect(Buffer.from((await store.get(key, old.versionId)).body).toString()).toBe('v1');
      expect(versions.map((v) => v.versionId)).toEqual([next.versionId, old.versionId]);
      expect(versions.map((v) => v.sha256)).toEqual([sha256Hex('v2'), sha256Hex('v1')]);
    });

    it('never retains a version for less than the default, and keeps a longer retention asked for', async () => {
      const prefix = fresh();
      const now = Date.now();
      const floor = now + store.defaultRetentionDays * DAY_MS;

      const short = await store.put({
        key: `${prefix}/short.json`,
        body: bytes('a'),
        contentType: 'text/plain',
        retainUntil: new Date(now + DAY_MS),
      });
      const long = await store.put({
        key: `${prefix}/long.json`,
        body: bytes('b'),
        contentType: 'text/plain',
        retainUntil: new Date(floor + 10 * DAY_MS),
      });

      expect(Date.parse(short.retainUntil)).toBeGreaterThanOrEqual(floor - 1000);
      // Stores may round a retain-until up to a whole second, never down.
      expect(Date.parse(long.retainUntil)).toBeGreaterThanOrEqual(floor + 10 * DAY_MS);
      expect(Date.parse(long.retainUntil)).toBeLessThan(floor + 10 * DAY_MS + 1000);
    });

    it('answers undefined for an absent key and a StoreError when reading it', async () => {
      const key = `${fresh()}/absent.json`;

      expect(await store.head(key)).toBeUndefined();
      await expect(store.get(key)).rejects.toBeInstanceOf(StoreError);
      expect(await store.listVersions(key)).toEqual([]);
    });

    it('lists the keys under a prefix, sorted, and nothing outside it', async () => {
      const prefix = fresh();
      for (const id of ['b', 'a', 'c']) {
        await store.put({ key: `${prefix}/${id}.json`, body: bytes(id), contentType: 'text/plain' });
      }
      await store.put({ key: `${prefix}-other/z.json`, body: bytes('z'), contentType: 'text/plain' });

      const keys = await store.listKeys(`${prefix}/`);

      expect(keys).toEqual([`${prefix}/a.json`, `${prefix}/b.json`, `${prefix}/c.json`]);
    });

    it('lists the current version of every key under a prefix in one listing, newest version only', async () => {
      const prefix = fresh();
      const a1 = await store.put({ key: `${prefix}/a.json`, body: bytes('a1'), contentType: 'text/plain' });
      const b = await store.put({ key: `${prefix}/b.json`, body: bytes('b'), contentType: 'text/plain' });
      const a2 = await store.put({ key: `${prefix}/a.json`, body: bytes('a2'), contentType: 'text/plain' });
      await store.put({ key: `${prefix}-other/z.json`, body: bytes('z'), contentType: 'text/plain' });

      const current = await store.listCurrentVersions(`${prefix}/`);

      expect(a2.versionId).not.toBe(a1.versionId);
      expect(current).toEqual([
        { key: `${prefix}/a.json`, versionId: a2.versionId },
        { key: `${prefix}/b.json`, versionId: b.versionId },
      ]);
      expect(await store.listCurrentVersions(`${prefix}/absent/`)).toEqual([]);
    });

    it('lists the folders one level below a prefix, sorted, without the objects beside them', async () => {
      const base = `evidence/org${randomBytes(6).toString('hex')}`;
      for (const key of [
        `${base}/web/pull-request/2026/10/1.json`,
        `${base}/_org/team-membership/2026/10/t.json`,
        `${base}/api/x.json`,
        `${base}/loose.json`,
      ]) {
        await store.put({ key, body: bytes(key), contentType: 'text/plain' });
      }

      expect(await store.listFolders(`${base}/`)).toEqual(['_org', 'api', 'web']);
      expect(await store.listFolders(`${base}/web/`)).toEqual(['pull-request']);
      expect(await store.listFolders(`${base}/absent/`)).toEqual([]);
    });

    describe('index', () => {
      const entry = (overrides: Partial<IndexEntry> & Pick<IndexEntry, 'itemId'>): IndexEntry => ({
        kind: 'pull-request',
        period: '2026-10',
        repo: `org${run}/api`,
        occurredAt: '2026-10-05T10:00:00Z',
        key: `evidence/org${run}/api/pull-request/2026/10/${overrides.itemId}.json`,
        versionId: 'v1',
        sha256: 'a'.repeat(64),
        contentHash: 'h1',
        retainUntil: '2027-10-05T10:00:00.000Z',
        ...overrides,
      });
      const periodBase = randomBytes(4).readUInt32BE() % 100_000;
      let periodsUsed = 0;
      /**
       * A period of its own per test (years 1000-9999), so partitions never mix between tests
       * sharing one store.
       */
      const period = () => {
        const n = periodBase + periodsUsed++;
        return `${1000 + (n % 9000)}-${String(1 + (Math.floor(n / 9000) % 12)).padStart(2, '0')}`;
      };

      it('returns the rows of one kind and period, sorted by repository and item', async () => {
        fresh();
        const p = period();
        const rows = [
          entry({ itemId: '2', period: p, repo: `org${run}/b` }),
          entry({ itemId: '1', period: p, repo: `org${run}/b` }),
          entry({ itemId: '9', period: p, repo: `org${run}/a` }),
          entry({ itemId: '3', period: p, kind: 'deployment' }),
        ];

        const result = await index.put(rows);
        const prs = await index.queryPeriod('pull-request', p);

        expect(result).toEqual({ written: 4, unchanged: 0 });
        expect(prs.map((r) => `${r.repo}#${r.itemId}`)).toEqual([
          `org${run}/a#9`,
          `org${run}/b#1`,
          `org${run}/b#2`,
        ]);
        expect(await index.queryPeriod('deployment', p)).toHaveLength(1);
        expect(prs[0]).toEqual(rows[2]);
      });

      it('keeps the attributes of a row', async () => {
        fresh();
        const p = period();
        const row = entry({
          itemId: '7',
          period: p,
          attributes: { status: 'merged', reviews: 2, signed: true },
        });

        await index.put([row]);

        expect((await index.queryPeriod('pull-request', p))[0]?.attributes).toEqual({
          status: 'merged',
          reviews: 2,
          signed: true,
        });
      });

      it("returns a repository's rows by kind and within a half-open time range", async () => {
        fresh();
        const repo = `org${run}/api`;
        await index.put([
          entry({ itemId: '1', occurredAt: '2026-09-30T23:59:59Z', period: '2026-09' }),
          entry({ itemId: '2', occurredAt: '2026-10-01T00:00:00Z' }),
          entry({ itemId: '3', occurredAt: '2026-10-31T23:59:59Z' }),
          entry({ itemId: '4', occurredAt: '2026-11-01T00:00:00Z', period: '2026-11' }),
          entry({ itemId: 'd1', kind: 'deployment', occurredAt: '2026-10-10T00:00:00Z' }),
        ]);

        const all = await index.queryRepo(repo);
        const october = await index.queryRepo(repo, {
          kind: 'pull-request',
          from: '2026-10-01T00:00:00Z',
          to: '2026-11-01T00:00:00Z',
        });
        const anyKindOctober = await index.queryRepo(repo, {
          from: '2026-10-01T00:00:00Z',
          to: '2026-11-01T00:00:00Z',
        });
        const deployments = await index.queryRepo(repo, { kind: 'deployment' });

        expect(all).toHaveLength(5);
        expect(october.map((r) => r.itemId)).toEqual(['2', '3']);
        expect(anyKindOctober.map((r) => r.itemId).sort()).toEqual(['2', '3', 'd1']);
        expect(deployments.map((r) => r.itemId)).toEqual(['d1']);
      });

      it('writes the same entry once: twice in one call gives 1 written and 1 unchanged', async () => {
        fresh();
        const p = period();
        const row = entry({ itemId: '5', period: p });

        const first = await index.put([row, row]);
        const again = await index.put([row]);

        expect(first).toEqual({ written: 1, unchanged: 1 });
        expect(again).toEqual({ written: 0, unchanged: 1 });
        expect(await index.queryPeriod('pull-request', p)).toHaveLength(1);
      });

      it('replaces a row whose version or content hash changed, without duplicating it', async () => {
        fresh();
        const p = period();
        await index.put([entry({ itemId: '6', period: p })]);

        const newVersion = await index.put([entry({ itemId: '6', period: p, versionId: 'v2' })]);
        const newContent = await index.put([
          entry({ itemId: '6', period: p, versionId: 'v2', contentHash: 'h2' }),
        ]);
        const rows = await index.queryPeriod('pull-request', p);

        expect(newVersion.written).toBe(1);
        expect(newContent.written).toBe(1);
        expect(rows).toHaveLength(1);
        expect(rows[0]?.versionId).toBe('v2');
        expect(rows[0]?.contentHash).toBe('h2');
        expect(await index.queryRepo(`org${run}/api`)).toHaveLength(1);
      });

      it('re-indexes a large batch writing only the rows that changed', async () => {
        fresh();
        const p = period();
        const rows = Array.from({ length: 120 }, (_, i) => entry({ itemId: String(i), period: p }));
        await index.put(rows);
        const changed = rows.map((row, i) => (i % 20 === 0 ? { ...row, versionId: 'v2' } : row));

        const result = await index.put(changed);
        const stored = await index.queryPeriod('pull-request', p);

        expect(result).toEqual({ written: 6, unchanged: 114 });
        expect(
          stored
            .filter((r) => r.versionId === 'v2')
            .map((r) => r.itemId)
            .sort(),
        ).toEqual(['0', '20', '40', '60', '80', '100'].sort());
      });

      it('keeps the last of two versions of one item given in one call', async () => {
        fresh();
        const p = period();

        const result = await index.put([
          entry({ itemId: '8', period: p }),
          entry({ itemId: '8', period: p, versionId: 'v2' }),
        ]);

        expect(result).toEqual({ written: 2, unchanged: 0 });
        expect((await index.queryPeriod('pull-request', p)).map((r) => r.versionId)).toEqual(['v2']);
      });

      it('never duplicates when concurrent runs index the same entries', async () => {
        fresh();
        const p = period();
        const rows = Array.from({ length: 40 }, (_, i) => entry({ itemId: String(i), period: p }));

        const results = await Promise.all(Array.from({ length: 5 }, () => index.put(rows)));

        expect(results.reduce((sum, r) => sum + r.written, 0)).toBe(40);
        expect(results.reduce((sum, r) => sum + r.unchanged, 0)).toBe(160);
        expect(await index.queryPeriod('pull-request', p)).toHaveLength(40);
      });

      it('reads a partition larger than one 1 MB response to its end', async () => {
        fresh();
        const p = period();
        const padding = 'x'.repeat(1_000);
        const rows = Array.from({ length: 1_300 }, (_, i) =>
          entry({ itemId: String(i).padStart(5, '0'), period: p, attributes: { padding } }),
        );

        await index.put(rows);
        const partition = await index.queryPeriod('pull-request', p);
        const byRepo = await index.queryRepo(`org${run}/api`, { kind: 'pull-request' });

        expect(JSON.stringify(partition).length).toBeGreaterThan(1_300_000);
        expect(partition).toHaveLength(1_300);
        expect(new Set(partition.map((r) => r.itemId)).size).toBe(1_300);
        expect(byRepo).toHaveLength(1_300);
      });

      it('keeps collector cursors per collector and repository', async () => {
        fresh();
        const collector = `pull-requests-${run}`;
        expect(await index.getCursor(collector, 'acme/api')).toBeUndefined();

        await index.putCursor({
          collector,
          repo: 'acme/api',
          position: '2026-10-01T00:00:00Z',
          updatedAt: '2026-10-02T00:00:00Z',
        });
        await index.putCursor({
          collector,
          repo: 'acme/web',
          position: 'Y3Vyc29y',
          updatedAt: '2026-10-02T00:00:00Z',
        });
        await index.putCursor({
          collector,
          repo: 'acme/api',
          position: '2026-10-15T00:00:00Z',
          updatedAt: '2026-10-16T00:00:00Z',
        });

        expect(await index.getCursor(collector, 'acme/api')).toEqual({
          collector,
          repo: 'acme/api',
          position: '2026-10-15T00:00:00Z',
          updatedAt: '2026-10-16T00:00:00Z',
        });
        expect((await index.getCursor(collector, 'acme/web'))?.position).toBe('Y3Vyc29y');
        expect(await index.getCursor(`other-${run}`, 'acme/api')).toBeUndefined();
      });
    });
  });
}
