import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { linkOf, restGet } from './http.ts';
import { addMinutes, shaOf, WorldBuilder } from './world-builder.ts';

const NOW = '2026-11-01T06:00:00Z';

function buildWorld(plan: 'enterprise' | 'team') {
  const world = new WorldBuilder({ now: NOW, plan });
  world.user('alice').user('dave').user('deploy-bot', { type: 'Bot' }).team('sre', ['dave', 'alice']);
  const repo = world.repo('payments-api');
  repo.protect({
    requiredStatusChecks: ['unit'],
    requiredApprovingReviewCount: 1,
    requireSignedCommits: true,
    enforceAdmins: true,
  });
  repo.ruleset({
    id: 7,
    name: 'protect-main',
    enforcement: 'active',
    target: '~DEFAULT_BRANCH',
    rules: ['pull_request', 'required_signatures'],
    bypassActors: [{ login: 'dave', mode: 'pull_request' }],
  });
  repo.ruleset({ id: 8, name: 'trial', enforcement: 'evaluate', rules: ['required_linear_history'] });
  const pr = repo.mergePullRequest({ number: 10, author: 'alice', mergedAt: '2026-10-05T10:00:00Z' });
  // 45 deployments, one a day back from Oct 31, and one after `now` that must not exist yet.
  for (let day = 0; day < 45; day++) {
    const createdAt = addMinutes('2026-10-31T12:00:00Z', -day * 24 * 60);
    repo.deployment({
      id: 1000 + day,
      sha: pr.mergeCommit as string,
      createdAt,
      performedViaApp: 'github-actions',
      statuses: [
        {
          state: 'in_progress',
          createdAt: addMinutes(createdAt, 1),
          creator: 'deploy-bot',
          logUrl: `https://github.com/acme/payments-api/actions/runs/${5000 + day}`,
        },
        {
          state: 'success',
          createdAt: addMinutes(createdAt, 3),
          creator: 'deploy-bot',
          logUrl: `https://github.com/acme/payments-api/actions/runs/${5000 + day}`,
        },
      ],
    });
  }
  repo.deployment({ id: 2000, createdAt: '2026-11-01T07:00:00Z' });
  repo.workflowRun({
    id: 5000,
    createdAt: '2026-10-31T11:58:00Z',
    actor: 'dave',
    jobs: [
      {
        name: 'build',
        status: 'completed',
        conclusion: 'success',
        startedAt: '2026-10-31T11:58:30Z',
        completedAt: '2026-10-31T11:59:30Z',
      },
      {
        name: 'deploy',
        status: 'completed',
        conclusion: 'success',
        startedAt: '2026-10-31T12:00:00Z',
        completedAt: '2026-10-31T12:03:00Z',
      },
    ],
  });
  // Rule suites and activity: inside the month, just outside it, and after `now`.
  repo.ruleSuite({
    id: 1,
    actor: 'dave',
    pushedAt: '2026-10-20T10:00:00Z',
    result: 'bypass',
    evaluationResult: 'fail',
  });
  repo.ruleSuite({ id: 2, actor: 'alice', pushedAt: '2026-10-21T10:00:00Z', result: 'pass' });
  repo.ruleSuite({ id: 3, actor: 'dave', pushedAt: '2026-09-30T10:00:00Z', result: 'bypass' });
  repo.ruleSuite({ id: 4, actor: 'dave', pushedAt: '2026-11-01T07:00:00Z', result: 'bypass' });
  for (let i = 0; i < 5; i++) {
    repo.activity({
      id: 100 + i,
      timestamp: `2026-10-2${i}T10:00:00Z`,
      activityType: i === 0 ? 'force_push' : 'push',
      actor: 'dave',
    });
  }
  repo.activity({ id: 200, timestamp: '2026-09-15T10:00:00Z' });
  repo.activity({ id: 201, timestamp: '2026-11-02T10:00:00Z' });
  const override = (createdAt: string, actor: string, repoName = 'acme/payments-api') =>
    world.audit({
      action: 'protected_branch.policy_override',
      actor,
      repo: repoName,
      branch: 'refs/heads/main',
      createdAt,
      after: shaOf(createdAt),
      before: shaOf(`${createdAt}-before`),
      reasons: [{ code: 'review_policy_not_satisfied', message: 'At least 1 approving review is required' }],
    });
  for (let i = 0; i < 7; i++) override(`2026-10-${10 + i}T09:00:00Z`, i % 2 === 0 ? 'dave' : 'alice');
  override('2026-03-01T09:00:00Z', 'dave'); // more than 180 days before now
  override('2026-11-01T09:00:00Z', 'dave'); // after now
  world.audit({ action: 'repo.create', actor: 'alice', repo: 'acme/web', createdAt: '2026-10-12T00:00:00Z' });
  return world.build();
}

