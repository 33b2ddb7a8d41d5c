import { describe, expect, it } from 'vitest';
import type { WorldInput } from '../../emulator/world.ts';
import { collectEmergencyTrail } from '../../lambdas/collect/emergency-trail.ts';
import { rangeWindow } from '../../lambdas/core/window.ts';
import { InputError } from '../../lambdas/errors.ts';
import { parseEvidenceDocument } from '../../lambdas/evidence/documents.ts';
import { evidenceKey } from '../../lambdas/evidence/record.ts';
import {
  collectCleanAndFaulty,
  FULL_NAME,
  type Harness,
  openHarness,
  removeDir,
  shaOf,
  worldWith,
} from './deployments-harness.ts';

type WorldRepo = WorldInput['repos'][number];
type WorldPullRequest = NonNullable<WorldRepo['pullRequests']>[number];
type WorldCommit = WorldRepo['commits'][number];

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
/** The emergency PR's merge. */
const MERGED = Date.parse('2026-10-28T10:00:00Z');
const ROOT = shaOf('root');

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A daily run's window: the day that ends at `now`. */
function dailyWindow(now: number) {
  return rangeWindow(iso(now - DAY), iso(now));
}

interface PrSpec {
  readonly number: number;
  readonly mergedAt: number;
  readonly labels?: WorldPullRequest['labels'];
  readonly comments?: WorldPullRequest['comments'];
}

/** A world whose `main` holds one merge commit per PR, in merge order. */
function trailWorld(now: number, specs: readonly PrSpec[]): WorldInput {
  const commits: WorldCommit[] = [
    {
      sha: ROOT,
      parents: [],
      message: 'Initial commit',
      author: 'alice',
      committer: 'alice',
      authoredAt: '2026-09-01T00:00:00Z',
      committedAt: '2026-09-01T00:00:00Z',
    },
  ];
  const pullRequests: WorldPullRequest[] = [];
  let tip = ROOT;
  for (const spec of [...specs].sort((a, b) => a.mergedAt - b.mergedAt)) {
    const head = shaOf(`head of #${spec.number}`);
    const merge = shaOf(`merge of #${spec.number}`);
    const opened = iso(spec.mergedAt - 2 * HOUR);
    commits.push(
      {
        sha: head,
        parents: [tip],
        message: `Fix #${spec.number}`,
        author: 'bob',
        committer: 'bob',
        authoredAt: opened,
        committedAt: opened,
      },
      {
        sha: merge,
        parents: [tip, head],
        message: `Merge pull request #${spec.number}`,
        author: 'bob',
        committer: 'bob',
        authoredAt: iso(spec.mergedAt),
        committedAt: iso(spec.mergedAt),
      },
    );
    tip = merge;
    pullRequests.push({
      number: spec.number,
      title: `INC-${spec.number} Restore payments`,
      body: 'Payments are down.',
      author: 'bob',
      baseRef: 'main',
      headRef: `bob/fix-${spec.number}`,
      createdAt: opened,
      closedAt: iso(spec.mergedAt),
      mergedAt: iso(spec.mergedAt),
      mergedBy: 'bob',
      mergeCommit: merge,
      commits: [head],
      labels: spec.labels ?? [],
      comments: spec.comments ?? [],
    });
  }
  return worldWith({ now: iso(now), commits, repo: { pullRequests } });
}

const EMERGENCY_LABEL = [{ name: 'emergency-change', addedBy: 'erin', addedAt: iso(MERGED - HOUR) }];
const RETROSPECTIVE = {
  author: 'erin',
  createdAt: iso(MERGED + 2 * HOUR),
  body: 'Retrospective: card processor timeout',
};
const POST_MORTEM = {
  author: 'erin',
  createdAt: iso(MERGED + 4 * DAY),
  body: 'Post-mortem: https://wiki.example.com/pm/42',
};

/** The emergency PR #42 and its neighbours, as GitHub shows them at `now`. */
function specsAt(now: number): PrSpec[] {
  return [
    {
      number: 42,
      mergedAt: MERGED,
      labels: EMERGENCY_LABEL,
      comments: [RETROSPECTIVE, POST_MORTEM].filter((c) => Date.parse(c.createdAt) <= now),
    },
    // Not an emergency change: the trail leaves it to the pull-request collector.
    { number: 43, mergedAt: MERGED + 30 * 60_000 },
    // Labelled before merge and unlabelled afterwards: still an emergency change.
    {
      number: 44,
      mergedAt: MERGED + 2 * HOUR,
      labels: [
        {
          name: 'Emergency-Change',
          addedBy: 'erin',
          addedAt: iso(MERGED + HOUR),
          removedAt: iso(MERGED + 3 * HOUR),
        },
      ],
    },
    // An emergency change merged six days earlier than #42: beyond the five-day tail of later runs.
    {
      number: 40,
      mergedAt: MERGED - 6 * DAY,
      labels: [{ name: 'emergency-change', addedBy: 'erin', addedAt: iso(MERGED - 6 * DAY - HOUR) }],
    },
  ];
}

async function readVersions(harness: Harness, key: string) {
  const versions = await harness.store.listVersions(key);
  return Promise.all(
    versions.map(async (v) =>
      parseEvidenceDocument(
        'pull-request',
        JSON.parse(new TextDecoder().decode((await harness.store.get(key, v.versionId)).body)),
      ),
    ),
  );
}

