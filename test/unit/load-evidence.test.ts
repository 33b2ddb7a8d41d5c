import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { evaluatePeriod } from '../../lambdas/core/evaluate-period.ts';
import type { EvidenceItem } from '../../lambdas/core/period-evidence.ts';
import { shippedProfile } from '../../lambdas/core/shipped-profiles.ts';
import { StoreError } from '../../lambdas/errors.ts';
import { canonicalJson } from '../../lambdas/evidence/canonical-json.ts';
import type { DocumentKind } from '../../lambdas/evidence/documents.ts';
import type { EvidenceIndex, EvidenceKind, EvidenceStore } from '../../lambdas/evidence/ports.ts';
import { contentHashOf, evidenceKey, recordEvidence } from '../../lambdas/evidence/record.ts';
import { loadPeriodEvidence } from '../../lambdas/pack/load-evidence.ts';
import {
  collectionRun,
  deployment,
  mergeOf,
  OCTOBER,
  pipeline,
  pullRequest,
  sha,
  team,
} from './core/builders.ts';

let dir: string;
let store: EvidenceStore;
let index: EvidenceIndex;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cm01-load-'));
  ({ store, index } = await openStore(`local:${dir}`));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function record(...items: EvidenceItem<DocumentKind>[]): Promise<void> {
  for (const item of items) await recordEvidence(store, index, item.doc);
}

/** An index that counts its reads and refuses anything but `queryPeriod`. */
function queryOnly(inner: EvidenceIndex, queried: string[]): EvidenceIndex {
  return {
    location: inner.location,
    check: () => inner.check(),
    put: (entries) => inner.put(entries),
    queryPeriod: (kind: EvidenceKind, period: string) => {
      queried.push(`${kind} ${period}`);
      return inner.queryPeriod(kind, period);
    },
    queryRepo: () => Promise.reject(new Error('loadPeriodEvidence must use queryPeriod only')),
    getCursor: (collector, repo) => inner.getCursor(collector, repo),
    putCursor: (cursor) => inner.putCursor(cursor),
  };
}