let emulator: Emulator;
let teamPlan: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ world: buildWorld('enterprise') });
  teamPlan = await startEmulator({ world: buildWorld('team') });
});

afterAll(async () => {
  await emulator.close();
  await teamPlan.close();
});

describe('REST basics', () => {
  it('refuses an unknown token with 401 Bad credentials', async () => {
    const answer = await restGet<{ message: string }>(emulator, '/user', 'not-a-token');

    expect(answer.status).toBe(401);
    expect(answer.body.message).toBe('Bad credentials');
  });

  it('answers who the token is, with rate-limit headers on every response', async () => {
    const user = await restGet<{ login: string }>(emulator, '/user');
    const missing = await restGet<{ message: string; documentation_url: string }>(
      emulator,
      '/repos/acme/nope',
    );

    expect(user.body.login).toBe('octocat-emulator');
    for (const answer of [user, missing]) {
      expect(answer.headers.get('x-ratelimit-limit')).toBe('5000');
      expect(Number(answer.headers.get('x-ratelimit-remaining'))).toBeLessThan(5000);
      expect(answer.headers.get('x-ratelimit-resource')).toBe('core');
      expect(Number(answer.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    }
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      message: 'Not Found',
      documentation_url: expect.stringContaining('docs.github.com'),
    });
  });

  it('serves the repository, its protection, active rules and rulesets', async () => {
    const repo = await restGet<{ default_branch: string; full_name: string }>(
      emulator,
      '/repos/acme/payments-api',
    );
    const protection = await restGet<Record<string, { enabled?: boolean; contexts?: string[] }>>(
      emulator,
      '/repos/acme/payments-api/branches/main/protection',
    );
    const rules = await restGet<{ type: string; ruleset_id: number }[]>(
      emulator,
      '/repos/acme/payments-api/rules/branches/main',
    );
    const ruleset = await restGet<{
      bypass_actors: { actor_type: string; bypass_mode: string }[];
      conditions: unknown;
    }>(emulator, '/repos/acme/payments-api/rulesets/7');

    expect(repo.body).toMatchObject({ default_branch: 'main', full_name: 'acme/payments-api' });
    expect(protection.body.required_signatures?.enabled).toBe(true);
    expect(protection.body.required_status_checks?.contexts).toEqual(['unit']);
    expect(rules.body).toEqual([
      expect.objectContaining({ type: 'pull_request', ruleset_id: 7 }),
      expect.objectContaining({ type: 'required_signatures', ruleset_id: 7 }),
    ]);
    expect(ruleset.body.bypass_actors).toEqual([
      expect.objectContaining({ actor_type: 'User', bypass_mode: 'pull_request' }),
    ]);
    expect(ruleset.body.conditions).toEqual({ ref_name: { include: ['~DEFAULT_BRANCH'], exclude: [] } });
  });

  it('says "Branch not protected" for a branch without protection', async () => {
    const world = new WorldBuilder();
    world.repo('open');
    const bare = await startEmulator({ world: world.build() });
    try {
      const answer = await restGet<{ message: string }>(bare, '/repos/acme/open/branches/main/protection');

      expect(answer.status).toBe(404);
      expect(answer.body.message).toBe('Branch not protected');
    } finally {
      await bare.close();
    }
  });
});

