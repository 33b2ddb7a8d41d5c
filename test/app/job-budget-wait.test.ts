import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type Emulator, type EmulatorOptions, startEmulator } from '../../emulator/server.ts';
import { loadWorld, type World } from '../../emulator/world.ts';
import { DEMO_WORLD_FILE } from '../../emulator/worlds/build-demo.ts';
import { createGitHubClient } from '../../lambdas/adapters/github/client.ts';
import { LocalPackSigner, localSigningKeyPath } from '../../lambdas/adapters/local-signer.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { unresolvedFailures } from '../../lambdas/app/collection-failure.ts';
import type { CollectKind } from '../../lambdas/collect/context.ts';
import { standingGaps } from '../../lambdas/core/period-gaps.ts';
import type { EvidenceDocument } from '../../lambdas/evidence/documents.ts';
import type { EvidenceStore } from '../../lambdas/evidence/ports.ts';
import { buildPackHandler, collectorHandler, type JobDeps } from '../../lambdas/runtime/jobs.ts';

/**
 * The single-function jobs (snapshot-protection, collect-overrides, the pack's re-collection)
 * against the GitHub emulator over HTTP whose budget runs out: the function never sleeps for the
 * reset; it answers `waiting` with the reset GitHub announced and what is left (the kinds, and the
 * repositories not yet read), and called again as its state machine does — `{ input, resume }`
 * after the reset — it reads only what is left and ends with the same evidence as a run that
 * never ran out, every deferral repaired. The pack is built only once the re-collection finished.
 */
const OCTOBER = { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' };
/** The emulated hour: short, so that a reset comes within the test. */
const WINDOW_SECONDS = 6;

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

/** The adapters as a function builds them: a client that never waits for a reset. */
async function depsOn(emulator: Emulator): Promise<JobDeps> {
  const dir = await mkdtemp(join(tmpdir(), 'cm01-job-budget-'));
  dirs.push(dir);
  const { store, index } = await openStore(`local:${dir}`);
  const github = createGitHubClient({
    baseUrl: emulator.url,
    auth: { kind: 'token', token: DEFAULT_TOKEN },
    waitForRateLimitReset: false,
  });
  // The world's time, going on as time does: a resumed run finishes after the run it repairs.
  const startedAt = Date.now();
  const clock = () => new Date(Date.parse(world.now) + (Date.now() - startedAt));
  const signer = await LocalPackSigner.open(localSigningKeyPath(dir));
  return { org: world.org, store, index, github, clock, signer };
}

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

interface Answer {
  readonly resumeAt: string | null;
  readonly resume: {
    readonly kinds: readonly string[];
    readonly repos?: readonly string[];
    readonly attempt: number;
  } | null;
}

/** Drive a job as its state machine does: invoke; after a `resumeAt`, wait and invoke with `{ input, resume }`. */
async function runLikeTheStateMachine<T extends Answer>(
  handler: (event: unknown) => Promise<T>,
  input: Record<string, unknown>,
  emulator: Emulator,
  deps: JobDeps,
): Promise<{ answers: T[]; answeredAt: number[]; resetHeaders: string[]; requestsOf: string[][] }> {
  const answers: T[] = [];
  const answeredAt: number[] = [];
  const resetHeaders: string[] = [];
  const requestsOf: string[][] = [];
  let event: unknown = input;
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = emulator.requestLog.length;
    const answer = await handler(event);
    answeredAt.push(Date.now());
    requestsOf.push(emulator.requestLog.slice(before).map((request) => request.path));
    answers.push(answer);
    if (answer.resumeAt === null) break;
    for (const bucket of ['core', 'graphql'] as const) {
      const resetAt = deps.github.budget(bucket)?.resetAt;
      if (resetAt) resetHeaders.push(resetAt);
    }
    const wait = Date.parse(answer.resumeAt) - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    event = { input, resume: answer.resume };
  }
  return { answers, answeredAt, resetHeaders, requestsOf };
}

/**
 * Every deferral of the interrupted runs is repaired by a later run, as the pack reads them: the
 * gaps that stand are those of the run that never ran out (the rule suites GitHub no longer keeps
 * for the first days of the month), none of them a deferral.
 */
