import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { rebuildIndex } from '../../lambdas/app/rebuild-index.ts';
import type { EvidenceItem } from '../../lambdas/core/period-evidence.ts';
import { canonicalJson } from '../../lambdas/evidence/canonical-json.ts';
import type { DocumentKind } from '../../lambdas/evidence/documents.ts';
import {
  EVIDENCE_KINDS,
  type EvidenceIndex,
  type EvidenceStore,
  type IndexEntry,
} from '../../lambdas/evidence/ports.ts';
import { contentHashOf, evidenceKey, recordEvidence } from '../../lambdas/evidence/record.ts';
import { cm01 } from '../cli/run-cli.ts';
import {
  collectionRun,
  deployment,
  directPush,
  mergeOf,
  override,
  pipeline,
  protection,
  pullRequest,
  sha,
  team,
} from './core/builders.ts';

let dir: string;
let store: EvidenceStore;
let index: EvidenceIndex;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cm01-rebuild-'));
  ({ store, index } = await openStore(`local:${dir}`));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One document of every kind a collector writes, recorded as the collectors do. */
async function recordEveryKind(): Promise<void> {
  const pr = pullRequest(101, '2026-10-05T12:00:00.000Z');
  const items: EvidenceItem<DocumentKind>[] = [
    pr,
    mergeOf(pr),
    directPush('push-1', '2026-10-06T09:00:00.000Z'),
    deployment(1, sha('merge-101'), 'production', '2026-10-05T13:00:00.000Z'),
    ...pipeline(10, sha('merge-101'), '2026-10-05T12:10:00.000Z'),
    override(sha('bypass-1'), '2026-10-07T10:00:00.000Z'),
    protection('2026-10-01T00:00:00.000Z'),
    team('sre', ['dave'], '2026-10-01T00:00:00.000Z'),
    collectionRun([]),
  ];
  for (const item of items) await recordEvidence(store, index, item.doc);
}

/** Every evidence row of the index, by kind and month. */
async function everyRow(of: EvidenceIndex): Promise<IndexEntry[]> {
  const rows: IndexEntry[] = [];
  for (const kind of EVIDENCE_KINDS) {
    for (const period of ['2026-09', '2026-10', '2026-11'])
      rows.push(...(await of.queryPeriod(kind, period)));
  }
  return rows;
}

describe('rebuildIndex on the local locker', () => {
  it('recreates the rows the collectors wrote, for every kind, from the objects alone', async () => {
    await recordEveryKind();
    const original = await everyRow(index);
    expect(new Set(original.map((row) => row.kind)).size).toBe(7);
    await rm(join(dir, 'index'), { recursive: true, force: true });
    const fresh = (await openStore(`local:${dir}`)).index;
    expect(await everyRow(fresh)).toEqual([]);
    const progress: number[] = [];

    const result = await rebuildIndex(
      { store, index: fresh },
      { onProgress: ({ read, total }) => progress.push(read / total) },
    );

    expect(result).toEqual({
      orgs: ['acme'],
      read: original.length,
      written: original.length,
      unchanged: 0,
      skipped: [],
    });
    expect(await everyRow(fresh)).toEqual(original);
    expect(progress).toHaveLength(original.length);
    expect(progress.at(-1)).toBe(1);
  });

  it('writes nothing when run again, and only what is missing after a partial loss', async () => {
    await recordEveryKind();
    const first = await rebuildIndex({ store, index });
    expect(first.written).toBe(0);
    expect(first.unchanged).toBe(first.read);

    await rm(join(dir, 'index', 'period', 'pull-request'), { recursive: true, force: true });
    const reopened = (await openStore(`local:${dir}`)).index;
    const again = await rebuildIndex({ store, index: reopened });
    expect(again.written).toBe(1);
    expect(again.unchanged).toBe(again.read - 1);
  });

  it('indexes the current version of a key, and skips what is not evidence, naming why', async () => {
    await recordEveryKind();
    const changed = pullRequest(101, '2026-10-05T12:00:00.000Z', { reviews: [] });
    const newer = await store.put({
      key: evidenceKey('pull-request', changed.doc.repo, changed.doc.occurredAt, changed.doc.itemId),
      body: new TextEncoder().encode(canonicalJson(changed.doc)),
      contentType: 'application/json',
      contentHash: contentHashOf(changed.doc),
    });
    const prefix = 'evidence/acme/payments-api/pull-request/2026/10';
    await store.put({
      key: `${prefix}/junk.json`,
      body: new TextEncoder().encode('[]'),
      contentType: 'text/plain',
    });
    await store.put({
      key: `${prefix}/7.json`,
      body: new TextEncoder().encode(canonicalJson(changed.doc)),
      contentType: 'application/json',
    });
    await store.put({
      key: 'evidence/acme/stray.txt',
      body: new TextEncoder().encode('x'),
      contentType: 'text/plain',
    });

    const result = await rebuildIndex({ store, index });

    expect(result.written).toBe(1);
    expect((await index.queryPeriod('pull-request', '2026-10'))[0]?.versionId).toBe(newer.versionId);
    expect(result.skipped.map((s) => s.key)).toEqual([
      `${prefix}/7.json`,
      `${prefix}/junk.json`,
      'evidence/acme/stray.txt',
    ]);
    expect(result.skipped[0]?.reason).toContain('belongs at another key');
    expect(result.skipped[1]?.reason).toContain('not a valid pull-request document');
  });

  it('rebuilds one organisation only, and refuses a name that is not one', async () => {
    await recordEveryKind();
    const result = await rebuildIndex({ store, index }, { org: 'globex' });
    expect(result).toMatchObject({ orgs: ['globex'], read: 0, written: 0 });
    await expect(rebuildIndex({ store, index }, { org: '../acme' })).rejects.toMatchObject({
      field: '--org',
    });
  });

  it('cm01 index rebuild recreates a lost local index and says what it did', async () => {
    await recordEveryKind();
    const original = await everyRow(index);
    await rm(join(dir, 'index'), { recursive: true, force: true });

    const run = cm01(['index', 'rebuild', '--store', `local:${dir}`, '--json']);

    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      read: original.length,
      written: original.length,
      unchanged: 0,
    });
    expect(await everyRow((await openStore(`local:${dir}`)).index)).toEqual(original);
    const unknown = cm01(['index', 'drop', '--store', `local:${dir}`]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'drop'");
    expect(unknown.stderr).toContain('cm01 index --help');
  });
});
