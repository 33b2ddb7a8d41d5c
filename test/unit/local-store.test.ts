import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalEvidenceIndex } from '../../lambdas/adapters/local-index.ts';
import { LOCAL_NOT_IMMUTABLE_NOTE, LocalEvidenceStore } from '../../lambdas/adapters/local-store.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { storeProvisioner } from '../../lambdas/adapters/store-init.ts';
import { initStore } from '../../lambdas/app/init-store.ts';
import { InputError, RetentionError, StoreError } from '../../lambdas/errors.ts';
import { describeEvidenceStoreContract } from '../contract/evidence-store.contract.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cm01-local-store-test-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) {
    // Version files are read-only on purpose; make them removable again.
    await chmodTree(dir);
    await rm(dir, { recursive: true, force: true });
  }
});

async function chmodTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) await chmod(join(entry.parentPath, entry.name), 0o644);
  }
}

const bytes = (text: string) => new TextEncoder().encode(text);

describeEvidenceStoreContract('local locker', async () => openStore(`local:${await tempDir()}`));

describe('local locker', () => {
  it('refuses to delete a version before its retain-until, and allows it after', async () => {
    const dir = await tempDir();
    let now = new Date('2026-11-01T00:00:00Z');
    const store = new LocalEvidenceStore({ dir, defaultRetentionDays: 365, now: () => now });
    const put = await store.put({
      key: 'evidence/a/b/pull-request/2026/10/1.json',
      body: bytes('x'),
      contentType: 'text/plain',
    });

    await expect(store.deleteVersion(put.key, put.versionId)).rejects.toBeInstanceOf(RetentionError);
    expect(Buffer.from((await store.get(put.key)).body).toString()).toBe('x');

    now = new Date(Date.parse(put.retainUntil) + 1);
    await store.deleteVersion(put.key, put.versionId);
    expect(await store.head(put.key)).toBeUndefined();
  });

  it('never overwrites a version: a changed object becomes a new version beside the old', async () => {
    const dir = await tempDir();
    const store = new LocalEvidenceStore({ dir });
    const key = 'evidence/a/b/deployment/2026/10/9.json';
    const first = await store.put({ key, body: bytes('one'), contentType: 'text/plain' });
    const second = await store.put({ key, body: bytes('two'), contentType: 'text/plain' });

    const files = (await readdir(join(dir, 'objects', `${key}.v`))).filter((f) => f.endsWith('.data'));

    expect(files.sort()).toEqual([`${first.versionId}.data`, `${second.versionId}.data`].sort());
    await expect(store.deleteVersion(key, first.versionId)).rejects.toThrow(/retained until/);
  });

  it('says honestly that it is not immutable', async () => {
    const store = new LocalEvidenceStore({ dir: await tempDir() });

    const retention = await store.retention();

    expect(retention.immutable).toBe(false);
    expect(retention.objectLock.enabled).toBe(false);
    expect(retention.store).toBe('local');
    expect(retention.notes).toContain(LOCAL_NOT_IMMUTABLE_NOTE);
    expect(await store.presignGet()).toBeUndefined();
  });

  it('detects a version whose bytes were changed on disk', async () => {
    const dir = await tempDir();
    const store = new LocalEvidenceStore({ dir });
    const put = await store.put({
      key: 'evidence/a/b/override/2026/10/e.json',
      body: bytes('genuine'),
      contentType: 'text/plain',
    });
    const dataFile = join(dir, 'objects', `${put.key}.v`, `${put.versionId}.data`);
    await chmod(dataFile, 0o644);
    await writeFile(dataFile, 'tampered');

    await expect(store.get(put.key)).rejects.toThrow(/corrupted/);
  });

  it('refuses a version whose metadata lost a field or has one of the wrong type, and reports the hash it read', async () => {
    const dir = await tempDir();
    const store = new LocalEvidenceStore({ dir });
    const put = await store.put({
      key: 'evidence/a/b/override/2026/10/m.json',
      body: bytes('genuine'),
      contentType: 'text/plain',
    });
    const read = await store.get(put.key, put.versionId);
    // The hash of the bytes this read returned, the one it checked against the metadata.
    expect(read.bodySha256).toBe(put.sha256);
    expect(read.object).toEqual({
      key: put.key,
      versionId: put.versionId,
      sha256: put.sha256,
      contentHash: put.contentHash,
      retainUntil: put.retainUntil,
      lockMode: 'NONE',
      size: 7,
      lastModified: put.lastModified,
    });
    const metaFile = join(dir, 'objects', `${put.key}.v`, `${put.versionId}.json`);
    const meta = JSON.parse(await readFile(metaFile, 'utf8'));
    await chmod(metaFile, 0o644);
    const spoiled = [
      { ...meta, sha256: undefined },
      { ...meta, size: String(meta.size) },
      { ...meta, retainUntil: null },
      [meta],
      'text',
    ];
    for (const wrong of spoiled) {
      await writeFile(metaFile, JSON.stringify(wrong));
      await expect(store.get(put.key, put.versionId)).rejects.toThrow(/unreadable metadata/);
    }
    await writeFile(metaFile, '{"key":');
    await expect(store.head(put.key, put.versionId)).rejects.toThrow(/unreadable metadata/);
  });

  it('reads metadata of any length whole (a file larger than the read buffer too)', async () => {
    const store = new LocalEvidenceStore({ dir: await tempDir() });
    for (const length of [10, 64 * 1024 - 300, 64 * 1024, 200 * 1024]) {
      const contentType = `text/plain; x=${'é'.repeat(length / 2)}`;
      const put = await store.put({
        key: `evidence/a/b/override/2026/10/long-${length}.json`,
        body: bytes(`body ${length}`),
        contentType,
      });
      expect((await store.head(put.key))?.versionId).toBe(put.versionId);
      const read = await store.get(put.key);
      expect(new TextDecoder().decode(read.body)).toBe(`body ${length}`);
      expect(read.object.sha256).toBe(put.sha256);
    }
  });

  it('refuses keys that would escape its folder', async () => {
    const store = new LocalEvidenceStore({ dir: await tempDir() });

    await expect(
      store.put({ key: '../outside.json', body: bytes('x'), contentType: 'text/plain' }),
    ).rejects.toBeInstanceOf(InputError);
    await expect(store.head('a//b.json')).rejects.toBeInstanceOf(InputError);
  });

  it('answers every query with the rows as written, whether or not the instance holds the partition', async () => {
    const dir = await tempDir();
    const row = (itemId: string, versionId: string) => ({
      kind: 'deployment' as const,
      period: '2026-10',
      repo: 'acme/api',
      itemId,
      occurredAt: '2026-10-02T00:00:00Z',
      key: `evidence/acme/api/deployment/2026/10/${itemId}.json`,
      versionId,
      sha256: 'a'.repeat(64),
      contentHash: `h-${versionId}`,
      retainUntil: '2027-10-02T00:00:00Z',
    });
    const writer = new LocalEvidenceIndex({ dir });
    const reader = new LocalEvidenceIndex({ dir });
    await writer.put([row('1', 'v1'), row('2', 'v1')]);
    expect((await reader.queryPeriod('deployment', '2026-10')).map((r) => r.versionId)).toEqual(['v1', 'v1']);
    // A new version written after the reader's query: the next query shows it, the old one not.
    await writer.put([row('1', 'v2')]);
    expect(await reader.queryPeriod('deployment', '2026-10')).toEqual([row('1', 'v2'), row('2', 'v1')]);
    // The reader writes too: what it queried before never makes it append a row it already has.
    expect(await reader.put([row('1', 'v2'), row('3', 'v1')])).toEqual({ written: 1, unchanged: 1 });
    expect((await reader.queryPeriod('deployment', '2026-10')).map((r) => r.itemId)).toEqual(['1', '2', '3']);
    expect((await writer.queryPeriod('deployment', '2026-10')).map((r) => r.itemId)).toEqual(['1', '2', '3']);
  });

  it('reads back exactly the rows the schema accepts: unknown fields dropped, a malformed row refused with its line', async () => {
    const dir = await tempDir();
    const good = {
      kind: 'deployment',
      period: '2026-10',
      repo: 'acme/api',
      itemId: '1',
      occurredAt: '2026-10-02T00:00:00Z',
      key: 'evidence/acme/api/deployment/2026/10/1.json',
      versionId: 'v1',
      sha256: 'a'.repeat(64),
      contentHash: 'h',
      retainUntil: '2027-10-02T00:00:00Z',
    };
    const file = join(dir, 'index', 'period', 'deployment', '2026-10.jsonl');
    await mkdir(join(dir, 'index', 'period', 'deployment'), { recursive: true });
    const withExtras = {
      ...good,
      itemId: '2',
      extra: 'dropped',
      attributes: { production: true, n: 2, s: 'x' },
    };
    await writeFile(file, `${JSON.stringify(good)}\n${JSON.stringify(withExtras)}\n`);
    const rows = await new LocalEvidenceIndex({ dir }).queryPeriod('deployment', '2026-10');
    expect(rows).toEqual([good, { ...good, itemId: '2', attributes: { production: true, n: 2, s: 'x' } }]);
    expect(Object.keys(rows[1] ?? {})).toEqual([...Object.keys(good), 'attributes']);
    const malformed = [
      { ...good, kind: 'not-a-kind' },
      { ...good, sha256: 5 },
      { ...good, retainUntil: null },
      { ...good, attributes: { nested: { no: 1 } } },
      { ...good, attributes: ['x'] },
      { ...good, attributes: null },
    ];
    for (const row of malformed) {
      await writeFile(file, `${JSON.stringify(good)}\n${JSON.stringify(row)}\n`);
      await expect(new LocalEvidenceIndex({ dir }).queryPeriod('deployment', '2026-10')).rejects.toThrow(
        /malformed row near line 2/,
      );
    }
    // JSON reads 1e999 as Infinity, which is no attribute value.
    await writeFile(file, `${JSON.stringify(good).replace(/}$/, ',"attributes":{"n":1e999}}')}\n`);
    await expect(new LocalEvidenceIndex({ dir }).queryPeriod('deployment', '2026-10')).rejects.toThrow(
      /malformed row near line 1/,
    );
  });

  it('shares its index between processes through the files: a second instance sees rows and writes nothing new', async () => {
    const dir = await tempDir();
    const row = {
      kind: 'pull-request' as const,
      period: '2026-10',
      repo: 'acme/api',
      itemId: '1',
      occurredAt: '2026-10-02T00:00:00Z',
      key: 'evidence/acme/api/pull-request/2026/10/1.json',
      versionId: 'v1',
      sha256: 'a'.repeat(64),
      contentHash: 'h',
      retainUntil: '2027-10-02T00:00:00Z',
    };
    const first = new LocalEvidenceIndex({ dir });
    const second = new LocalEvidenceIndex({ dir });
    await second.queryPeriod('pull-request', '2026-10');

    await first.put([row]);
    const seen = await second.queryPeriod('pull-request', '2026-10');
    const again = await second.put([row]);

    expect(seen).toEqual([row]);
    expect(again).toEqual({ written: 0, unchanged: 1 });
    const lines = (await readFile(join(dir, 'index', 'period', 'pull-request', '2026-10.jsonl'), 'utf8'))
      .trim()
      .split('\n');
    expect(lines).toHaveLength(1);
  });

  it('ignores a half-written last line until it is complete', async () => {
    const dir = await tempDir();
    const index = new LocalEvidenceIndex({ dir });
    const file = join(dir, 'index', 'period', 'deployment', '2026-10.jsonl');
    await index.put([
      {
        kind: 'deployment',
        period: '2026-10',
        repo: 'acme/api',
        itemId: '1',
        occurredAt: '2026-10-02T00:00:00Z',
        key: 'k1',
        versionId: 'v1',
        sha256: 's',
        contentHash: 'h',
        retainUntil: '2027-10-02T00:00:00Z',
      },
    ]);
    await writeFile(file, '{"kind":"deploy', { flag: 'a' });

    const reader = new LocalEvidenceIndex({ dir });

    expect(await reader.queryPeriod('deployment', '2026-10')).toHaveLength(1);
  });
});

