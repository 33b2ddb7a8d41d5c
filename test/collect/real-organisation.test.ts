import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectBranchCommits } from '../../lambdas/collect/branch-commits.ts';
import { collect } from '../../lambdas/collect/collect.ts';
import { snapshotBranchProtection } from '../../lambdas/collect/protection.ts';
import { collectPullRequests } from '../../lambdas/collect/pull-requests.ts';
import { evaluatePeriod } from '../../lambdas/core/evaluate-period.ts';
import { shippedProfile } from '../../lambdas/core/shipped-profiles.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { loadPeriodEvidence } from '../../lambdas/pack/load-evidence.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * Evidence a real organisation needs and a tidy one never shows: commits pushed long after they
 * were made, and the other facts the verdicts read (collected through the real emulator).
 */

const OCTOBER = monthWindow('2026-10');

function latePushWorld() {
  const builder = new WorldBuilder({ start: '2026-09-20T00:00:00Z' });
  const repo = builder.repo('api');
  // Ten September merges so that the late commit sits well down the history.
  for (let day = 20; day <= 29; day++) {
    const before = repo.head();
    const mergedAt = `2026-09-${day}T10:00:00Z`;
    const pr = repo.mergePullRequest({ mergedAt });
    repo.activity({ timestamp: mergedAt, before, after: pr.mergeCommit!, activityType: 'pr_merge' });
  }
  const before = repo.head();
  // Made on 29 September, after the last September merge; pushed on 2 October.
  const late = repo.pushCommit({ message: 'quiet fix', author: 'mallory', at: '2026-09-29T16:00:00Z' });
  repo.activity({
    timestamp: '2026-10-02T09:00:00Z',
    before,
    after: late,
    activityType: 'push',
    actor: 'mallory',
  });
  const beforeMerge = repo.head();
  const pr = repo.mergePullRequest({ mergedAt: '2026-10-05T10:00:00Z' });
  repo.activity({
    timestamp: '2026-10-05T10:00:00Z',
    before: beforeMerge,
    after: pr.mergeCommit!,
    activityType: 'pr_merge',
  });
  return { world: builder.build(), late, merged: pr.mergeCommit! };
}

describe('default-branch commits are dated by when they were pushed', () => {
  let bed: CollectBed;
  let late: string;
  let merged: string;
  beforeAll(async () => {
    const built = latePushWorld();
    late = built.late;
    merged = built.merged;
    bed = await openCollectBed(built.world);
  });
  afterAll(async () => bed?.close());

  it('finds a commit made on 29 September and pushed on 2 October, and stores it as an October commit', async () => {
    const result = await collectBranchCommits(await bed.context(), bed.repo('api'), OCTOBER);
    expect(result.directPushes).toBe(1);
    const docs = await bed.documents('branch-commit');
    const stored = docs.get(`acme/api#${late}`);
    expect(stored?.occurredAt).toBe('2026-10-02T09:00:00Z');
    expect(stored?.data.commit.committedAt).toBe('2026-09-29T16:00:00Z');
    expect(stored?.data.activity?.activityType).toBe('push');
    // September's merges are not October commits.
    expect([...docs.keys()].sort()).toEqual([`acme/api#${late}`, `acme/api#${merged}`].sort());
  });
});

function checksWorld() {
  const builder = new WorldBuilder({ start: '2026-10-01T00:00:00Z' });
  builder.user('snyk', { type: 'Bot' }).user('reviewer-bot', { type: 'Bot' });
  const repo = builder.repo('api');
  repo.input.protection = {
    requiredStatusChecks: ['lint', { context: 'unit', app: 'github-actions' }],
  };
  repo.input.files = {
    'docs/CODEOWNERS': '* @acme/everyone\n',
    '.github/CODEOWNERS': '/src/auth/ @acme/security-champs\n*.tf @acme/sre\n',
    'cdk.json': '{ "app": "npx tsx bin/app.ts" }\n',
  };
  const pr = repo.mergePullRequest({
    mergedAt: '2026-10-05T10:00:00Z',
    author: 'alice',
    reviews: [{ author: 'reviewer-bot', state: 'APPROVED' }],
  });
  repo.check(pr.headSha, { name: 'unit', startedAt: '2026-10-05T09:00:00Z' });
  repo.check(pr.headSha, {
    name: 'unit',
    kind: 'status',
    app: null,
    creator: 'alice',
    conclusion: 'SUCCESS',
    startedAt: '2026-10-05T09:01:00Z',
  });
  repo.check(pr.headSha, {
    name: 'sca',
    kind: 'status',
    app: null,
    creator: 'snyk',
    conclusion: 'SUCCESS',
    startedAt: '2026-10-05T09:02:00Z',
  });
  return { world: builder.build(), number: pr.number };
}