describe('REST paging and deployments', () => {
  it('pages deployments with a Link header, 30 by default, newest first, nothing after now', async () => {
    const first = await restGet<{ id: number; created_at: string }[]>(
      emulator,
      '/repos/acme/payments-api/deployments',
    );
    const next = linkOf(first.headers, 'next');
    const second = await restGet<{ id: number }[]>(emulator, next as string);

    expect(first.body).toHaveLength(30);
    expect(first.body[0]?.id).toBe(1000);
    expect(first.body.map((d) => d.id)).not.toContain(2000);
    expect(linkOf(first.headers, 'last')).toContain('page=2');
    expect(second.body).toHaveLength(15);
    expect(linkOf(second.headers, 'next')).toBeUndefined();
    expect(linkOf(second.headers, 'prev')).toContain('page=1');
  });

  it('honours per_page up to 100 and filters by environment and sha', async () => {
    const big = await restGet<unknown[]>(emulator, '/repos/acme/payments-api/deployments?per_page=500');
    const none = await restGet<unknown[]>(
      emulator,
      '/repos/acme/payments-api/deployments?environment=staging',
    );

    expect(big.body).toHaveLength(45);
    expect(none.body).toEqual([]);
  });

  it('lists statuses newest first with log_url and links a deployment to its workflow run', async () => {
    const deployment = await restGet<{ performed_via_github_app: { slug: string } }>(
      emulator,
      '/repos/acme/payments-api/deployments/1000',
    );
    const statuses = await restGet<
      { state: string; log_url: string; creator: { login: string; type: string } }[]
    >(emulator, '/repos/acme/payments-api/deployments/1000/statuses');
    const runId = /actions\/runs\/(\d+)$/.exec(statuses.body[0]?.log_url ?? '')?.[1];
    const run = await restGet<{ id: number; actor: { login: string }; run_attempt: number }>(
      emulator,
      `/repos/acme/payments-api/actions/runs/${runId}`,
    );
    const jobs = await restGet<{ total_count: number; jobs: { name: string }[] }>(
      emulator,
      `/repos/acme/payments-api/actions/runs/${runId}/jobs`,
    );

    expect(deployment.body.performed_via_github_app.slug).toBe('github-actions');
    expect(statuses.body.map((status) => status.state)).toEqual(['success', 'in_progress']);
    expect(statuses.body[0]?.creator).toMatchObject({ login: 'deploy-bot[bot]', type: 'Bot' });
    expect(run.body).toMatchObject({ id: 5000, actor: { login: 'dave' }, run_attempt: 1 });
    expect(jobs.body.total_count).toBe(2);
    expect(jobs.body.jobs.map((job) => job.name)).toEqual(['build', 'deploy']);
  });

  it('lists team members and the commits of the default branch with their pulls', async () => {
    const members = await restGet<{ login: string }[]>(emulator, '/orgs/acme/teams/sre/members');
    const commits = await restGet<{ sha: string; commit: { verification: { verified: boolean } } }[]>(
      emulator,
      '/repos/acme/payments-api/commits?sha=main',
    );
    const pulls = await restGet<{ number: number; merged_at: string }[]>(
      emulator,
      `/repos/acme/payments-api/commits/${commits.body[0]?.sha}/pulls`,
    );

    expect(members.body.map((member) => member.login)).toEqual(['dave', 'alice']);
    expect(commits.body).toHaveLength(2);
    expect(commits.body[0]?.commit.verification.verified).toBe(true);
    expect(pulls.body).toEqual([expect.objectContaining({ number: 10, merged_at: '2026-10-05T10:00:00Z' })]);
  });
});