async function expectEveryDeferralRepaired(store: EvidenceStore, reference: EvidenceStore): Promise<void> {
  const runs = await runsOf(store);
  expect(runs.some((run) => run.data.errors.some((e) => /deferred: GitHub's/.test(e.message)))).toBe(true);
  const standing = async (of: EvidenceStore) =>
    standingGaps({ runs: (await runsOf(of)).map((doc, i) => ({ doc, ref: { key: String(i) } }) as never) })
      .map(
        (gap) =>
          `${gap.withholds} ${gap.repo ?? 'organisation'}: ${gap.reason.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')}`,
      )
      .sort();
  const left = await standing(store);
  for (const gap of left) expect(gap).not.toMatch(/deferred/);
  expect(left).toEqual(await standing(reference));
  expect(unresolvedFailures(runs, OCTOBER)).toEqual([]);
}

describe.each([
  ['snapshot-protection', ['protection', 'teams']],
  ['collect-overrides', ['overrides', 'tickets', 'incidents']],
] as const)('the %s job whose GitHub budget runs out', (_job, kinds: readonly CollectKind[]) => {
  it('answers waiting with the reset and the repositories left, never sleeping, and resumed reads only those, to the same evidence', async () => {
    const reference = await depsOn(await emulatorWith({}));
    const full = await collectorHandler(kinds, async () => reference)({ period: '2026-10' });
    expect(full.resumeAt).toBeNull();

    // Ten REST requests an emulated hour: the first repositories are read, the budget runs out in a later one.
    const emulator = await emulatorWith({ rateLimits: { core: 10 }, rateWindowSeconds: WINDOW_SECONDS });
    const deps = await depsOn(emulator);
    const { answers, answeredAt, resetHeaders, requestsOf } = await runLikeTheStateMachine(
      collectorHandler(kinds, async () => deps),
      { period: '2026-10' },
      emulator,
      deps,
    );

    const waits = answers.filter((answer) => answer.resumeAt !== null);
    expect(waits.length).toBeGreaterThanOrEqual(1);
    const last = answers.at(-1);
    expect(last?.resumeAt).toBeNull();
    expect(last?.status).toBe('succeeded');
    for (const [i, answer] of answers.entries()) {
      if (answer.resumeAt === null || answer.resume === null) continue;
      // The reset GitHub announced in x-ratelimit-reset, not a guess; the function answered before it.
      expect(resetHeaders).toContain(answer.resumeAt);
      expect(Date.parse(answer.resumeAt)).toBeGreaterThan(answeredAt[i] as number);
      expect(answer.resume.attempt).toBe(i + 1);
      for (const kind of answer.resume.kinds) expect(kinds).toContain(kind);
    }
    // The first answer names the repositories left: fewer than the organisation's, as the
    // budget ran out after the first ones were read; the resumed call asks GitHub for no other.
    const first = answers[0];
    if (first?.resume === null || first?.resume === undefined) throw new Error('expected a wait');
    const left = first.resume.repos ?? [];
    const all = (full.resumeAt === null ? full.repos : []).map((repo) => repo.toLowerCase());
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(all.length);
    const done = all.filter((repo) => !left.map((r) => r.toLowerCase()).includes(repo));
    for (const path of requestsOf[1] ?? []) {
      for (const repo of done) expect(path.toLowerCase()).not.toContain(`/repos/${repo}/`);
    }
    expect(
      (requestsOf[1] ?? []).some((path) => path.toLowerCase().includes(`/repos/${left[0]?.toLowerCase()}`)),
    ).toBe(true);
    // The same evidence as the run that never ran out, every deferral repaired.
    expect(await evidenceOf(deps.store)).toEqual(await evidenceOf(reference.store));
    await expectEveryDeferralRepaired(deps.store, reference.store);
  }, 120_000);
});

describe('the snapshot-protection job held back by the estimate', () => {
  it('does not start when the recorded cost will not fit, asking GitHub nothing but its budget', async () => {
    // The first run costs 18 requests of 20 (later runs fewer: GitHub's 304s are free), leaving
    // less than the recorded cost.
    const emulator = await emulatorWith({ rateLimits: { core: 20 }, rateWindowSeconds: 60 });
    const deps = await depsOn(emulator);
    const handler = collectorHandler(['protection', 'teams'], async () => deps);
    expect((await handler({ period: '2026-10' })).resumeAt).toBeNull();
    const before = emulator.requestLog.length;
    const second = await handler({ period: '2026-10' });
    if (second.resumeAt === null) throw new Error('expected the planner to hold the job back');
    expect(second.reason).toMatch(/^not started: budget: this collection needs about \d+ REST requests/);
    expect(second.resume).toEqual({ kinds: ['protection', 'teams'], attempt: 1 });
    expect(emulator.requestLog.slice(before).map((r) => r.path)).toEqual(['/rate_limit']);
  });

  it('refuses a resumed event whose repositories the input does not name', async () => {
    const deps = await depsOn(await emulatorWith({}));
    const handler = collectorHandler(['protection', 'teams'], async () => deps);
    await expect(
      handler({
        input: { period: '2026-10', repos: ['web-app'] },
        resume: { kinds: ['protection'], repos: ['acme/infra'], attempt: 1 },
      }),
    ).rejects.toMatchObject({ name: 'InputError', field: 'resume.repos.0' });
    await expect(
      handler({
        input: { period: '2026-10' },
        resume: { kinds: ['protection'], repos: ['other/infra'], attempt: 1 },
      }),
    ).rejects.toMatchObject({ name: 'InputError', field: 'resume.repos.0' });
    await expect(
      handler({ input: { period: '2026-10' }, resume: { kinds: ['protection'], attempt: 25 } }),
    ).rejects.toMatchObject({ name: 'InputError', field: 'resume.attempt' });
    expect(await deps.store.listKeys('evidence/')).toEqual([]);
  });
});

describe('the build-pack job whose GitHub budget runs out in the re-collection', () => {
  it('builds no pack while waiting, and the pack once the re-collection finished, complete and as an uninterrupted run’s', async () => {
    const reference = await depsOn(await emulatorWith({}));
    const full = await buildPackHandler(async () => reference)({ period: '2026-10', profile: 'clicki' });
    if (full.resumeAt !== null) throw new Error('the reference run waited');

    // Fifteen REST requests an emulated hour: the month's re-collection (about 35) needs several.
    const emulator = await emulatorWith({ rateLimits: { core: 15 }, rateWindowSeconds: WINDOW_SECONDS });
    const deps = await depsOn(emulator);
    const handler = buildPackHandler(async () => deps);
    const answers: Awaited<ReturnType<typeof handler>>[] = [];
    let event: unknown = { period: '2026-10', profile: 'clicki' };
    for (let attempt = 0; attempt < 20; attempt++) {
      const answer = await handler(event);
      answers.push(answer);
      if (answer.resumeAt === null) break;
      // While the re-collection waits, nothing is packed.
      expect(await deps.store.listKeys('packs/')).toEqual([]);
      const wait = Date.parse(answer.resumeAt) - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      event = { input: { period: '2026-10', profile: 'clicki' }, resume: answer.resume };
    }
    expect(answers.length).toBeGreaterThan(1);
    const packed = answers.at(-1);
    if (packed === undefined || packed.resumeAt !== null) throw new Error('the pack was never built');
    expect(packed.incomplete).toBe(false);
    expect(packed.missing).toEqual([]);
    expect(packed.changes).toBe(full.changes);
    expect(packed.exceptions).toBe(full.exceptions);
    const population = async (deps: JobDeps, files: typeof packed.files) => {
      const file = files.find((f) => f.key.endsWith('population.csv'));
      if (!file) throw new Error('no population.csv');
      return new TextDecoder().decode((await deps.store.get(file.key, file.versionId)).body);
    };
    expect(await population(deps, packed.files)).toEqual(await population(reference, full.files));
    await expectEveryDeferralRepaired(deps.store, reference.store);
  }, 240_000);
});
