import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalEvidenceIndex } from '../../lambdas/adapters/local-index.ts';
import { LocalEvidenceStore } from '../../lambdas/adapters/local-store.ts';
import { evaluatePeriod } from '../../lambdas/core/evaluate-period.ts';
import { buildPeriodFacts } from '../../lambdas/core/facts.ts';
import { shippedProfile } from '../../lambdas/core/shipped-profiles.ts';
import {
  MISSED_NIGHTS_TOLERATED,
  SNAPSHOT_LOOKBACK_DAYS,
  SNAPSHOT_REFRESH_DAYS,
} from '../../lambdas/evidence/snapshot-cadence.ts';
import { loadPeriodEvidence } from '../../lambdas/pack/load-evidence.ts';
import {
  datedSnapshotCases,
  MERGES,
  Nights,
  OCTOBER,
  protectionKey,
  type Settings,
  STRONG,
  TEAM_SLUGS,
  TEAMS,
  teamKey,
} from './dated-snapshots.scenario.ts';

/** Dated snapshots on the local store (see dated-snapshots.scenario.ts; the S3 + DynamoDB run is in test/e2e). */

const DAY_MS = 86_400_000;
const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cm01-dated-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function openLocal() {
  const dir = await freshDir();
  return {
    store: new LocalEvidenceStore({ dir }),
    index: new LocalEvidenceIndex({ dir }),
    async emptyIndexOver() {
      return new LocalEvidenceIndex({ dir: await freshDir() });
    },
  };
}

const days = (from: string, to: string): string[] => {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
};

const RETENTION = {
  store: 'local',
  location: 'local',
  immutable: true,
  versioning: 'Enabled',
  objectLock: { enabled: true, mode: 'COMPLIANCE', days: 365 },
  lifecycle: [],
  notes: [],
} as const;

describe('dated snapshots on the local store', () => {
  datedSnapshotCases(openLocal);
});

describe('a month of nightly collection, judged from the sparse snapshots it stored', () => {
  // Protection weakened on 10 October (the e2e check no longer required); a member joins the SRE
  // team on 12 October. Every night from 1 October to 1 November runs.
  const WEAK = { ...STRONG, requiredStatusChecks: ['unit'] };
  const settingsOn = (day: string): Settings => ({
    ...(day >= '2026-10-10' ? { protection: WEAK } : {}),
    ...(day >= '2026-10-12' ? { teams: { sre: [...TEAMS.sre, 'mallory'] } } : {}),
  });

  it('stores a snapshot per change and a weekly restatement, and judges each change against the one in force', async () => {
    const stores = await openLocal();
    const nights = new Nights(stores);
    const written: string[] = [];
    try {
      for (const day of days('2026-10-01', '2026-11-01')) {
        const night = await nights.night(day, settingsOn(day));
        written.push(...night.newVersions);
        expect(night.summary.status).toBe('succeeded');
        // Every night verifies every snapshot: written or counted unchanged.
        expect(
          (night.recorded['branch-protection.written'] ?? 0) +
            (night.recorded['branch-protection.unchanged'] ?? 0),
        ).toBe(2);
        expect(
          (night.recorded['team-membership.written'] ?? 0) +
            (night.recorded['team-membership.unchanged'] ?? 0),
        ).toBe(4);
      }
      await nights.night('2026-11-01', settingsOn('2026-11-01'), {
        kinds: ['pull-requests', 'commits'],
        window: OCTOBER,
      });
    } finally {
      await nights.close();
    }

    const api = ['2026-10-01', '2026-10-08', '2026-10-10', '2026-10-17', '2026-10-24', '2026-10-31'];
    const web = ['2026-10-01', '2026-10-08', '2026-10-15', '2026-10-22', '2026-10-29'];
    const sre = ['2026-10-01', '2026-10-08', '2026-10-12', '2026-10-19', '2026-10-26'];
    expect(written.sort()).toEqual(
      [
        ...api.map((day) => protectionKey('api', day)),
        ...web.map((day) => protectionKey('web', day)),
        ...sre.map((day) => teamKey('sre', day)),
        ...TEAM_SLUGS.filter((slug) => slug !== 'sre').flatMap((slug) =>
          web.map((day) => teamKey(slug, day)),
        ),
        // The November night's pull requests and commits.
        ...written.filter(
          (key) => !key.includes('/branch-protection/') && !key.includes('/team-membership/'),
        ),
      ].sort(),
    );
    // 32 nights: 6 + 5 protection and 5 + 3 × 5 team snapshots instead of 64 + 128.
    expect(written.filter((key) => key.includes('/branch-protection/'))).toHaveLength(11);

    const loaded = await loadPeriodEvidence(stores.store, stores.index, OCTOBER);
    const facts = buildPeriodFacts(loaded.evidence, OCTOBER, [], []);
    const protectionDay = (at: string) => {
      const chosen = facts.protectionAt('acme/api', at);
      return {
        day: chosen?.doc.itemId,
        takenAfter: chosen?.takenAfter,
        checks: chosen?.doc.data.protection?.requiredStatusChecks,
      };
    };
    expect(MERGES.map(protectionDay)).toEqual([
      { day: '2026-10-01', takenAfter: false, checks: ['e2e', 'unit'] },
      { day: '2026-10-08', takenAfter: false, checks: ['e2e', 'unit'] },
      { day: '2026-10-10', takenAfter: false, checks: ['unit'] },
      { day: '2026-10-17', takenAfter: false, checks: ['unit'] },
    ]);
    // The team as it stood: before the 12th without mallory, after it with.
    expect(facts.teamAt('sre', '2026-10-11T23:00:00Z')?.members.has('mallory')).toBe(false);
    expect(facts.teamAt('sre', '2026-10-12T10:00:00Z')?.members.has('mallory')).toBe(true);
    expect(facts.teamAt('sre', '2026-10-20T10:00:00Z')?.description).toContain('2026-10-19');

    // The verdicts: the e2e check was required until the 10th, so the two earlier merges fail.
    const profile = shippedProfile('clerk-cm01');
    const model = evaluatePeriod({
      org: 'acme',
      window: OCTOBER,
      profile: profile.profile,
      profileSource: profile.source,
      toolVersion: 'test',
      evidence: loaded.evidence,
      retention: RETENTION,
      manifest: loaded.manifest,
    });
    const verdicts = model.population
      .filter((row) => row.repo === 'acme/api' && row.changeType === 'pull_request')
      .sort((a, b) => a.mergedAt.localeCompare(b.mergedAt))
      .map((row) => [row.mergedAt, row.verdicts['CI-PASSED']]);
    expect(verdicts).toEqual([
      [MERGES[0], 'fail'],
      [MERGES[1], 'fail'],
      [MERGES[2], 'pass'],
      [MERGES[3], 'pass'],
    ]);
    const reasons = model.exceptions.filter((row) => row.control === 'CI-PASSED');
    expect(reasons.map((row) => row.reason).join('\n')).toContain('e2e');
  });
});

