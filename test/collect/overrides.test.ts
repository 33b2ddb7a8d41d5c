import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorldInput } from '../../emulator/world.ts';
import { collectOverrides } from '../../lambdas/collect/overrides.ts';
import { monthWindow, rangeWindow } from '../../lambdas/core/window.ts';
import { InputError } from '../../lambdas/errors.ts';
import {
  collectCleanAndFaulty,
  FULL_NAME,
  type Harness,
  openHarness,
  removeDir,
  shaOf,
  worldWith,
} from './deployments-harness.ts';

type WorldCommit = WorldInput['repos'][number]['commits'][number];

const NOW = '2026-11-01T06:00:00Z';
/** Inside the one month that rule suites and activity reach back from NOW. */
const WINDOW = rangeWindow('2026-10-05T00:00:00Z', '2026-11-01T00:00:00Z');

const ROOT = shaOf('root');
const EARLY_PUSH = shaOf('early push');
const HOTFIX = shaOf('hotfix');
const PR_HEAD = shaOf('pr head');
const MERGE = shaOf('merge of 7');
const DIRECT = shaOf('direct push');
const FORCED = shaOf('force push');

function commit(sha: string, parents: string[], message: string, author: string, time: string): WorldCommit {
  return { sha, parents, message, author, committer: author, authoredAt: time, committedAt: time };
}

function overridesWorld(options: { now?: string; plan?: 'enterprise' | 'team' } = {}): WorldInput {
  return worldWith({
    now: options.now ?? NOW,
    plan: options.plan ?? 'enterprise',
    commits: [
      commit(ROOT, [], 'Initial commit', 'alice', '2026-09-01T00:00:00Z'),
      commit(EARLY_PUSH, [ROOT], 'Early push', 'bob', '2026-10-03T09:00:00Z'),
      commit(
        HOTFIX,
        [EARLY_PUSH],
        'Hotfix payments outage\n\nJustification: customers cannot pay\nRisk: low, one line\nApproved-by: dave',
        'dave',
        '2026-10-10T11:59:00Z',
      ),
      commit(PR_HEAD, [HOTFIX], 'ENG-7 Refunds', 'erin', '2026-10-12T08:00:00Z'),
      {
        ...commit(
          MERGE,
          [HOTFIX, PR_HEAD],
          'Merge pull request #7 from acme/erin/refunds',
          'erin',
          '2026-10-12T09:00:00Z',
        ),
        committer: 'web-flow',
      },
      commit(DIRECT, [MERGE], 'Quick fix straight to main', 'bob', '2026-10-15T10:00:00Z'),
      commit(FORCED, [MERGE], 'Rewrite of the quick fix', 'bob', '2026-10-20T10:00:00Z'),
    ],
    repo: {
      rulesets: [
        {
          id: 7,
          name: 'protect-main',
          enforcement: 'active',
          target: '~DEFAULT_BRANCH',
          rules: ['pull_request'],
          bypassActors: [{ login: 'dave', mode: 'always' }],
        },
      ],
      pullRequests: [
        {
          number: 7,
          title: 'ENG-7 Refunds',
          author: 'erin',
          baseRef: 'main',
          headRef: 'erin/refunds',
          createdAt: '2026-10-12T07:00:00Z',
          closedAt: '2026-10-12T09:00:00Z',
          mergedAt: '2026-10-12T09:00:00Z',
          mergedBy: 'erin',
          mergeCommit: MERGE,
          commits: [PR_HEAD],
        },
      ],
      ruleSuites: [
        {
          id: 55,
          actor: 'dave',
          ref: 'refs/heads/main',
          beforeSha: EARLY_PUSH,
          afterSha: HOTFIX,
          pushedAt: '2026-10-10T12:00:00Z',
          result: 'bypass',
          evaluationResult: 'fail',
          ruleEvaluations: [
            { rulesetId: 7, ruleType: 'pull_request', result: 'fail', enforcement: 'active' },
          ],
        },
        {
          id: 56,
          actor: 'alice',
          ref: 'refs/heads/main',
          beforeSha: HOTFIX,
          afterSha: MERGE,
          pushedAt: '2026-10-12T09:00:00Z',
          result: 'pass',
        },
      ],
      activity: [
        {
          id: 1,
          ref: 'refs/heads/main',
          before: ROOT,
          after: EARLY_PUSH,
          timestamp: '2026-10-03T09:00:00Z',
          activityType: 'push',
          actor: 'bob',
        },
        {
          id: 2,
          ref: 'refs/heads/main',
          before: EARLY_PUSH,
          after: HOTFIX,
          timestamp: '2026-10-10T12:00:00Z',
          activityType: 'push',
          actor: 'dave',
        },
        {
          id: 3,
          ref: 'refs/heads/main',
          before: HOTFIX,
          after: MERGE,
          timestamp: '2026-10-12T09:00:00Z',
          activityType: 'pr_merge',
          actor: 'erin',
        },
        {
          id: 4,
          ref: 'refs/heads/main',
          before: MERGE,
          after: DIRECT,
          timestamp: '2026-10-15T10:00:00Z',
          activityType: 'push',
          actor: 'bob',
        },
        {
          id: 5,
          ref: 'refs/heads/main',
          before: DIRECT,
          after: FORCED,
          timestamp: '2026-10-20T10:00:00Z',
          activityType: 'force_push',
          actor: 'bob',
        },
      ],
    },
    auditLog: [
      {
        action: 'protected_branch.policy_override',
        actor: 'dave',
        repo: FULL_NAME,
        branch: 'refs/heads/main',
        createdAt: '2026-10-10T12:00:01Z',
        after: HOTFIX,
        before: EARLY_PUSH,
        reasons: [
          { code: 'review_policy_not_satisfied', message: 'At least 1 approving review is required' },
        ],
      },
      {
        action: 'protected_branch.policy_override',
        actor: 'erin',
        repo: FULL_NAME,
        branch: 'refs/heads/main',
        createdAt: '2026-10-12T09:00:00Z',
        after: MERGE,
        before: HOTFIX,
        reasons: [{ code: 'required_status_checks', message: 'Required status check "unit" is failing' }],
      },
      {
        action: 'protected_branch.policy_override',
        actor: 'dave',
        repo: 'acme/other-repo',
        branch: 'refs/heads/main',
        createdAt: '2026-10-13T09:00:00Z',
        after: shaOf('elsewhere'),
        before: ROOT,
      },
    ],
  });
}

