import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from '../emulator/generate-world.ts';
import type { FaultPlan } from '../emulator/limits.ts';
import { startEmulator } from '../emulator/server.ts';
import { parseWorld, type World } from '../emulator/world.ts';
import { createGitHubClient } from '../lambdas/adapters/github/client.ts';
import { LocalEvidenceIndex } from '../lambdas/adapters/local-index.ts';
import { LocalEvidenceStore } from '../lambdas/adapters/local-store.ts';
import { type CollectionSummary, collect } from '../lambdas/collect/collect.ts';
import type { CollectKind } from '../lambdas/collect/context.ts';
import { rangeWindow, type Window } from '../lambdas/core/window.ts';
import type { EvidenceIndex } from '../lambdas/evidence/ports.ts';

/**
 * Collection benchmark: a generated organisation (20 repositories, 2,000 merged PRs over 90
 * days, with the generator's outliers) served by the GitHub emulator over HTTP, collected into
 * a local store. Prints GitHub requests per merged PR, GraphQL points, wall time; then the
 * same with 10 % of requests failing (502s and secondary limits) and compares the evidence.
 *
 *   npx tsx bench/collect.bench.ts
 *   BENCH_PRS=4000 BENCH_REPOS=20 BENCH_RETRY_BASE_MS=1000 npx tsx bench/collect.bench.ts
 *
 * BENCH_RETRY_BASE_MS scales every `retry-after` and back-off (GitHub's real value is 1,000 ms).
 */

const REPOS = Number(process.env.BENCH_REPOS ?? 20);
const PULL_REQUESTS = Number(process.env.BENCH_PRS ?? 2000);
const RETRY_BASE_MS = Number(process.env.BENCH_RETRY_BASE_MS ?? 1000);
const NOW = '2026-11-01T06:00:00Z';
const DAYS = 90;

interface Figures {
  readonly label: string;
  readonly wallMs: number;
  readonly requests: number;
  /** Conditional REST GETs answered 304 (free on GitHub, not in `requests`). */
  readonly notModified: number;
  readonly graphqlPoints: number;
  readonly faults: number;
  readonly summary: CollectionSummary;
}

async function runOnce(
  world: World,
  window: Window,
  kinds: CollectKind[],
  label: string,
  faults?: FaultPlan,
): Promise<{ figures: Figures; fingerprint: Map<string, string> }> {
  const emulator = await startEmulator({
    world,
    port: 0,
    // One token's hourly budget would stop a 2,000-PR run; the figures report what it would spend.
    rateLimits: { core: 1_000_000, graphql: 1_000_000 },
    ...(faults ? { faults } : {}),
  });
  const dir = await mkdtemp(join(tmpdir(), 'cm01-bench-collect-'));
  try {
    const github = createGitHubClient({
      baseUrl: emulator.url,
      auth: { kind: 'token', token: emulator.token },
      retries: 5,
      retryAfterBaseMs: RETRY_BASE_MS,
    });
    const storeTime = { ms: 0 };
    const store = timed(new LocalEvidenceStore({ dir }), storeTime);
    const index = timed(new LocalEvidenceIndex({ dir }), storeTime);
    const started = performance.now();
    const summary = await collect(
      { store, index, github, org: world.org, clock: () => new Date(world.now) },
      { window, kinds },
    );
    const wallMs = performance.now() - started;
    const stats = emulator.stats();
    const emulatorMs = emulator.requestLog.reduce((sum, entry) => sum + entry.ms, 0);
    console.log(
      `  (of the wall time: emulator answering ${(emulatorMs / 1000).toFixed(1)} s, ` +
        `local store and index ${(storeTime.ms / 1000).toFixed(1)} s)`,
    );
    return {
      figures: {
        label,
        wallMs,
        requests: github.cost.requests,
        notModified: github.cost.notModified,
        graphqlPoints: github.cost.graphqlPoints,
        faults: stats.faults,
        summary,
      },
      fingerprint: await fingerprintOf(index, world),
    };
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Adds the time spent in every method of a port to `total.ms`. */
function timed<T extends object>(target: T, total: { ms: number }): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const member = Reflect.get(object, property, receiver);
      if (typeof member !== 'function') return member;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await member.apply(object, args);
        } finally {
          total.ms += performance.now() - started;
        }
      };
    },
  });
}

