import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../emulator/server.ts';
import type { World } from '../../emulator/world.ts';
import { createGitHubClient, type GitHubClient } from '../../lambdas/adapters/github/client.ts';
import { MERGED_PULL_REQUESTS_QUERY } from '../../lambdas/adapters/github/queries/pull-requests.ts';
import { LocalEvidenceIndex } from '../../lambdas/adapters/local-index.ts';
import { LocalEvidenceStore } from '../../lambdas/adapters/local-store.ts';
import { collectWithinBudget } from '../../lambdas/app/collect-within-budget.ts';
import { type CollectionSummary, collect } from '../../lambdas/collect/collect.ts';
import { collectPullRequests } from '../../lambdas/collect/pull-requests.ts';
import { resolveProfile } from '../../lambdas/core/profile-files.ts';
import { DEFAULT_PROFILE_ID } from '../../lambdas/core/shipped-profiles.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { StoreError } from '../../lambdas/errors.ts';
import { parseEvidenceDocument } from '../../lambdas/evidence/documents.ts';
import type { EvidenceStore, PutObjectInput, PutResult } from '../../lambdas/evidence/ports.ts';
import { addMinutes, WorldBuilder } from '../emulator/world-builder.ts';
import { evidenceFingerprint, openCollectBed } from './harness.ts';

/**
 * A month of more than 1,000 merged PRs in one repository (searched as two ranges below GitHub's
 * 1,000-result cap) whose collection the GraphQL budget stops in the second range: the coverage
 * cursor already holds the first, so the run resumed after the reset searches that part only
 * for what changed since (`updated:>=`) and the rest in full, and ends with the evidence and the
 * cursor of a run that never stopped. Real HTTP through the emulator throughout; the budget is
 * the emulator's own (an hour's worth of GraphQL points), the client does not wait for its reset
 * (as in a Lambda function), and "after the reset" is an emulator of the same world with a fresh
 * budget.
 */

const OCTOBER = monthWindow('2026-10');
const REPO = 'acme/busy';
const PULL_REQUESTS = 1100;
/**
 * GraphQL points an emulated hour: the month's first page (19 points, then split), the first
 * range's seven pages and its every-run batch (153 in all), two of the second range's five pages.
 */
const GRAPHQL_BUDGET = 200;
/** Where the first search splits the month (its middle, to the second). */
const MIDDLE = '2026-10-16T12:00:00.000Z';
/** Merged in the first range; labelled after the interrupted run started. */
const RELABELLED = 4;
const RELABELLED_AT = '2026-11-01T06:10:00Z';

interface MonthOptions {
  /** The world a day later, PR `RELABELLED` labelled after the first run began. */
  readonly relabelled?: boolean;
}

/** PR `i` merged every 35 minutes from 1 October; every 100th has a check finishing after its merge. */
function busyMonth(options: MonthOptions = {}): { world: World; mergedAt: Map<number, string> } {
  const builder = new WorldBuilder({
    start: '2026-09-30T00:00:00Z',
    now: options.relabelled ? '2026-11-02T06:00:00Z' : '2026-11-01T06:00:00Z',
  });
  const repo = builder.repo('busy');
  const mergedAt = new Map<number, string>();
  for (let i = 0; i < PULL_REQUESTS; i++) {
    const at = addMinutes('2026-10-01T00:30:00Z', i * 35);
    const pr = repo.mergePullRequest({
      mergedAt: at,
      files: [],
      ...(options.relabelled && i === RELABELLED
        ? {
            labels: [
              { name: 'reviewed-after-merge', addedBy: 'octocat', addedAt: RELABELLED_AT, removedAt: null },
            ],
          }
        : {}),
    });
    // A run finishing after the merge: the PR waits for its every-check-run batch before it is stored.
    if (i % 100 === 7) repo.check(pr.headSha, { name: 'post-merge-smoke', startedAt: addMinutes(at, 3) });
    mergedAt.set(pr.number, at);
  }
  return { world: builder.build(), mergedAt };
}

