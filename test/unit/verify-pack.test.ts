import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEvidenceStore } from '../../lambdas/adapters/local-store.ts';
import { manifestDigest } from '../../lambdas/core/evaluate-period.ts';
import type { ManifestEntry } from '../../lambdas/core/pack-model.ts';
import { verifyManifest } from '../../lambdas/pack/verify-pack.ts';

let dir: string;
let store: LocalEvidenceStore;
let entries: ManifestEntry[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cm01-verify-'));
  store = new LocalEvidenceStore({ dir });
  entries = [];
  for (const name of ['a', 'b']) {
    const put = await store.put({
      key: `evidence/acme/api/pull-request/2026/10/${name}.json`,
      body: new TextEncoder().encode(`{"name":"${name}"}`),
      contentType: 'application/json',
    });
    entries.push({
      key: put.key,
      versionId: put.versionId,
      sha256: put.sha256,
      retainUntil: put.retainUntil,
    });
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verifyManifest', () => {
  it('passes when every object and the digest match', async () => {
    const result = await verifyManifest(store, { entries, digest: manifestDigest(entries) });
    expect(result).toEqual({ checked: 2, findings: [], digestMatches: true });
  });

  it('reports a manifest whose digest does not match its entries', async () => {
    const edited = [entries[0] as ManifestEntry];
    const result = await verifyManifest(store, { entries: edited, digest: manifestDigest(entries) });
    expect(result.digestMatches).toBe(false);
  });

  it('names a version the store does not hold, and a retention the pack recorded longer', async () => {
    const [a, b] = entries as [ManifestEntry, ManifestEntry];
    const wrong = [
      { ...a, versionId: 'no-such-version' },
      { ...b, retainUntil: '2099-01-01T00:00:00.000Z' },
    ];
    const result = await verifyManifest(store, { entries: wrong, digest: manifestDigest(wrong) });
    expect(result.findings.map((f) => [f.key, f.problem.split(':')[0]])).toEqual([
      [a.key, 'missing'],
      [b.key, 'retention shortened'],
    ]);
  });
});