async function fingerprintOf(index: EvidenceIndex, world: World): Promise<Map<string, string>> {
  const fingerprint = new Map<string, string>();
  for (const repo of world.repos) {
    for (const kind of ['pull-request', 'branch-commit', 'branch-protection'] as const) {
      for (const entry of await index.queryRepo(`${world.org}/${repo.name}`, { kind })) {
        fingerprint.set(`${kind}:${entry.repo}#${entry.itemId}`, entry.contentHash);
      }
    }
  }
  return fingerprint;
}

function sameEvidence(a: Map<string, string>, b: Map<string, string>): { same: boolean; differing: number } {
  let differing = 0;
  for (const [key, hash] of a) if (b.get(key) !== hash) differing += 1;
  for (const key of b.keys()) if (!a.has(key)) differing += 1;
  return { same: differing === 0, differing };
}

function print(figures: Figures, mergedPullRequests: number): void {
  const prs = figures.summary.counts['pull-request'] ?? 0;
  console.log(
    [
      `${figures.label}:`,
      `  wall time            ${(figures.wallMs / 1000).toFixed(1)} s`,
      `  merged PRs stored    ${prs} (world: ${mergedPullRequests})`,
      `  commits stored       ${figures.summary.counts['branch-commit'] ?? 0}`,
      `  GitHub requests      ${figures.requests} (${(figures.requests / Math.max(1, prs)).toFixed(3)} per merged PR)`,
      `  304 Not Modified     ${figures.notModified} (free)`,
      `  GraphQL points       ${figures.graphqlPoints} (${(figures.graphqlPoints / Math.max(1, prs)).toFixed(2)} per merged PR)`,
      `  faults injected      ${figures.faults}`,
      `  errors / gaps        ${figures.summary.errors.length} / ${figures.summary.gaps.length}`,
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const world = parseWorld(
    JSON.parse(
      JSON.stringify(
        generateWorld({ seed: 'bench', repos: REPOS, pullRequests: PULL_REQUESTS, now: NOW, days: DAYS }),
      ),
    ),
  );
  const window = rangeWindow(new Date(Date.parse(NOW) - DAYS * 86_400_000).toISOString(), NOW);
  const merged = world.repos
    .flatMap((repo) =>
      repo.pullRequests.filter((pr) => pr.mergedAt !== null && pr.baseRef === repo.defaultBranch),
    )
    .filter((pr) => pr.mergedAt !== null && pr.mergedAt >= window.from && pr.mergedAt < window.to).length;
  console.log(`world: ${world.repos.length} repositories, ${merged} merged PRs in ${window.label}`);

  // Pull requests alone: the figure the ≤ 0.1 requests per merged PR target is about.
  const prsOnly = await runOnce(world, window, ['pull-requests'], 'pull requests only');
  print(prsOnly.figures, merged);

  if (process.env.BENCH_PRS_ONLY) return;
  const kinds: CollectKind[] = ['pull-requests', 'commits', 'protection'];
  const clean = await runOnce(world, window, kinds, 'pull requests + commits + protection');
  print(clean.figures, merged);

  const faulty = await runOnce(
    world,
    window,
    kinds,
    `same with 10 % failing requests (retry base ${RETRY_BASE_MS} ms)`,
    {
      seed: 11,
      rates: { '502': 0.07, secondary: 0.03 },
      retryAfterSeconds: 1,
    },
  );
  print(faulty.figures, merged);
  const comparison = sameEvidence(clean.fingerprint, faulty.fingerprint);
  console.log(
    `evidence with faults: ${comparison.same ? 'identical' : `DIFFERS in ${comparison.differing} item(s)`} ` +
      `(${clean.fingerprint.size} items compared by content hash); extra time ${((faulty.figures.wallMs - clean.figures.wallMs) / 1000).toFixed(1)} s`,
  );
  if (!comparison.same) process.exitCode = 1;
}

await main();