describe('openStore and initStore for local:', () => {
  it('creates nothing on open, and its folders with the first write (a refused command leaves no empty store)', async () => {
    const dir = join(await tempDir(), 'new-store');

    const { store, index } = await openStore(`local:${dir}`);

    expect(store.location).toBe(`local:${dir}`);
    expect(index.location).toBe(`local:${dir}`);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
    await store.put({ key: 'evidence/a/b/c.json', body: bytes('{}'), contentType: 'application/json' });
    expect(await readdir(dir)).toEqual(['objects']);
  });

  it('refuses a local store where immutability is required, and creates nothing', async () => {
    const dir = join(await tempDir(), 'never-made');

    await expect(openStore(`local:${dir}`, { requireImmutable: true })).rejects.toThrow(/not immutable/);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it('initialises once and checks afterwards, keeping the retention it was made with', async () => {
    const dir = join(await tempDir(), 'init');

    const first = await initStore(storeProvisioner(`local:${dir}`), { retentionDays: 400 });
    const second = await initStore(storeProvisioner(`local:${dir}`), { retentionDays: 400 });
    const opened = await openStore(`local:${dir}`);

    expect(first.created.length).toBe(2);
    expect(second.created).toEqual([]);
    expect(second.checked.join('\n')).toMatch(/400 days/);
    expect(opened.store.defaultRetentionDays).toBe(400);
  });

  it('rejects a malformed local store configuration with the file named', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'store.json'), '{"format":"something-else"}');

    await expect(openStore(`local:${dir}`)).rejects.toThrow(StoreError);
    await expect(openStore(`local:${dir}`)).rejects.toThrow(/store\.json/);
  });
});