describe('the pack finds the snapshot in force at a window start after missed nights', () => {
  it(`ties the refresh (${SNAPSHOT_REFRESH_DAYS} days) to the pack's look-back (${SNAPSHOT_LOOKBACK_DAYS} days) with room for ${MISSED_NIGHTS_TOLERATED} missed nights`, () => {
    expect(SNAPSHOT_LOOKBACK_DAYS).toBeGreaterThan(SNAPSHOT_REFRESH_DAYS);
    expect(MISSED_NIGHTS_TOLERATED).toBeGreaterThanOrEqual(14);
  });

  // The snapshot is written, the nights of the following six days find it unchanged (less than a
  // week old) and write nothing, then no night runs until after the window started. With
  // MISSED_NIGHTS_TOLERATED nights missed the pack finds it; one more, and no snapshot is in force.
  for (const missed of [MISSED_NIGHTS_TOLERATED, MISSED_NIGHTS_TOLERATED + 1]) {
    it(`${missed === MISSED_NIGHTS_TOLERATED ? 'finds' : 'cannot find'} the snapshot in force after ${missed} nights missed before the window`, async () => {
      const lastNight = new Date(Date.parse(OCTOBER.from) - (missed + 1) * DAY_MS).toISOString().slice(0, 10);
      const lastWrite = new Date(Date.parse(lastNight) - (SNAPSHOT_REFRESH_DAYS - 1) * DAY_MS)
        .toISOString()
        .slice(0, 10);
      await expectFoundAtWindowStart(lastWrite, lastNight, missed === MISSED_NIGHTS_TOLERATED);
    });
  }

  async function expectFoundAtWindowStart(lastWrite: string, lastNight: string, found: boolean) {
    const stores = await openLocal();
    const nights = new Nights(stores);
    try {
      const first = await nights.night(lastWrite);
      expect(first.newVersions).toContain(protectionKey('api', lastWrite));
      for (const day of days(lastWrite, lastNight).slice(1)) {
        expect((await nights.night(day)).newVersions).toEqual([]);
      }
      await nights.night(
        '2026-11-01',
        {},
        {
          kinds: ['pull-requests', 'commits'],
          window: OCTOBER,
        },
      );
    } finally {
      await nights.close();
    }
    const loaded = await loadPeriodEvidence(stores.store, stores.index, OCTOBER);
    const facts = buildPeriodFacts(loaded.evidence, OCTOBER, [], []);
    const chosen = facts.protectionAt('acme/api', MERGES[0]);
    if (found) {
      expect(chosen?.doc.itemId).toBe(lastWrite);
      expect(chosen?.takenAfter).toBe(false);
    } else {
      expect(chosen).toBeUndefined();
    }
  }
});
