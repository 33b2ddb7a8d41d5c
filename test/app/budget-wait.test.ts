import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type Emulator, type EmulatorOptions, startEmulator } from '../../emulator/server.ts';
import { loadWorld, type World } from '../../emulator/world.ts';
import { DEMO_WORLD_FILE } from '../../emulator/worlds/build-demo.ts';
import {
  createGitHubClient,
  type GitHubAuth,
  GitHubBudgetExhaustedError,
} from '../../lambdas/adapters/github/client.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { planCollectionBudget } from '../../lambdas/app/budget-plan.ts';
import { unresolvedFailures } from '../../lambdas/app/collection-failure.ts';
import type { CollectKind } from '../../lambdas/collect/context.ts';
import { standingGaps } from '../../lambdas/core/period-gaps.ts';
import type { EvidenceDocument } from '../../lambdas/evidence/documents.ts';
import type { EvidenceIndex, EvidenceStore } from '../../lambdas/evidence/ports.ts';
import { type CollectorResult, collectorHandler, type JobDeps } from '../../lambdas/runtime/jobs.ts';

/**
 * The collector handler of a fan-out item against the GitHub emulator over HTTP whose budget runs
 * out (a few dozen requests in an emulated hour of a few seconds): the function never sleeps
 * for the reset; it ends the item with the reset time from `x-ratelimit-reset` and the kinds
 * left, and the item, called again after that time as the state machine does, finishes with the
 * same evidence as a run that never ran out, every deferral repaired.
 */
const KINDS: readonly CollectKind[] = ['pull-requests', 'commits', 'teams'];
const REPO = 'acme/web-app';
const EVENT = { repo: REPO, input: { period: '2026-10' } };
/** The emulated hour: short, so that a reset comes within the test. */
const WINDOW_SECONDS = 8;

let world: World;
const emulators: Emulator[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  world = await loadWorld(DEMO_WORLD_FILE);
});

afterAll(async () => {
  await Promise.all(emulators.map((emulator) => emulator.close()));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function emulatorWith(options: Omit<EmulatorOptions, 'world'>): Promise<Emulator> {
  const emulator = await startEmulator({ world, ...options });
  emulators.push(emulator);
  return emulator;
}

interface Bed {
  readonly deps: JobDeps;
  readonly store: EvidenceStore;
  readonly index: EvidenceIndex;
}

/** The handler's adapters as a function builds them: a client that never waits for a reset. */
async function bedOn(emulator: Emulator, auth?: GitHubAuth): Promise<Bed> {
  const dir = await mkdtemp(join(tmpdir(), 'cm01-budget-'));
  dirs.push(dir);
  const { store, index } = await openStore(`local:${dir}`);
  const github = createGitHubClient({
    baseUrl: emulator.url,
    auth: auth ?? { kind: 'token', token: DEFAULT_TOKEN },
    waitForRateLimitReset: false,
  });
  // The world's time, going on as time does: a resumed run finishes after the run it repairs.
  const startedAt = Date.now();
  const clock = () => new Date(Date.parse(world.now) + (Date.now() - startedAt));
  return { deps: { org: world.org, store, index, github, clock }, store, index };
}

/** The keys and contents of every evidence document but the run records. */
async function evidenceOf(store: EvidenceStore): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  for (const key of await store.listKeys('evidence/')) {
    if (key.includes('/collection-run/')) continue;
    const doc = JSON.parse(Buffer.from((await store.get(key)).body).toString('utf8')) as EvidenceDocument;
    contents.set(key, JSON.stringify(doc.data));
  }
  return contents;
}

async function runsOf(store: EvidenceStore): Promise<EvidenceDocument<'collection-run'>[]> {
  const runs: EvidenceDocument<'collection-run'>[] = [];
  for (const key of await store.listKeys('evidence/')) {
    if (!key.includes('/collection-run/')) continue;
    runs.push(JSON.parse(Buffer.from((await store.get(key)).body).toString('utf8')));
  }
  return runs;
}

/** Drive the item as the state machine does: call, and after a `resumeAt`, wait and call again with `resume`. */
async function runItemLikeTheStateMachine(
  bed: Bed,
  emulator: Emulator,
): Promise<{ results: CollectorResult[]; answeredAt: number[]; resetHeaders: string[] }> {
  const handler = collectorHandler(KINDS, async () => bed.deps);
  const results: CollectorResult[] = [];
  const answeredAt: number[] = [];
  const resetHeaders: string[] = [];
  let event: Record<string, unknown> = EVENT;
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = await handler(event);
    answeredAt.push(Date.now());
    results.push(result);
    if (result.resumeAt === null) break;
    const core = bed.deps.github.budget('core');
    const graphql = bed.deps.github.budget('graphql');
    resetHeaders.push(...[core?.resetAt, graphql?.resetAt].filter((t): t is string => t !== undefined));
    const wait = Date.parse(result.resumeAt) - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    event = { ...EVENT, resume: result.resume };
  }
  void emulator;
  return { results, answeredAt, resetHeaders };
}