describe('the evidence CI-PASSED and the approval rules read', () => {
  let bed: CollectBed;
  let number: number;
  beforeAll(async () => {
    const built = checksWorld();
    number = built.number;
    bed = await openCollectBed(built.world);
  });
  afterAll(async () => bed?.close());

  it('stores the app a required check is tied to, the app id of each check run, and who posted each status', async () => {
    const ctx = await bed.context();
    await snapshotBranchProtection(ctx, bed.repo('api'), '2026-10-31');
    await collectPullRequests(ctx, bed.repo('api'), OCTOBER);
    const [protection] = (await bed.documents('branch-protection')).values();
    expect(protection?.data.protection?.requiredCheckApps).toEqual([{ context: 'unit', appId: 15368 }]);
    // GitHub uses the first CODEOWNERS of .github/, the root, docs/.
    expect(protection?.data.defaultBranchFiles).toEqual({
      codeowners: { path: '.github/CODEOWNERS', text: '/src/auth/ @acme/security-champs\n*.tf @acme/sre\n' },
      cdkJsonAtRoot: true,
    });
    const pr = (await bed.documents('pull-request')).get(`acme/api#${number}`)!;
    const byKind = (name: string, kind: string) =>
      pr.data.checks.find((check) => check.name === name && check.kind === kind);
    expect(byKind('unit', 'check_run')).toMatchObject({ app: 'github-actions', appId: 15368 });
    expect(byKind('unit', 'status')?.app).toBe('alice');
    expect(byKind('unit', 'status')?.creatorType).toBeUndefined();
    expect(byKind('sca', 'status')).toMatchObject({ app: 'snyk', creatorType: 'Bot' });
    expect(pr.data.reviews[0]).toMatchObject({ author: 'reviewer-bot', authorType: 'Bot' });
  });
});

/** Collect every kind through the emulator and judge the month under both shipped profiles. */
async function judgedUnderBothProfiles(bed: CollectBed) {
  await collect(
    { store: bed.store, index: bed.index, github: bed.github, org: 'acme', clock: () => bed.now },
    { window: OCTOBER, kinds: ['pull-requests', 'commits', 'deployments', 'protection', 'teams'] },
  );
  const loaded = await loadPeriodEvidence(bed.store, bed.index, OCTOBER);
  return (['clerk-cm01', 'clicki'] as const).map((name) => {
    const shipped = shippedProfile(name);
    return evaluatePeriod({
      org: 'acme',
      window: OCTOBER,
      profile: shipped.profile,
      profileSource: shipped.source,
      toolVersion: 'test',
      evidence: loaded.evidence,
      retention: {
        store: 'local',
        location: 'local',
        immutable: true,
        versioning: 'Enabled',
        objectLock: { enabled: true, mode: 'COMPLIANCE', days: 365 },
        lifecycle: [],
        notes: [],
      },
      manifest: loaded.manifest,
    });
  });
}

function teams(builder: WorldBuilder) {
  for (const slug of ['sre', 'security-champs', 'incident-commanders', 'override-approvers'])
    builder.team(slug, ['dave']);
}

function reRunWorld() {
  const builder = new WorldBuilder({ start: '2026-10-01T00:00:00Z' });
  teams(builder);
  const repo = builder.repo('api');
  repo.input.protection = { requiredStatusChecks: ['unit', 'lint'] };
  const green = (head: string, name: string) => repo.check(head, { name, startedAt: '2026-10-05T09:00:00Z' });
  // #1: every check passed before the merge; unit re-run and lint re-posted after it, failing.
  const kept = repo.mergePullRequest({
    mergedAt: '2026-10-05T10:00:00Z',
    reviews: [{ author: 'dave', state: 'APPROVED' }],
  });
  for (const name of ['unit', 'integration', 'sca', 'sast']) green(kept.headSha, name);
  repo.check(kept.headSha, { name: 'unit', startedAt: '2026-10-05T11:00:00Z', conclusion: 'FAILURE' });
  const lint = { name: 'lint', kind: 'status' as const, app: null, creator: 'ci-bot' };
  repo.check(kept.headSha, { ...lint, conclusion: 'SUCCESS', startedAt: '2026-10-05T09:05:00Z' });
  repo.check(kept.headSha, { ...lint, conclusion: 'FAILURE', startedAt: '2026-10-05T11:05:00Z' });
  // #2: unit failed before the merge; a re-run after it passed.
  const rescued = repo.mergePullRequest({
    mergedAt: '2026-10-06T10:00:00Z',
    reviews: [{ author: 'dave', state: 'APPROVED' }],
  });
  for (const name of ['integration', 'sca', 'sast']) green(rescued.headSha, name);
  repo.check(rescued.headSha, { ...lint, conclusion: 'SUCCESS', startedAt: '2026-10-06T09:05:00Z' });
  repo.check(rescued.headSha, { name: 'unit', startedAt: '2026-10-06T09:00:00Z', conclusion: 'FAILURE' });
  repo.check(rescued.headSha, { name: 'unit', startedAt: '2026-10-06T11:00:00Z' });
  builder.user('ci-bot', { type: 'Bot' });
  return { world: builder.build(), kept: kept.number, rescued: rescued.number };
}

