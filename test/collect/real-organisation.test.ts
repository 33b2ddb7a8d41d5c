import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectBranchCommits } from '../../lambdas/collect/branch-commits.ts';
import { snapshotBranchProtection } from '../../lambdas/collect/protection.ts';
import { collectPullRequests } from '../../lambdas/collect/pull-requests.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
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
