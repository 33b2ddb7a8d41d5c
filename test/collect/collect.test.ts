import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../../emulator/world.ts';
import { createGitHubClient, GitHubAuthError } from '../../lambdas/adapters/github/client.ts';
import { LocalEvidenceIndex } from '../../lambdas/adapters/local-index.ts';
import { LocalEvidenceStore } from '../../lambdas/adapters/local-store.ts';
import { type CollectDeps, collect, collectRepository } from '../../lambdas/collect/collect.ts';
import type { CollectKind } from '../../lambdas/collect/context.ts';
import { monthWindow, rangeWindow } from '../../lambdas/core/window.ts';
import { InputError, StoreError } from '../../lambdas/errors.ts';
import type { EvidenceStore, PutObjectInput, PutResult } from '../../lambdas/evidence/ports.ts';
import { addMinutes, WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, evidenceFingerprint, openCollectBed } from './harness.ts';

/**
 * The collection use-case end to end: the real GitHub emulator over HTTP, the real client, a
 * local evidence store in a temporary directory.
 */

const OCTOBER = monthWindow('2026-10');
const CHANGE_KINDS: CollectKind[] = ['pull-requests', 'commits', 'protection', 'teams'];
const FINGERPRINT_KINDS = ['pull-request', 'branch-commit', 'branch-protection', 'team-membership'] as const;

interface Expected {
  /** `repo#number` of every PR merged into a default branch in October. */
  pullRequests: string[];
  /** `repo#sha` of every default-branch commit dated in October. */
  commits: string[];
  directPush: string;
}

/** Two repositories: PR merges with `pr_merge` activity, a direct push, and PRs that must not count. */
function buildWorld(): { world: World; expected: Expected } {
  const builder = new WorldBuilder({ start: '2026-09-25T00:00:00Z' });
  builder
    .team('security-champs', ['carol'])
    .team('sre', ['dave', 'erin'])
    .team('incident-commanders', ['erin']);
  const pullRequests: string[] = [];
  const commits: string[] = [];
  let directPush = '';
  for (const name of ['api', 'web']) {
    const repo = builder.repo(name);
    repo.protect({
      requiredStatusChecks: ['unit', 'sast'],
      requiredApprovingReviewCount: 1,
      requireSignedCommits: true,
      enforceAdmins: true,
    });
    repo.ruleset({
      id: name === 'api' ? 7 : 8,
      name: 'protect-main',
      enforcement: 'active',
      target: '~DEFAULT_BRANCH',
      rules: ['pull_request', 'required_signatures'],
      bypassActors: [{ login: 'dave', mode: 'pull_request' }],
    });
    // Merged in September: outside the window.
    repo.mergePullRequest({ mergedAt: '2026-09-28T12:00:00Z' });
    for (let day = 3; day <= 27; day += 3) {
      const before = repo.head();
      const mergedAt = `2026-10-${String(day).padStart(2, '0')}T10:00:00Z`;
      const pr = repo.mergePullRequest({
        mergedAt,
        commits: 2,
        reviews: [{ author: 'bob', state: 'APPROVED' }],
        labels: day === 9 ? [{ name: 'security', addedBy: 'carol', addedAt: mergedAt, removedAt: null }] : [],
        comments: [{ author: 'erin', createdAt: addMinutes(mergedAt, 60), body: 'retrospective done' }],
      });
      repo.check(pr.headSha, { name: 'unit', startedAt: addMinutes(mergedAt, -8) });
      repo.check(pr.headSha, { name: 'sast', startedAt: addMinutes(mergedAt, -8) });
      repo.activity({
        timestamp: mergedAt,
        before,
        after: pr.mergeCommit as string,
        activityType: 'pr_merge',
        actor: 'octocat',
      });
      pullRequests.push(`acme/${name}#${pr.number}`);
      commits.push(`acme/${name}#${pr.mergeCommit}`);
      if (name === 'api' && day === 15) {
        const pushBefore = repo.head();
        const pushedAt = '2026-10-16T08:00:00Z';
        const sha = repo.pushCommit({
          message: 'hotfix straight to main',
          author: 'dave',
          at: pushedAt,
          signature: false,
        });
        repo.activity({
          timestamp: pushedAt,
          before: pushBefore,
          after: sha,
          activityType: 'push',
          actor: 'dave',
        });
        commits.push(`acme/${name}#${sha}`);
        directPush = sha;
      }
    }
    // Merged into another branch, and one still open: neither is a change to the default branch.
    repo.pushCommit({ branch: 'release', parents: [repo.head()], message: 'cut release' });
    repo.mergePullRequest({ mergedAt: '2026-10-20T10:00:00Z', base: 'release' });
    repo.mergePullRequest({ mergedAt: null });
    // Merged after the window.
    const lateBefore = repo.head();
    const late = repo.mergePullRequest({ mergedAt: '2026-10-31T23:59:59Z' });
    pullRequests.push(`acme/${name}#${late.number}`);
    commits.push(`acme/${name}#${late.mergeCommit}`);
    repo.activity({
      timestamp: '2026-10-31T23:59:59Z',
      before: lateBefore,
      after: late.mergeCommit as string,
      activityType: 'pr_merge',
    });
    repo.mergePullRequest({ mergedAt: '2026-11-01T00:00:00Z' });
  }
  return {
    world: builder.build(),
    expected: { pullRequests: pullRequests.sort(), commits: commits.sort(), directPush },
  };
}