describe('every run of every check of the head commit is evidence (check suites, re-runs)', () => {
  let bed: CollectBed;
  let built: ReturnType<typeof reRunWorld>;
  beforeAll(async () => {
    built = reRunWorld();
    bed = await openCollectBed(built.world);
  });
  afterAll(async () => bed?.close());

  it('stores the run that passed before the merge beside the re-run after it, each with its own id', async () => {
    await collectPullRequests(await bed.context(), bed.repo('api'), OCTOBER);
    const pr = (await bed.documents('pull-request')).get(`acme/api#${built.kept}`)!;
    const units = pr.data.checks.filter((check) => check.name === 'unit');
    expect(units.map((check) => check.conclusion)).toEqual(['SUCCESS', 'FAILURE']);
    expect(new Set(units.map((check) => check.runId)).size).toBe(2);
    expect(units.every((check) => check.suiteId === units[0]!.suiteId && check.appId === 15368)).toBe(true);
    const lints = pr.data.checks.filter((check) => check.name === 'lint');
    expect(lints.map((check) => [check.conclusion, check.app, check.creatorType])).toEqual([
      ['SUCCESS', 'ci-bot', 'Bot'],
      ['FAILURE', 'ci-bot', 'Bot'],
    ]);
    expect(pr.data.completeness).toEqual([]);
  });

  it('judges CI-PASSED by the runs before the merge under both profiles: a later re-run neither erases nor rescues', async () => {
    for (const model of await judgedUnderBothProfiles(bed)) {
      const row = (number: number) => model.population.find((r) => r.prNumber === number)!;
      expect(row(built.kept).verdicts['CI-PASSED']).toBe('pass');
      expect(row(built.rescued).verdicts['CI-PASSED']).toBe('fail');
      const reason = model.exceptions.find((e) => e.control === 'CI-PASSED' && e.prNumber === built.rescued)!;
      expect(reason.reason).toContain('required check unit concluded FAILURE');
    }
  });
});

function pusherWorld() {
  const builder = new WorldBuilder({ start: '2026-10-01T00:00:00Z' });
  teams(builder);
  builder.user('bob');
  const repo = builder.repo('api');
  // Alice wrote both commits; Bob pushed the last one to her branch, then approved the PR.
  const pr = repo.mergePullRequest({
    author: 'alice',
    mergedAt: '2026-10-05T10:00:00Z',
    commits: [{ author: 'alice' }, { author: 'alice', committer: 'alice', pushedBy: 'bob' }],
    reviews: [{ author: 'bob', state: 'APPROVED' }],
  });
  // The same, pushed by Alice herself: Bob's approval counts.
  const clean = repo.mergePullRequest({
    author: 'alice',
    mergedAt: '2026-10-06T10:00:00Z',
    commits: [{ author: 'alice' }],
    reviews: [{ author: 'bob', state: 'APPROVED' }],
  });
  return { world: builder.build(), pushed: pr, clean: clean.number };
}

describe('who pushed each commit of a PR (repository activity of its head branch)', () => {
  let bed: CollectBed;
  let built: ReturnType<typeof pusherWorld>;
  beforeAll(async () => {
    built = pusherWorld();
    bed = await openCollectBed(built.world);
  });
  afterAll(async () => bed?.close());

  it('stores the pusher of every commit', async () => {
    await collectPullRequests(await bed.context(), bed.repo('api'), OCTOBER);
    const pr = (await bed.documents('pull-request')).get(`acme/api#${built.pushed.number}`)!;
    expect(pr.data.commits.map((commit) => [commit.author, commit.pushedBy])).toEqual([
      ['alice', 'alice'],
      ['alice', 'bob'],
    ]);
    expect(pr.data.completeness).toEqual([]);
  });

  it('does not count the approval of a reviewer who pushed the last commit, under both profiles', async () => {
    for (const model of await judgedUnderBothProfiles(bed)) {
      const row = (number: number) => model.population.find((r) => r.prNumber === number)!;
      expect(row(built.pushed.number).verdicts['PEER-REVIEW']).toBe('fail');
      expect(row(built.clean).verdicts['PEER-REVIEW']).toBe('pass');
    }
    // Peer review is required under Clicki (an exception), informational under Clerk v1.1.
    const [, clicki] = await judgedUnderBothProfiles(bed);
    const exception = clicki!.exceptions.find(
      (e) => e.control === 'PEER-REVIEW' && e.prNumber === built.pushed.number,
    )!;
    expect(exception.reason).toContain(`bob pushed commit ${built.pushed.headSha.slice(0, 7)}`);
  });
});