describe('collectOverrides from every source', () => {
  let harness: Harness & { dir: string };

  beforeAll(async () => {
    harness = await openHarness(overridesWorld());
    await collectOverrides(harness.ctx, FULL_NAME, WINDOW);
  });
  afterAll(async () => {
    await harness.close();
    await removeDir(harness.dir);
  });

  it('stores one document per pushed SHA in the window, without duplicates', async () => {
    const docs = await harness.documents('override');
    const rows = await harness.index.queryRepo(FULL_NAME, { kind: 'override' });

    expect([...docs.keys()].sort()).toEqual([HOTFIX, MERGE, DIRECT, FORCED].sort());
    expect(rows).toHaveLength(4);
    expect(harness.gaps).toEqual([]);
  });

  it('merges the audit log, the bypass rule suite and the push activity of one override into one event', async () => {
    const hotfix = (await harness.documents('override')).get(HOTFIX)?.data;

    expect(hotfix?.sources).toEqual(['audit-log', 'rule-suite', 'activity']);
    expect(hotfix).toMatchObject({ branch: 'main', actor: 'dave', beforeSha: EARLY_PUSH, afterSha: HOTFIX });
    expect(hotfix?.at).toBe('2026-10-10T12:00:00.000Z');
    expect(hotfix?.reasons.map((r) => r.code)).toEqual(
      expect.arrayContaining([
        'review_policy_not_satisfied',
        'rule-suite:bypass',
        'rule:pull_request',
        'activity:push',
      ]),
    );
  });

  it('holds the commit the override pushed, with the message that must justify it', async () => {
    const hotfix = (await harness.documents('override')).get(HOTFIX)?.data;

    expect(hotfix?.commit).toMatchObject({ sha: HOTFIX, author: 'dave', parents: [EARLY_PUSH] });
    expect(hotfix?.commit?.message).toContain('Justification: customers cannot pay');
    expect(hotfix?.commit?.message).toContain('Approved-by: dave');
    expect(hotfix?.pullRequest).toBeNull();
  });

  it('links an override that merged a PR to that PR, with the PR merge activity among its sources', async () => {
    const merge = (await harness.documents('override')).get(MERGE)?.data;

    expect(merge?.sources).toEqual(['audit-log', 'activity']);
    expect(merge?.reasons.map((r) => r.code)).toContain('activity:pr_merge');
    expect(merge?.actor).toBe('erin');
    expect(merge?.pullRequest).toBe(7);
  });

  it('records direct pushes and force pushes as candidates seen by activity alone', async () => {
    const docs = await harness.documents('override');

    expect(docs.get(DIRECT)?.data).toMatchObject({ sources: ['activity'], actor: 'bob', beforeSha: MERGE });
    expect(docs.get(FORCED)?.data.reasons.map((r) => r.code)).toEqual(['activity:force_push']);
    expect(docs.get(FORCED)?.data.beforeSha).toBe(DIRECT);
  });

  it('leaves out pushes before the window and overrides of other repositories', async () => {
    const docs = await harness.documents('override');

    expect(docs.has(EARLY_PUSH)).toBe(false);
    expect(docs.has(shaOf('elsewhere'))).toBe(false);
  });

  it('writes nothing when run again over the same facts', async () => {
    const result = await collectOverrides(harness.ctx, FULL_NAME, WINDOW);

    expect(result).toEqual({ events: 4, written: 0 });
  });
});