describe('REST reach: rule suites, activity and the audit log', () => {
  it('limits rule suites to one month back and nothing after now', async () => {
    const all = await restGet<{ id: number }[]>(
      emulator,
      '/repos/acme/payments-api/rulesets/rule-suites?time_period=month',
    );
    const bypasses = await restGet<{ id: number; result: string }[]>(
      emulator,
      '/repos/acme/payments-api/rulesets/rule-suites?time_period=month&rule_suite_result=bypass',
    );
    const old = await restGet(emulator, '/repos/acme/payments-api/rulesets/rule-suites/3');
    const detail = await restGet<{
      rule_evaluations: { rule_source: { id: number }; rule_type: string; result: string }[];
    }>(emulator, '/repos/acme/payments-api/rulesets/rule-suites/1');

    expect(all.body.map((suite) => suite.id)).toEqual([2, 1]);
    expect(bypasses.body.map((suite) => suite.id)).toEqual([1]);
    expect(old.status).toBe(404);
    expect(detail.body.rule_evaluations).toContainEqual(
      expect.objectContaining({
        rule_source: expect.objectContaining({ id: 7 }),
        rule_type: 'pull_request',
        result: 'fail',
      }),
    );
  });

  it('reaches activity as far back as time_period asks (a year), filters by type and pages with cursors', async () => {
    const firstPage = await restGet<{ id: number; activity_type: string; actor: { login: string } }[]>(
      emulator,
      '/repos/acme/payments-api/activity?ref=refs/heads/main&time_period=year&per_page=3',
    );
    const secondPage = await restGet<{ id: number }[]>(emulator, linkOf(firstPage.headers, 'next') as string);
    const forced = await restGet<{ id: number }[]>(
      emulator,
      '/repos/acme/payments-api/activity?activity_type=force_push',
    );

    expect(firstPage.body.map((event) => event.id)).toEqual([104, 103, 102]);
    expect(linkOf(firstPage.headers, 'next')).toMatch(/[?&]after=/);
    // 200 is older than a month: `time_period=year` reaches it, the default (month) does not.
    expect(secondPage.body.map((event) => event.id)).toEqual([101, 100, 200]);
    expect(linkOf(secondPage.headers, 'next')).toBeUndefined();
    expect(forced.body.map((event) => event.id)).toEqual([100]);
  });

  it('answers 404 for the audit log on a plan without it', async () => {
    const answer = await restGet<{ message: string }>(teamPlan, '/orgs/acme/audit-log');

    expect(answer.status).toBe(404);
    expect(answer.body.message).toBe('Not Found');
  });

  it('filters the audit log by phrase, reaches back 180 days and pages with cursors', async () => {
    const phrase = encodeURIComponent(
      'action:protected_branch.policy_override repo:acme/payments-api created:2026-10-01..2026-10-31',
    );
    const first = await restGet<{ action: string; actor: string; created_at: number; reasons: unknown[] }[]>(
      emulator,
      `/orgs/acme/audit-log?phrase=${phrase}&per_page=5`,
    );
    const second = await restGet<{ created_at: number }[]>(emulator, linkOf(first.headers, 'next') as string);
    const byDave = await restGet<{ actor: string }[]>(
      emulator,
      `/orgs/acme/audit-log?phrase=${encodeURIComponent('actor:dave action:protected_branch')}`,
    );
    const everything = await restGet<{ created_at: number }[]>(emulator, '/orgs/acme/audit-log?per_page=100');

    expect(first.body).toHaveLength(5);
    expect(first.body.every((event) => event.action === 'protected_branch.policy_override')).toBe(true);
    expect(first.body[0]?.reasons).toEqual([
      expect.objectContaining({ code: 'review_policy_not_satisfied' }),
    ]);
    expect(second.body).toHaveLength(2);
    expect(linkOf(second.headers, 'next')).toBeUndefined();
    const times = [...first.body, ...second.body].map((event) => event.created_at);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(byDave.body).toHaveLength(4);
    expect(everything.body).toHaveLength(8);
    const oldest = Math.min(...everything.body.map((event) => event.created_at));
    expect(oldest).toBeGreaterThanOrEqual(Date.parse(NOW) - 180 * 86_400_000);
    expect(Math.max(...everything.body.map((event) => event.created_at))).toBeLessThanOrEqual(
      Date.parse(NOW),
    );
  });
});

describe('branch protection as a token without admin rights sees it', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    const world = new WorldBuilder({ now: NOW });
    const repo = world.repo('locked');
    repo.protect({
      requiredStatusChecks: ['unit'],
      requiredApprovingReviewCount: 1,
      requireSignedCommits: true,
      enforceAdmins: false,
    });
    repo.ruleset({
      id: 1,
      name: 'main',
      enforcement: 'active',
      target: '~DEFAULT_BRANCH',
      rules: ['pull_request', 'required_signatures', 'non_fast_forward'],
      bypassActors: [],
    });
    repo.input.admins = ['dave'];
    emulator = await startEmulator({ world: world.build(), port: 0 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('answers protection with a plain 404 while the branch says protected', async () => {
    const protection = await restGet<{ message: string }>(
      emulator,
      '/repos/acme/locked/branches/main/protection',
    );
    const branch = await restGet<{ protected: boolean; name: string }>(
      emulator,
      '/repos/acme/locked/branches/main',
    );

    expect(protection.status).toBe(404);
    expect(protection.body.message).toBe('Not Found');
    expect(branch.status).toBe(200);
    expect(branch.body).toMatchObject({ name: 'main', protected: true });
  });

  it('pages the rules of a branch with per_page and Link', async () => {
    const first = await restGet<{ type: string }[]>(
      emulator,
      '/repos/acme/locked/rules/branches/main?per_page=2',
    );
    const next = linkOf(first.headers, 'next');
    const second = await restGet<{ type: string }[]>(emulator, next ?? '');

    expect(first.body.map((rule) => rule.type)).toEqual(['pull_request', 'required_signatures']);
    expect(second.body.map((rule) => rule.type)).toEqual(['non_fast_forward']);
    expect(linkOf(second.headers, 'next')).toBeUndefined();
  });
});
