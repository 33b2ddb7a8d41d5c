import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { evaluatePeriod } from '../../lambdas/core/evaluate-period.ts';
import type { EvidenceItem } from '../../lambdas/core/period-evidence.ts';
import { shippedProfile } from '../../lambdas/core/shipped-profiles.ts';
import { StoreError } from '../../lambdas/errors.ts';
import type { DocumentKind } from '../../lambdas/evidence/documents.ts';
import type { EvidenceIndex, EvidenceKind, EvidenceStore } from '../../lambdas/evidence/ports.ts';
import { recordEvidence } from '../../lambdas/evidence/record.ts';
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