describe('collectOverrides when a source is missing', () => {
  it('records an audit-log gap on a plan without the audit log, and still reads the other sources', async () => {
    const harness = await openHarness(overridesWorld({ plan: 'team' }));
    try {
      await collectOverrides(harness.ctx, FULL_NAME, WINDOW);
      const docs = await harness.documents('override');

      expect(harness.gaps).toEqual([expect.objectContaining({ withholds: 'audit-log', repo: FULL_NAME })]);
      expect(docs.get(HOTFIX)?.data.sources).toEqual(['rule-suite', 'activity']);
      expect(docs.has(MERGE)).toBe(false);
    } finally {
      await harness.close();
      await removeDir(harness.dir);
    }
  });

  it('records a rule-suite gap (activity reaches a year) for a window older than a month, and still reads the audit log', async () => {
    const harness = await openHarness(overridesWorld({ now: '2026-12-15T06:00:00Z' }));
    try {
      await collectOverrides(harness.ctx, FULL_NAME, monthWindow('2026-10'));
      const docs = await harness.documents('override');

      expect(harness.gaps.map((g) => g.withholds).sort()).toEqual(['rule-suites']);
      expect(harness.gaps[0]?.reason).toMatch(/one month/);
      expect([...docs.keys()]).toEqual(expect.arrayContaining([HOTFIX, MERGE]));
      // Activity of October is still within the year it reaches: it sees the push too.
      expect(docs.get(HOTFIX)?.data.sources).toEqual(['audit-log', 'activity']);
    } finally {
      await harness.close();
      await removeDir(harness.dir);
    }
  });

  it('records a rule-suite gap for the part of a window beyond its one-month reach; activity reaches a year', async () => {
    const harness = await openHarness(overridesWorld());
    try {
      await collectOverrides(harness.ctx, FULL_NAME, monthWindow('2026-10'));

      expect(harness.gaps.map((g) => g.withholds).sort()).toEqual(['rule-suites']);
      expect(harness.gaps.every((g) => g.reason.includes('2026-10-01T00:00:00.000Z'))).toBe(true);
      expect((await harness.documents('override')).has(HOTFIX)).toBe(true);
    } finally {
      await harness.close();
      await removeDir(harness.dir);
    }
  });
});

describe('collectOverrides under faults and bad input', () => {
  it('stores the same evidence through 502s and secondary rate limits as without them', async () => {
    const world = overridesWorld();
    const runs = await collectCleanAndFaulty(
      world,
      { seed: 3, rates: { '502': 0.2, secondary: 0.1 } },
      'override',
      (ctx) => collectOverrides(ctx, FULL_NAME, WINDOW),
    );
    expect(runs.faultyRequests).toBeGreaterThan(runs.cleanRequests);
    expect(runs.clean.length).toBeGreaterThan(0);
    expect(runs.faulty).toEqual(runs.clean);
  });

  it.each([
    ['another organisation', 'other/api', WINDOW, 'repo'],
    ['an empty window', FULL_NAME, { from: WINDOW.from, to: WINDOW.from }, 'window.to'],
    ['a window in the future', FULL_NAME, monthWindow('2027-01'), 'window.from'],
  ])('refuses %s, naming the field and writing nothing', async (_case, repo, window, field) => {
    const harness = await openHarness(overridesWorld());
    try {
      const requestsBefore = harness.emulator.stats().requests;

      const error = await collectOverrides(harness.ctx, repo, window).catch((e: unknown) => e);

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