const KEY_42 = evidenceKey('pull-request', FULL_NAME, iso(MERGED), '42');

describe('collectEmergencyTrail', () => {
  it('captures a post-mortem posted four days after merge as a new version, keeping the first one readable', async () => {
    const firstRun = MERGED + DAY;
    const laterRun = MERGED + 4.5 * DAY;
    const first = await openHarness(trailWorld(firstRun, specsAt(firstRun)));
    await collectEmergencyTrail(first.ctx, FULL_NAME, dailyWindow(firstRun));
    await first.close();
    const later = await openHarness(trailWorld(laterRun, specsAt(laterRun)), { dir: first.dir });
    try {
      const result = await collectEmergencyTrail(later.ctx, FULL_NAME, dailyWindow(laterRun));
      const [newest, earliest] = await readVersions(later, KEY_42);

      expect(result.written).toBe(1);
      expect(newest?.data.comments.map((c) => c.body)).toEqual([RETROSPECTIVE.body, POST_MORTEM.body]);
      expect(earliest?.data.comments.map((c) => c.body)).toEqual([RETROSPECTIVE.body]);
      expect(newest?.data.labelEvents.map((e) => [e.name, e.action, e.actor, Date.parse(e.at)])).toEqual([
        ['emergency-change', 'added', 'erin', MERGED - HOUR],
      ]);
      expect(await later.store.listVersions(KEY_42)).toHaveLength(2);
    } finally {
      await later.close();
      await removeDir(first.dir);
    }
  });

  it('writes nothing when nothing changed since the last run', async () => {
    const now = MERGED + 4.5 * DAY;
    const harness = await openHarness(trailWorld(now, specsAt(now)));
    try {
      await collectEmergencyTrail(harness.ctx, FULL_NAME, dailyWindow(now));
      const again = await collectEmergencyTrail(harness.ctx, FULL_NAME, dailyWindow(now));

      expect(again.pullRequests).toBeGreaterThan(0);
      expect(again.written).toBe(0);
      expect(await harness.store.listVersions(KEY_42)).toHaveLength(1);
    } finally {
      await harness.close();
      await removeDir(harness.dir);
    }
  });

  it('re-reads only emergency PRs — also one unlabelled after merge — merged within five days before the window', async () => {
    const now = MERGED + 4.5 * DAY;
    const harness = await openHarness(trailWorld(now, specsAt(now)));
    try {
      const result = await collectEmergencyTrail(harness.ctx, FULL_NAME, dailyWindow(now));
      const docs = await harness.documents('pull-request');

      expect([...docs.keys()].sort()).toEqual(['42', '44']);
      expect(result.emergencyPullRequests).toBe(2);
      expect(docs.get('44')?.data.labelEvents.map((e) => e.action)).toEqual(['added', 'removed']);
    } finally {
      await harness.close();
      await removeDir(harness.dir);
    }
  });

  it('reads the label the profile names', async () => {
    const now = MERGED + DAY;
    const specs: PrSpec[] = [
      {
        number: 42,
        mergedAt: MERGED,
        labels: [{ name: 'hotfix', addedBy: 'erin', addedAt: iso(MERGED - HOUR) }],
      },
      { number: 43, mergedAt: MERGED + HOUR, labels: EMERGENCY_LABEL },
    ];
    const harness = await openHarness(trailWorld(now, specs));
    try {
      await collectEmergencyTrail(harness.ctx, FULL_NAME, dailyWindow(now), { label: 'hotfix' });

      expect([...(await harness.documents('pull-request')).keys()]).toEqual(['42']);
    } finally {
      await harness.close();
      await removeDir(harness.dir);
    }
  });

  it('stores the same evidence through 502s and secondary rate limits as without them', async () => {
    const now = MERGED + 4.5 * DAY;
    const world = trailWorld(now, specsAt(now));
    const runs = await collectCleanAndFaulty(
      world,
      { seed: 11, rates: { '502': 0.25, secondary: 0.1 } },
      'pull-request',
      (ctx) => collectEmergencyTrail(ctx, FULL_NAME, dailyWindow(now)),
    );
    expect(runs.faultyRequests).toBeGreaterThan(runs.cleanRequests);
    expect(runs.clean.length).toBeGreaterThan(0);
    expect(runs.faulty).toEqual(runs.clean);
  });

  it.each([
    ['an empty label', FULL_NAME, { label: ' ' }, 'label'],
    ['another organisation', 'other/api', {}, 'repo'],
  ])('refuses %s, naming the field and writing nothing', async (_case, repo, options, field) => {
    const now = MERGED + DAY;
    const harness = await openHarness(trailWorld(now, specsAt(now)));
    try {
      const requestsBefore = harness.emulator.stats().requests;

      const error = await collectEmergencyTrail(harness.ctx, repo, dailyWindow(now), options).catch(
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).field).toBe(field);
      expect(harness.emulator.stats().requests).toBe(requestsBefore);
      expect(await harness.store.listKeys('evidence/')).toEqual([]);
    } finally {
      await harness.close();
      await removeDir(harness.dir);
    }
  });
});