describe('loadPeriodEvidence', () => {
  it('reads the window’s evidence by Query, with 14 days of deployments before it and snapshots around it', async () => {
    const october = pullRequest(101, '2026-10-05T12:00:00.000Z');
    const september = pullRequest(90, '2026-09-30T23:00:00.000Z');
    const november = pullRequest(120, '2026-11-01T00:00:00.000Z');
    const dayBefore = deployment(1, sha('merge-90'), 'production', '2026-09-30T18:00:00.000Z');
    const weekBefore = deployment(2, sha('merge-80'), 'production', '2026-09-10T18:00:00.000Z');
    const teamAfter = team('sre', ['dave'], '2026-11-01T06:00:00.000Z');
    const run = collectionRun([{ withholds: 'audit-log', repo: null, reason: 'plan is not enterprise' }]);
    const beforeSettle = deployment(3, sha('merge-101'), 'production', '2026-11-01T01:00:00.000Z');
    const afterSettle = deployment(4, sha('merge-101'), 'production', '2026-11-03T06:00:00.000Z');
    await record(october, september, november, mergeOf(october), dayBefore, weekBefore, teamAfter, run);
    await record(beforeSettle, afterSettle);
    await record(...pipeline(10, sha('merge-101'), '2026-10-05T12:10:00.000Z'));

    const queried: string[] = [];
    const { evidence, manifest, orgs } = await loadPeriodEvidence(store, queryOnly(index, queried), OCTOBER);

    expect(evidence.pullRequests.map((item) => item.doc.data.number)).toEqual([101]);
    expect(evidence.branchCommits.map((item) => item.doc.data.commit.sha)).toEqual([sha('merge-101')]);
    expect(evidence.deployments.map((item) => item.doc.data.id).sort((a, b) => a - b)).toEqual([
      1, 3, 10, 11, 12,
    ]);
    expect(evidence.teams.map((item) => item.doc.data.team)).toEqual(['sre']);
    expect(evidence.runs).toHaveLength(1);
    expect(orgs).toEqual(['acme']);
    expect(queried).toContain('pull-request 2026-10');
    expect(queried).toContain('deployment 2026-09');
    expect(queried).not.toContain('pull-request 2026-11');

    expect(manifest).toHaveLength(9);
    expect(manifest.map((entry) => entry.key)).toEqual([...manifest.map((entry) => entry.key)].sort());
    const pr = manifest.find((entry) => entry.key.endsWith('/pull-request/2026/10/101.json'))!;
    expect(pr.versionId).toBe(evidence.pullRequests[0]!.ref.versionId);
    expect(pr.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(pr.retainUntil) - Date.parse(pr.writtenAt!)).toBeGreaterThanOrEqual(365 * 86_400_000);
  });

  it('refuses an object whose bytes do not match the SHA-256 in the index', async () => {
    await record(pullRequest(101, '2026-10-05T12:00:00.000Z'));
    const lying: EvidenceIndex = {
      ...queryOnly(index, []),
      queryPeriod: async (kind, period) =>
        (await index.queryPeriod(kind, period)).map((entry) => ({ ...entry, sha256: '0'.repeat(64) })),
    };
    const error = await loadPeriodEvidence(store, lying, OCTOBER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toContain('does not match the SHA-256 the index recorded');
  });

  /** A new current version of an indexed document, its row pointing at it: read as trusted. */
  async function replaceIndexed(edit: (json: Record<string, unknown>) => void): Promise<void> {
    const pr = pullRequest(101, '2026-10-05T12:00:00.000Z');
    await record(pr);
    const [row] = await index.queryPeriod('pull-request', '2026-10');
    const json = JSON.parse(canonicalJson(pr.doc)) as Record<string, unknown>;
    edit(json);
    const stored = await store.put({
      key: row!.key,
      body: new TextEncoder().encode(JSON.stringify(json)),
      contentType: 'application/json',
    });
    await index.put([
      { ...row!, versionId: stored.versionId, sha256: stored.sha256, contentHash: stored.contentHash },
    ]);
  }

  it('refuses an indexed document with a malformed field, naming the object and the field', async () => {
    await replaceIndexed((json) => {
      (json.data as Record<string, unknown>).mergedAt = 'yesterday';
    });
    const error = await loadPeriodEvidence(store, index, OCTOBER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toContain('is not a valid pull-request document');
    expect((error as StoreError).message).toContain('mergedAt');
  });

  it('reads an indexed document with a member the schema does not name as the schema does: without it', async () => {
    await replaceIndexed((json) => {
      (json.data as Record<string, unknown>).unexpected = 'x';
    });
    const { evidence } = await loadPeriodEvidence(store, index, OCTOBER);
    expect(evidence.pullRequests[0]!.doc.data.number).toBe(101);
    expect('unexpected' in evidence.pullRequests[0]!.doc.data).toBe(false);
  });

  it('feeds evaluatePeriod; a local store is reported as not immutable', async () => {
    const pr = pullRequest(101, '2026-10-05T12:00:00.000Z');
    await record(pr, mergeOf(pr), ...pipeline(10, sha('merge-101'), '2026-10-05T12:10:00.000Z'));
    const { evidence, manifest } = await loadPeriodEvidence(store, index, OCTOBER);
    const loaded = shippedProfile('clerk-cm01');
    const model = evaluatePeriod({
      org: 'acme',
      window: OCTOBER,
      profile: loaded.profile,
      profileSource: loaded.source,
      toolVersion: 'test',
      evidence,
      retention: await store.retention(),
      manifest,
    });
    expect(model.population).toHaveLength(1);
    expect(model.population[0]!.verdicts['PR-REQUIRED']).toBe('pass');
    expect(model.retention.verdict).toBe('fail');
    expect(model.manifest).toHaveLength(manifest.length);
  });
});

describe('loadPeriodEvidence in a store shared by organisations', () => {
  function otherOrg(item: EvidenceItem<'pull-request'>): EvidenceItem<'pull-request'> {
    return { ...item, doc: { ...item.doc, org: 'globex', repo: 'globex/shop' } };
  }

  it('reads only the named organisation’s objects', async () => {
    await record(
      pullRequest(101, '2026-10-05T12:00:00.000Z'),
      otherOrg(pullRequest(7, '2026-10-06T12:00:00.000Z')),
    );
    const loaded = await loadPeriodEvidence(store, index, OCTOBER, { org: 'globex' });
    expect(loaded.orgs).toEqual(['globex']);
    expect(loaded.evidence.pullRequests.map((item) => item.doc.repo)).toEqual(['globex/shop']);
    expect(loaded.manifest.every((entry) => entry.key.startsWith('evidence/globex/'))).toBe(true);
  });

  it('refuses to guess between organisations, naming --org', async () => {
    await record(
      pullRequest(101, '2026-10-05T12:00:00.000Z'),
      otherOrg(pullRequest(7, '2026-10-06T12:00:00.000Z')),
    );
    await expect(loadPeriodEvidence(store, index, OCTOBER)).rejects.toMatchObject({
      field: '--org',
      message: expect.stringContaining('acme, globex'),
    });
  });
});

describe('loadPeriodEvidence cross-checks the index against the bucket', () => {
  /** Store a document's object the way a collector does, but write no index row for it. */
  async function storeWithoutRow(item: EvidenceItem<DocumentKind>, key?: string) {
    return store.put({
      key: key ?? evidenceKey(item.doc.kind, item.doc.repo, item.doc.occurredAt, item.doc.itemId),
      body: new TextEncoder().encode(canonicalJson(item.doc)),
      contentType: 'application/json',
      contentHash: contentHashOf(item.doc),
    });
  }

  it('agrees with itself when every object is indexed at its current version', async () => {
    const pr = pullRequest(101, '2026-10-05T12:00:00.000Z');
    await record(pr, mergeOf(pr), team('sre', ['dave']));
    const loaded = await loadPeriodEvidence(store, index, OCTOBER);
    expect(loaded.indexCrossCheck.findings).toEqual([]);
    expect(loaded.indexCrossCheck.objectsListed).toBe(3);
  });

  it('reads, uses and names an object the index has no row for', async () => {
    await record(pullRequest(101, '2026-10-05T12:00:00.000Z'));
    const unindexed = pullRequest(102, '2026-10-06T12:00:00.000Z');
    const stored = await storeWithoutRow(unindexed);

    const loaded = await loadPeriodEvidence(store, index, OCTOBER);

    expect(loaded.evidence.pullRequests.map((item) => item.doc.data.number)).toEqual([101, 102]);
    expect(loaded.manifest.map((entry) => entry.key)).toContain(stored.key);
    expect(loaded.indexCrossCheck.findings).toEqual([
      {
        finding: 'not-indexed',
        key: stored.key,
        usedVersionId: stored.versionId,
        indexedVersionId: null,
        note: expect.stringContaining('no row'),
      },
    ]);
  });

  it('finds the evidence of a repository the index never heard of', async () => {
    await record(pullRequest(101, '2026-10-05T12:00:00.000Z'));
    const other = pullRequest(5, '2026-10-07T12:00:00.000Z');
    const hidden = { ...other, doc: { ...other.doc, repo: 'acme/hidden-service' } };
    const stored = await storeWithoutRow(hidden);

    const loaded = await loadPeriodEvidence(store, index, OCTOBER);

    expect(loaded.evidence.pullRequests.map((item) => item.doc.repo)).toContain('acme/hidden-service');
    expect(loaded.indexCrossCheck.findings.map((f) => [f.finding, f.key])).toEqual([
      ['not-indexed', stored.key],
    ]);
  });

  it('builds the period from the bucket alone when the index is empty', async () => {
    const pr = pullRequest(101, '2026-10-05T12:00:00.000Z');
    for (const item of [pr, mergeOf(pr), team('sre', ['dave'])]) await storeWithoutRow(item);

    const loaded = await loadPeriodEvidence(store, index, OCTOBER);

    expect(loaded.orgs).toEqual(['acme']);
    expect(loaded.evidence.pullRequests).toHaveLength(1);
    expect(loaded.evidence.branchCommits).toHaveLength(1);
    expect(loaded.evidence.teams).toHaveLength(1);
    expect(loaded.indexCrossCheck.findings.map((f) => f.finding)).toEqual([
      'not-indexed',
      'not-indexed',
      'not-indexed',
    ]);
  });

  it('uses the current version when it is newer than the indexed one, and names both', async () => {
    const original = pullRequest(101, '2026-10-05T12:00:00.000Z');
    await record(original);
    const [row] = await index.queryPeriod('pull-request', '2026-10');
    const changed = pullRequest(101, '2026-10-05T12:00:00.000Z', { reviews: [] });
    const newer = await storeWithoutRow(changed);

    const loaded = await loadPeriodEvidence(store, index, OCTOBER);

    expect(loaded.evidence.pullRequests).toHaveLength(1);
    expect(loaded.evidence.pullRequests[0]!.ref.versionId).toBe(newer.versionId);
    expect(loaded.evidence.pullRequests[0]!.doc.data.reviews).toEqual([]);
    expect(loaded.manifest.map((entry) => entry.versionId)).toEqual([newer.versionId]);
    expect(loaded.indexCrossCheck.findings).toEqual([
      expect.objectContaining({
        finding: 'newer-than-index',
        usedVersionId: newer.versionId,
        indexedVersionId: row!.versionId,
      }),
    ]);
  });

  it('counts a change once when a tampered row names another item’s key', async () => {
    await record(pullRequest(101, '2026-10-05T12:00:00.000Z'));
    const [row] = await index.queryPeriod('pull-request', '2026-10');
    const newer = await storeWithoutRow(pullRequest(101, '2026-10-05T12:00:00.000Z', { reviews: [] }));
    await index.put([{ ...row!, itemId: '555', versionId: newer.versionId, sha256: newer.sha256 }]);

    const loaded = await loadPeriodEvidence(store, index, OCTOBER);

    expect(loaded.evidence.pullRequests.map((item) => item.ref.versionId)).toEqual([newer.versionId]);
    expect(loaded.manifest.map((entry) => entry.key)).toEqual([row!.key]);
  });

  it('names an index row whose object the bucket does not hold, and does not use it', async () => {
    await record(pullRequest(101, '2026-10-05T12:00:00.000Z'));
    const [row] = await index.queryPeriod('pull-request', '2026-10');
    const ghostKey = row!.key.replace('101.json', '999.json');
    await index.put([
      { ...row!, itemId: '999', key: ghostKey, versionId: '01700000000000-000001-aaaaaaaaaaaa' },
    ]);

    const loaded = await loadPeriodEvidence(store, index, OCTOBER);

    expect(loaded.evidence.pullRequests.map((item) => item.doc.data.number)).toEqual([101]);
    expect(loaded.indexCrossCheck.findings).toEqual([
      expect.objectContaining({ finding: 'missing-from-bucket', key: ghostKey, usedVersionId: null }),
    ]);
  });

  it('names, and does not use, an unindexed object that is not a valid document or sits at another document’s key', async () => {
    const pr = pullRequest(101, '2026-10-05T12:00:00.000Z');
    await record(pr);
    const prefix = 'evidence/acme/payments-api/pull-request/2026/10';
    await store.put({
      key: `${prefix}/junk.json`,
      body: new TextEncoder().encode('not json'),
      contentType: 'text/plain',
    });
    await storeWithoutRow(pullRequest(7, '2026-10-08T12:00:00.000Z'), `${prefix}/8.json`);

    const loaded = await loadPeriodEvidence(store, index, OCTOBER);

    expect(loaded.evidence.pullRequests.map((item) => item.doc.data.number)).toEqual([101]);
    expect(loaded.indexCrossCheck.findings.map((f) => [f.finding, f.key, f.usedVersionId])).toEqual([
      ['unusable', `${prefix}/8.json`, null],
      ['unusable', `${prefix}/junk.json`, null],
    ]);
    expect(loaded.indexCrossCheck.findings[0]!.note).toContain('belongs at another key');
  });

  it('keeps the indexed version when a newer version of its key is not a valid document', async () => {
    const pr = pullRequest(101, '2026-10-05T12:00:00.000Z');
    await record(pr);
    const [row] = await index.queryPeriod('pull-request', '2026-10');
    await store.put({ key: row!.key, body: new TextEncoder().encode('{}'), contentType: 'application/json' });

    const loaded = await loadPeriodEvidence(store, index, OCTOBER);

    expect(loaded.evidence.pullRequests[0]!.ref.versionId).toBe(row!.versionId);
    expect(loaded.indexCrossCheck.findings).toEqual([
      expect.objectContaining({
        finding: 'unusable',
        usedVersionId: row!.versionId,
        indexedVersionId: row!.versionId,
      }),
    ]);
  });

  it('lists each kind, repository and month prefix once, and nothing wider', async () => {
    const pr = pullRequest(101, '2026-10-05T12:00:00.000Z');
    await record(pr, team('sre', ['dave']));
    const listed: string[] = [];
    const counting: EvidenceStore = Object.assign(Object.create(store) as EvidenceStore, {
      listCurrentVersions: (prefix: string) => {
        listed.push(prefix);
        return store.listCurrentVersions(prefix);
      },
    });

    const loaded = await loadPeriodEvidence(counting, index, OCTOBER);

    expect(new Set(listed).size).toBe(listed.length);
    expect(loaded.indexCrossCheck.prefixesListed).toBe(listed.length);
    for (const prefix of listed) expect(prefix).toMatch(/^evidence\/acme\/[^/]+\/[a-z-]+\/\d{4}\/\d{2}\/$/);
    expect(listed).toContain('evidence/acme/payments-api/pull-request/2026/10/');
    expect(listed).toContain('evidence/acme/_org/team-membership/2026/11/');
    expect(listed).not.toContain('evidence/acme/_org/pull-request/2026/10/');
    expect(listed).not.toContain('evidence/acme/payments-api/pull-request/2026/11/');
  });

  it('refuses an organisation name that would climb out of its prefix', async () => {
    await expect(loadPeriodEvidence(store, index, OCTOBER, { org: '../x' })).rejects.toMatchObject({
      field: '--org',
    });
  });
});