function depsOf(bed: CollectBed, store: EvidenceStore = bed.store, index = bed.index): CollectDeps {
  return { store, index, github: bed.github, org: 'acme', clock: () => bed.now };
}

describe('collect on a two-repository organisation', () => {
  const { world, expected } = buildWorld();
  let bed: CollectBed;

  beforeAll(async () => {
    bed = await openCollectBed(world);
  });
  afterAll(async () => {
    await bed.close();
  });

  it('stores every merged PR and every default-branch commit of the window, and finds the direct push', async () => {
    const summary = await collect(depsOf(bed), { window: OCTOBER, kinds: CHANGE_KINDS });

    expect(summary.status).toBe('succeeded');
    const pullRequests = await bed.documents('pull-request');
    expect([...pullRequests.keys()].sort()).toEqual(expected.pullRequests);
    const commits = await bed.documents('branch-commit');
    expect([...commits.keys()].sort()).toEqual(expected.commits);
    const push = commits.get(`acme/api#${expected.directPush}`);
    expect(push?.data.activity?.activityType).toBe('push');
    expect(push?.data.activity?.actor).toBe('dave');
    expect(push?.data.associatedPullRequests).toEqual([]);
    const pushEntry = (await bed.entries('branch-commit')).find(
      (entry) => entry.itemId === expected.directPush,
    );
    expect(pushEntry?.attributes?.directPush).toBe(true);
    const merged = [...commits.values()].filter((doc) => doc.data.activity?.activityType === 'pr_merge');
    expect(merged.length).toBeGreaterThan(10);
    for (const doc of merged) expect(doc.data.associatedPullRequests.length).toBeGreaterThan(0);
    expect(summary.counts['pull-request']).toBe(expected.pullRequests.length);
  });

  it('keeps what each PR document must hold: reviews, checks of the head commit, labels, comments, provenance', async () => {
    const pullRequests = await bed.documents('pull-request');
    const labelled = [...pullRequests.values()].find((doc) => doc.data.labels.includes('security'));
    expect(labelled).toBeDefined();
    const data = labelled?.data;
    expect(data?.reviews.map((review) => [review.author, review.state])).toEqual([['bob', 'APPROVED']]);
    expect(data?.checks.map((check) => check.name).sort()).toEqual(['sast', 'unit']);
    expect(data?.checks.every((check) => check.commitSha === data.headSha)).toBe(true);
    expect(data?.labelEvents).toEqual([
      { name: 'security', action: 'added', actor: 'carol', at: data?.mergedAt },
    ]);
    expect(data?.comments[0]?.body).toBe('retrospective done');
    expect(data?.commits).toHaveLength(2);
    expect(data?.completeness).toEqual([]);
    expect(labelled?.provenance.source).toBe('github-graphql');
    expect(labelled?.provenance.request).toMatch(
      /^GraphQL MergedPullRequests sha256:[0-9a-f]{64}(; (GET \/repos\/[^;]+|GraphQL \w+ sha256:[0-9a-f]{64}))*$/,
    );
    expect(labelled?.provenance.tokenIdentity).toBe('octocat-emulator');
  });

  it('snapshots protection and teams, and records a missing team as a gap', async () => {
    const protection = await bed.documents('branch-protection');
    const api = protection.get('acme/api#2026-11-01');
    expect(api?.data.protection?.requiredStatusChecks).toEqual(['sast', 'unit']);
    expect(api?.data.rulesets[0]?.bypassActors).toEqual([{ actor: 'dave', mode: 'pull_request' }]);
    expect(api?.data.rulesets[0]?.rules.map((rule) => rule.type)).toEqual([
      'pull_request',
      'required_signatures',
    ]);
    const teams = await bed.documents('team-membership');
    expect(teams.get('acme#sre@2026-11-01')?.data.members).toEqual(['dave', 'erin']);
    const runs = await bed.documents('collection-run');
    const run = [...runs.values()][0];
    expect(
      run?.data.gaps.some(
        (gap) => gap.withholds === 'team-membership' && gap.reason.includes('override-approvers'),
      ),
    ).toBe(true);
  });

  it('writes nothing new when run again over the same window', async () => {
    const before = await evidenceFingerprint(bed.index, ['acme/api', 'acme/web', 'acme'], FINGERPRINT_KINDS);

    const summary = await collect(depsOf(bed), { window: OCTOBER, kinds: CHANGE_KINDS });

    expect(summary.counts).toEqual({});
    expect(summary.unchanged['branch-commit']).toBe(expected.commits.length);
    expect(await evidenceFingerprint(bed.index, ['acme/api', 'acme/web', 'acme'], FINGERPRINT_KINDS)).toEqual(
      before,
    );
  });

  it('reads only what changed since the cursor: one search per repository and one for the organisation, nothing to follow up', async () => {
    const before = bed.github.cost;

    const summary = await collect(depsOf(bed), { window: OCTOBER, kinds: ['pull-requests'] });

    expect(summary.counts).toEqual({});
    // Per repository one empty search for changed PRs, and for the organisation one for emergency
    // PRs whose trail is still open (none here); the organisation's repositories, unchanged since
    // the last run, come back 304 to the client's If-None-Match, which GitHub does not count.
    expect(bed.github.cost.requests - before.requests).toBe(3);
    expect(bed.github.cost.notModified - before.notModified).toBe(1);
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'cm01-refuse-'));
    try {
      const store = new LocalEvidenceStore({ dir: empty });
      const index = new LocalEvidenceIndex({ dir: empty });
      const deps = depsOf(bed, store, index);
      expect(() => monthWindow('2026-13')).toThrow(InputError);
      expect(() => rangeWindow('2026-10-10', '2026-10-01')).toThrow(/--to/);
      await expect(collect(deps, { window: monthWindow('2026-12') })).rejects.toMatchObject({
        field: '--from',
      });
      await expect(collect(deps, { window: OCTOBER, repos: ['api', 'nope'] })).rejects.toMatchObject({
        field: 'repos',
        message: expect.stringContaining('acme/nope'),
      });
      await expect(
        collect(deps, { window: OCTOBER, kinds: ['commits', 'gossip' as CollectKind] }),
      ).rejects.toMatchObject({ field: 'kinds' });
      const badToken = createGitHubClient({
        baseUrl: bed.emulator.url,
        auth: { kind: 'token', token: 'tkn-wrongwrongwrong' },
      });
      const refused = await collect({ ...deps, github: badToken }, { window: OCTOBER }).catch(
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(GitHubAuthError);
      expect((refused as Error).message).toContain('GITHUB_TOKEN');
      expect((refused as Error).message).not.toContain('tkn-wrongwrongwrong');
      expect(await store.listKeys('')).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

/** A store that fails every write after the first `limit`, as a process killed mid-run would. */
function failingAfter(store: EvidenceStore, limit: number): EvidenceStore {
  let puts = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'put') {
        return async (input: PutObjectInput): Promise<PutResult> => {
          puts += 1;
          if (puts > limit) throw new StoreError('killed');
          return target.put(input);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

describe('interrupted and faulty runs', () => {
  const { world } = buildWorld();
  const repos = ['acme/api', 'acme/web', 'acme'];
  let reference: Record<string, string>;

  beforeAll(async () => {
    const bed = await openCollectBed(world);
    try {
      await collect(depsOf(bed), { window: OCTOBER, kinds: CHANGE_KINDS });
      reference = await evidenceFingerprint(bed.index, repos, FINGERPRINT_KINDS);
    } finally {
      await bed.close();
    }
  });

  it('ends with the same evidence when a run stopped after one repository is started again', async () => {
    const bed = await openCollectBed(world);
    try {
      await collectRepository(depsOf(bed), 'api', { window: OCTOBER, kinds: CHANGE_KINDS });
      await collect(depsOf(bed), { window: OCTOBER, kinds: CHANGE_KINDS });
      expect(await evidenceFingerprint(bed.index, repos, FINGERPRINT_KINDS)).toEqual(reference);
    } finally {
      await bed.close();
    }
  });

  it('ends with the same evidence when a run killed after 7 writes is started again', async () => {
    const bed = await openCollectBed(world);
    try {
      const killed = await collect(depsOf(bed, failingAfter(bed.store, 7)), {
        window: OCTOBER,
        kinds: CHANGE_KINDS,
      }).catch((error: unknown) => error);
      expect(killed).toBeInstanceOf(Error);
      expect(Object.keys(await evidenceFingerprint(bed.index, repos, FINGERPRINT_KINDS)).length).toBe(7);

      await collect(depsOf(bed), { window: OCTOBER, kinds: CHANGE_KINDS });

      expect(await evidenceFingerprint(bed.index, repos, FINGERPRINT_KINDS)).toEqual(reference);
    } finally {
      await bed.close();
    }
  });

  it('survives 10% 502s and secondary rate limits with identical evidence', async () => {
    const bed = await openCollectBed(world, {
      faults: { seed: 7, rates: { '502': 0.1, secondary: 0.05 }, retryAfterSeconds: 1 },
    });
    try {
      const summary = await collect(depsOf(bed), { window: OCTOBER, kinds: CHANGE_KINDS });
      expect(summary.errors).toEqual([]);
      expect(bed.emulator.stats().faults).toBeGreaterThan(0);
      expect(await evidenceFingerprint(bed.index, repos, FINGERPRINT_KINDS)).toEqual(reference);
    } finally {
      await bed.close();
    }
  });
});