/** The client of one run (a new process keeps nothing), recording every merged-PR search it sends. */
function clientOf(emulator: Emulator, options: { waitForRateLimitReset?: boolean } = {}) {
  const github = createGitHubClient({
    baseUrl: emulator.url,
    auth: { kind: 'token', token: emulator.token },
    retries: 5,
    retryAfterBaseMs: 5,
    ...options,
  });
  const searches: string[] = [];
  const recording = new Proxy(github, {
    get(target, property) {
      if (property === 'graphql') {
        return (query: string, variables?: Record<string, unknown>) => {
          if (query === MERGED_PULL_REQUESTS_QUERY) searches.push(String(variables?.searchQuery));
          return target.graphql(query, variables);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as GitHubClient;
  return { github: recording, searches };
}

interface Run {
  readonly summary: CollectionSummary;
  /** The merged-PR searches sent, each page once. */
  readonly searches: string[];
  /** GraphQL requests the emulator answered for this run. */
  readonly graphqlRequests: number;
  readonly cursor: string | undefined;
}

async function collectOctober(
  emulator: Emulator,
  world: World,
  dir: string,
  options: { waitForRateLimitReset?: boolean; store?: (store: EvidenceStore) => EvidenceStore } = {},
): Promise<Run> {
  const { github, searches } = clientOf(
    emulator,
    options.waitForRateLimitReset === undefined
      ? {}
      : { waitForRateLimitReset: options.waitForRateLimitReset },
  );
  const index = new LocalEvidenceIndex({ dir });
  const before = emulator.stats().graphqlRequests;
  const store = new LocalEvidenceStore({ dir, defaultRetentionDays: 365 });
  const summary = await collect(
    {
      store: options.store ? options.store(store) : store,
      index,
      github,
      org: world.org,
      clock: () => new Date(world.now),
    },
    { window: OCTOBER, repos: ['busy'], kinds: ['pull-requests'] },
  );
  return {
    summary,
    searches,
    graphqlRequests: emulator.stats().graphqlRequests - before,
    cursor: (await index.getCursor('pull-requests', REPO))?.position,
  };
}

/** `merged:A..B` and, for an incremental search, `updated:>=C` of a search query. */
function rangeOf(search: string): { from: string; to: string; updatedSince: string | null } {
  const merged = /merged:(\S+)\.\.(\S+)/.exec(search);
  if (!merged) throw new Error(`not a merged-PR search: ${search}`);
  return {
    from: merged[1] as string,
    to: merged[2] as string,
    updatedSince: /updated:>=(\S+)/.exec(search)?.[1] ?? null,
  };
}

const emulators: Emulator[] = [];
const dirs: string[] = [];

async function emulatorOf(world: World, options: Omit<EmulatorOptions, 'world'> = {}): Promise<Emulator> {
  const emulator = await startEmulator({ world, port: 0, ...options });
  emulators.push(emulator);
  return emulator;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cm01-resume-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(emulators.map((emulator) => emulator.close()));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('a pull-request collection stopped by the budget part-way through a busy month', () => {
  const month = busyMonth();
  let reference: Run;
  let referenceDir: string;
  let interrupted: Run;
  let interruptedDir: string;
  let interruptedCopy: string;

  beforeAll(async () => {
    referenceDir = await tempDir();
    const unlimited = await emulatorOf(month.world);
    reference = await collectOctober(unlimited, month.world, referenceDir);
    // The first range's pages, and a few of the second's, fit in the budget; the whole month does not.
    const throttled = await emulatorOf(month.world, { rateLimits: { graphql: GRAPHQL_BUDGET } });
    interruptedDir = await tempDir();
    interrupted = await collectOctober(throttled, month.world, interruptedDir, {
      waitForRateLimitReset: false,
    });
    // The interrupted store as it stands, for a resumption in another world (below).
    interruptedCopy = await tempDir();
    await cp(interruptedDir, interruptedCopy, { recursive: true });
  }, 120_000);

  it('stops in the second range with the first one covered', () => {
    expect(reference.summary.status).toBe('succeeded');
    const referenceRanges = reference.searches.map(rangeOf);
    // The month is split once: a search over all of it, then its two halves.
    expect(new Set(referenceRanges.map((range) => `${range.from}..${range.to}`))).toEqual(
      new Set([
        '2026-10-01T00:00:00Z..2026-10-31T23:59:59Z',
        '2026-10-01T00:00:00Z..2026-10-16T11:59:59Z',
        '2026-10-16T12:00:00Z..2026-10-31T23:59:59Z',
      ]),
    );
    expect(interrupted.summary.deferred?.sources).toEqual([{ repo: REPO, kind: 'pull-requests' }]);
    expect(JSON.parse(interrupted.cursor as string)).toEqual({
      from: OCTOBER.from,
      to: MIDDLE,
      syncedAt: new Date(month.world.now).toISOString(),
    });
    // It had read into the second range: some of those PRs are stored, not all.
    const storedAfterMiddle = interrupted.summary.counts['pull-request'] as number;
    const firstRange = [...month.mergedAt.values()].filter(
      (at) => Date.parse(at) < Date.parse(MIDDLE),
    ).length;
    expect(storedAfterMiddle).toBeGreaterThan(firstRange);
    expect(storedAfterMiddle).toBeLessThan(PULL_REQUESTS);
  });

  it('resumes after the reset reading the covered range only incrementally, to the evidence and cursor of an uninterrupted run', async () => {
    // After the reset: the same world, a fresh budget (an emulator of its own, to count its requests).
    const resumed = await collectOctober(await emulatorOf(month.world), month.world, interruptedDir, {
      waitForRateLimitReset: false,
    });

    expect(resumed.summary.status).toBe('succeeded');
    expect(resumed.summary.deferred).toBeUndefined();
    const ranges = resumed.searches.map(rangeOf);
    // The covered first range: one incremental search (nothing changed since, so one page).
    const updatedSince = `${new Date(Date.parse(month.world.now) - 3_600_000).toISOString().slice(0, 19)}Z`;
    expect(ranges.filter((range) => range.updatedSince !== null)).toEqual([
      { from: '2026-10-01T00:00:00Z', to: '2026-10-16T11:59:59Z', updatedSince },
    ]);
    // Nothing before the middle is searched in full again, and the month is not split again.
    const full = ranges.filter((range) => range.updatedSince === null);
    expect(full.length).toBeGreaterThan(0);
    for (const range of full) expect(range.from).toBe('2026-10-16T12:00:00Z');
    const referenceFull = reference.searches
      .map(rangeOf)
      .filter((range) => range.from === '2026-10-16T12:00:00Z');
    expect(full).toHaveLength(referenceFull.length);
    // At the emulator: the first range's searches (and the month's first page, split) are not
    // asked again; one incremental search is asked instead.
    const firstRangeSearches = reference.searches.filter(
      (search) => rangeOf(search).from === '2026-10-01T00:00:00Z',
    );
    expect(firstRangeSearches.length).toBeGreaterThan(5);
    expect(resumed.graphqlRequests).toBeLessThanOrEqual(
      reference.graphqlRequests - firstRangeSearches.length + 1,
    );

    // Every PR stored once: what the interrupted run stored is found unchanged, the rest written.
    const written =
      (interrupted.summary.counts['pull-request'] ?? 0) + (resumed.summary.counts['pull-request'] ?? 0);
    expect(written).toBe(PULL_REQUESTS);
    const index = new LocalEvidenceIndex({ dir: interruptedDir });
    expect(await evidenceFingerprint(index, [REPO], ['pull-request'])).toEqual(
      await evidenceFingerprint(new LocalEvidenceIndex({ dir: referenceDir }), [REPO], ['pull-request']),
    );
    expect(resumed.cursor).toBe(reference.cursor);
    expect(JSON.parse(resumed.cursor as string)).toEqual({
      from: OCTOBER.from,
      to: OCTOBER.to,
      syncedAt: new Date(month.world.now).toISOString(),
    });
  }, 120_000);

  it('still reads a PR of the covered range that changed after the interrupted run began', async () => {
    const later = busyMonth({ relabelled: true });
    const resumed = await collectOctober(await emulatorOf(later.world), later.world, interruptedCopy);

    expect(resumed.summary.status).toBe('succeeded');
    const index = new LocalEvidenceIndex({ dir: interruptedCopy });
    const store = new LocalEvidenceStore({ dir: interruptedCopy, defaultRetentionDays: 365 });
    const [entry] = (await index.queryRepo(REPO, { kind: 'pull-request' })).filter(
      (candidate) => candidate.itemId === String(RELABELLED + 1),
    );
    const doc = parseEvidenceDocument(
      'pull-request',
      JSON.parse(new TextDecoder().decode((await store.get(entry?.key as string)).body)),
    );
    expect(doc.data.labels).toContain('reviewed-after-merge');
    // Found by the incremental search of the covered range, not by reading it in full again.
    const ranges = resumed.searches.map(rangeOf);
    for (const range of ranges.filter((r) => r.updatedSince === null))
      expect(range.from).toBe('2026-10-16T12:00:00Z');
    expect(JSON.parse(resumed.cursor as string)).toEqual({
      from: OCTOBER.from,
      to: OCTOBER.to,
      syncedAt: new Date(later.world.now).toISOString(),
    });
  }, 120_000);
});

describe('a pull-request collection killed part-way through a busy month', () => {
  it('resumes past the ranges it stored, to the evidence and cursor of an uninterrupted run', async () => {
    const month = busyMonth();
    const referenceDir = await tempDir();
    const reference = await collectOctober(await emulatorOf(month.world), month.world, referenceDir);
    const dir = await tempDir();
    const emulator = await emulatorOf(month.world);

    // The process dies at its 801st write: the first range (637 PRs) is stored, the second is not.
    const killed = await collectOctober(emulator, month.world, dir, {
      store: (store) => failingAfter(store, 800),
    }).catch((error: unknown) => error);
    expect(killed).toBeInstanceOf(StoreError);
    const index = new LocalEvidenceIndex({ dir });
    expect(JSON.parse((await index.getCursor('pull-requests', REPO))?.position as string)).toEqual({
      from: OCTOBER.from,
      to: MIDDLE,
      syncedAt: new Date(month.world.now).toISOString(),
    });

    const resumed = await collectOctober(emulator, month.world, dir);

    const ranges = resumed.searches.map(rangeOf);
    expect(ranges.filter((range) => range.updatedSince !== null).map((range) => range.from)).toEqual([
      '2026-10-01T00:00:00Z',
    ]);
    for (const range of ranges.filter((r) => r.updatedSince === null))
      expect(range.from).toBe('2026-10-16T12:00:00Z');
    expect(await evidenceFingerprint(new LocalEvidenceIndex({ dir }), [REPO], ['pull-request'])).toEqual(
      await evidenceFingerprint(new LocalEvidenceIndex({ dir: referenceDir }), [REPO], ['pull-request']),
    );
    expect(resumed.cursor).toBe(reference.cursor);
  }, 120_000);
});

describe('a fan-out item whose pull requests need more than a full budget', () => {
  it('waits for the reset and goes on from the cursor, instead of failing as if waiting could not help', async () => {
    const month = busyMonth();
    // The emulated hour outlasts the first call (a few seconds), then resets within the test.
    const emulator = await emulatorOf(month.world, {
      rateLimits: { graphql: GRAPHQL_BUDGET },
      rateWindowSeconds: 20,
    });
    const dir = await tempDir();
    const deps = {
      org: month.world.org,
      store: new LocalEvidenceStore({ dir, defaultRetentionDays: 365 }),
      index: new LocalEvidenceIndex({ dir }),
      github: clientOf(emulator, { waitForRateLimitReset: false }).github,
      clock: () => new Date(month.world.now),
    };
    const request = {
      window: OCTOBER,
      profile: (await resolveProfile(DEFAULT_PROFILE_ID)).profile,
      repo: REPO,
      kinds: ['pull-requests'] as const,
    };

    const first = await collectWithinBudget(deps, request);

    // It started on a full budget and finished no kind, but its one kind went a range further.
    expect(first.state).toBe('waiting');
    if (first.state !== 'waiting') return;
    expect(first.plan.budgets.graphql.remaining).toBe(GRAPHQL_BUDGET);
    expect(first.collection?.summary.deferred?.advanced).toEqual([{ repo: REPO, kind: 'pull-requests' }]);
    const wait = Date.parse(first.resumeAt) - Date.now() + 100;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));

    const second = await collectWithinBudget(deps, { ...request, resume: first.resume });

    expect(second.state).toBe('collected');
    expect(await deps.index.queryRepo(REPO, { kind: 'pull-request' })).toHaveLength(PULL_REQUESTS);
    expect(JSON.parse((await deps.index.getCursor('pull-requests', REPO))?.position as string)).toEqual({
      from: OCTOBER.from,
      to: OCTOBER.to,
      syncedAt: new Date(month.world.now).toISOString(),
    });
  }, 120_000);
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

describe('collectPullRequests telling its caller what is stored', () => {
  it('says a range is covered only once every PR merged in it is stored, those waiting for their every-run batch too', async () => {
    const month = busyMonth();
    const bed = await openCollectBed(month.world);
    const plain = await openCollectBed(month.world);
    try {
      const ctx = await bed.context();
      const covered: string[] = [];
      const missingAtCover: number[] = [];
      await collectPullRequests(ctx, bed.repo('busy'), OCTOBER, {
        onCovered: async (to) => {
          covered.push(to);
          const stored = new Set((await bed.entries('pull-request')).map((entry) => Number(entry.itemId)));
          for (const [number, at] of month.mergedAt) {
            if (Date.parse(at) < Date.parse(to) && !stored.has(number)) missingAtCover.push(number);
          }
        },
      });
      expect(covered).toEqual([MIDDLE, OCTOBER.to]);
      expect(missingAtCover).toEqual([]);

      // Storing the waiting PRs at each range's end costs at most one request more a range.
      const plainCtx = await plain.context();
      await collectPullRequests(plainCtx, plain.repo('busy'), OCTOBER);
      expect(ctx.github.cost.requests - plainCtx.github.cost.requests).toBeLessThanOrEqual(
        covered.length - 1,
      );
      expect(ctx.github.cost.requests - plainCtx.github.cost.requests).toBeGreaterThanOrEqual(0);

      // An incremental read vouches for nothing on its own: it never says a range is covered.
      const incremental: string[] = [];
      await collectPullRequests(ctx, bed.repo('busy'), OCTOBER, {
        updatedSince: '2026-10-20T00:00:00Z',
        onCovered: async (to) => {
          incremental.push(to);
        },
      });
      expect(incremental).toEqual([]);
    } finally {
      await bed.close();
      await plain.close();
    }
  }, 120_000);
});