describe('a fan-out item whose GitHub budget runs out', () => {
  it('ends with the reset time and the kinds left, never sleeping, and resumes to the same evidence', async () => {
    const reference = await bedOn(await emulatorWith({}));
    const full = await collectorHandler(KINDS, async () => reference.deps)(EVENT);
    expect(full.resumeAt).toBeNull();

    // The pull requests take 38 of the 40 points; the commits' 8 do not fit.
    const emulator = await emulatorWith({ rateLimits: { graphql: 40 }, rateWindowSeconds: WINDOW_SECONDS });
    const bed = await bedOn(emulator);
    const { results, answeredAt, resetHeaders } = await runItemLikeTheStateMachine(bed, emulator);

    const waits = results.filter((r) => r.resumeAt !== null);
    expect(waits.length).toBeGreaterThanOrEqual(1);
    const last = results.at(-1) as CollectorResult;
    expect(last.resumeAt).toBeNull();
    expect(last.status).toBe('succeeded');
    // Every wait resumes at a reset GitHub announced in x-ratelimit-reset, not a guess.
    for (const wait of waits) expect(resetHeaders).toContain(wait.resumeAt);
    // The function never slept for the reset: each waiting answer came before its reset.
    for (const [i, wait] of results.entries()) {
      if (wait.resumeAt !== null) expect(Date.parse(wait.resumeAt)).toBeGreaterThan(answeredAt[i] as number);
    }
    // Each resume asked only for kinds left over, never for one already read.
    for (const [i, wait] of waits.entries()) {
      if (wait.resumeAt === null) continue;
      expect(wait.resume.attempt).toBe(i + 1);
      for (const kind of wait.resume.kinds) expect(KINDS).toContain(kind);
    }
    // The same evidence as the run that never ran out.
    expect(await evidenceOf(bed.store)).toEqual(await evidenceOf(reference.store));
    // The interrupted runs recorded their deferred kinds as failures and gaps, all repaired by the resumes.
    const runs = await runsOf(bed.store);
    expect(standingGaps({ runs: runs.map((doc, i) => ({ doc, ref: { key: String(i) } }) as never) })).toEqual(
      [],
    );
    expect(runs.length).toBe(results.filter((r) => r.resumeAt === null || 'runId' in r).length);
    expect(runs.some((run) => run.data.errors.some((e) => /deferred: GitHub's/.test(e.message)))).toBe(true);
    expect(unresolvedFailures(runs, { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' })).toEqual(
      [],
    );
  }, 120_000);

  it('without the resume, the deferred kinds stay missing: nothing counts as collected that was not read', async () => {
    const emulator = await emulatorWith({ rateLimits: { graphql: 40 }, rateWindowSeconds: 60 });
    const bed = await bedOn(emulator);
    const result = await collectorHandler(KINDS, async () => bed.deps)(EVENT);
    if (result.resumeAt === null) throw new Error('the budget was expected to run out');
    expect(result.reason).toMatch(/budget ran out part-way/);
    const missing = unresolvedFailures(await runsOf(bed.store), {
      from: '2026-10-01T00:00:00Z',
      to: '2026-11-01T00:00:00Z',
    });
    expect(missing.map((m) => m.source).sort()).toEqual([...result.resume.kinds].sort());
    for (const m of missing) expect(m.reason).toMatch(/^deferred: GitHub's (core|graphql) budget/);
  });

  it('does not start when the index says the remaining budget will not cover it, asking GitHub nothing but its budget', async () => {
    // The item costs 46 points: a first run leaves 34 of 80.
    const emulator = await emulatorWith({ rateLimits: { graphql: 80 }, rateWindowSeconds: 60 });
    const bed = await bedOn(emulator);
    const handler = collectorHandler(KINDS, async () => bed.deps);
    // A first run records what each kind cost; it leaves less than that in the window.
    const first = await handler(EVENT);
    expect(first.resumeAt).toBeNull();
    const before = emulator.requestLog.length;
    const second = await handler(EVENT);
    if (second.resumeAt === null) throw new Error('expected the planner to hold the item back');
    expect(second.reason).toMatch(
      /^not started: budget: this collection needs about \d+ REST requests and 46 GraphQL points \(from the recorded runs\), more than remains \(graphql budget of 80 points an hour has 34 left/,
    );
    expect(second.resume).toEqual({ kinds: KINDS, attempt: 1 });
    expect(emulator.requestLog.slice(before).map((r) => r.path)).toEqual(['/rate_limit']);
    expect(Date.parse(second.resumeAt)).toBeGreaterThan(Date.now());
  });

  it('fails instead of waiting forever when one kind needs more than a whole window', async () => {
    // The commits' first query costs more points than a whole window holds.
    const emulator = await emulatorWith({ rateLimits: { graphql: 5 }, rateWindowSeconds: 60 });
    const bed = await bedOn(emulator);
    await expect(
      collectorHandler(
        ['commits'],
        async () => bed.deps,
      )({ ...EVENT, resume: { kinds: ['commits'], attempt: 1 } }),
    ).rejects.toMatchObject({ name: 'CollectionFailedError' });
  });

  it('gives up after 24 waits', async () => {
    const emulator = await emulatorWith({});
    const bed = await bedOn(emulator);
    await expect(
      collectorHandler(
        KINDS,
        async () => bed.deps,
      )({ ...EVENT, resume: { kinds: ['commits'], attempt: 25 } }),
    ).rejects.toMatchObject({ name: 'InputError', field: 'resume.attempt' });
  });
});

describe('the budget, read from GitHub', () => {
  it('is an App installation’s higher limit when GitHub says so, not a user’s', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const emulator = await emulatorWith({
      app: {
        id: 4242,
        slug: 'cm01-evidence',
        publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        installationId: 77,
      },
      rateLimits: { core: 5000, graphql: 5000 },
      installationRateLimits: { core: 15_000, graphql: 10_000 },
    });
    const bed = await bedOn(emulator, {
      kind: 'app',
      appId: '4242',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      installationId: 77,
    });
    const plan = await planCollectionBudget(bed.deps, {
      repos: [REPO],
      kinds: KINDS,
      now: new Date(world.now),
    });
    expect(plan.budgets.core.limit).toBe(15_000);
    expect(plan.budgets.graphql.limit).toBe(10_000);
    // The headers of an ordinary answer say the same.
    await bed.deps.github.rest('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'web-app' });
    expect(bed.deps.github.budget('core')).toMatchObject({ resource: 'core', limit: 15_000 });
  });

  it('ends a request at once, naming the bucket and its reset, when the client may not wait', async () => {
    const emulator = await emulatorWith({ rateLimits: { core: 1 }, rateWindowSeconds: 600 });
    const bed = await bedOn(emulator);
    await bed.deps.github.rest('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'web-app' });
    const started = Date.now();
    const error = await bed.deps.github
      .rest('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'infra' })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(GitHubBudgetExhaustedError);
    const exhausted = error as GitHubBudgetExhaustedError;
    expect(exhausted.budget).toMatchObject({ resource: 'core', limit: 1, remaining: 0 });
    expect(Date.parse(exhausted.budget.resetAt) - Date.now()).toBeGreaterThan(590_000);
    expect(exhausted.message).toMatch(/core budget of 1 requests an hour ran out; it resets at /);
  });
});
