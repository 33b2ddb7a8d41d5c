import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from '../emulator/generate-world.ts';
import { type Emulator, startEmulator } from '../emulator/server.ts';
import { parseWorld, type World } from '../emulator/world.ts';
import { createGitHubClient } from '../lambdas/adapters/github/client.ts';
import { LocalEvidenceIndex } from '../lambdas/adapters/local-index.ts';
import { LocalEvidenceStore } from '../lambdas/adapters/local-store.ts';
import { collect } from '../lambdas/collect/collect.ts';
import { monthWindow } from '../lambdas/core/window.ts';

/**
 * One token's budget for a month of every kind of evidence: a generated organisation (default
 * 1,000 merged PRs in 10 repositories over 30 days, three deployments per change in its service
 * repositories) collected cold, then again "the next night" with nothing changed, by a new
 * GitHub client (as a new process or Lambda would be: nothing kept in memory, only what the
 * store and index hold). Prints requests per merged PR (REST and GraphQL together, as
 * bench/collect.bench.ts counts them), GraphQL points, 304s, objects written and wall time.
 *
 *   npx tsx bench/collect-budget.bench.ts
 *   BENCH_PRS=10000 BENCH_REPOS=50 npx tsx bench/collect-budget.bench.ts
 *   BENCH_LATENCY_MS=250 npx tsx bench/collect-budget.bench.ts   # a network-like emulator
 *
 * The emulator is given GitHub's default limits (5,000 REST requests and 5,000 GraphQL points an
 * hour) unless BENCH_UNLIMITED is set, so a run that needs more would wait for the reset.
 */

const REPOS = Number(process.env.BENCH_REPOS ?? 10);
const PULL_REQUESTS = Number(process.env.BENCH_PRS ?? 1000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 0);
const NOW = '2026-11-01T06:00:00Z';
const PERIOD = '2026-10';

interface RunFigures {
  readonly wallMs: number;
  readonly requests: number;
  readonly graphqlRequests: number;
  readonly restRequests: number;
  readonly notModified: number;
  readonly graphqlPoints: number;
  readonly objectsWritten: number;
  readonly runRecordsWritten: number;
  readonly evidenceWritten: number;
  readonly pullRequests: number;
  readonly deployments: number;
  readonly errors: number;
  readonly gaps: number;
}

/** Object versions in the local store (`.data` files), the run's own record apart. */
async function countObjects(dir: string): Promise<{ evidence: number; runRecords: number }> {
  const counts = { evidence: 0, runRecords: 0 };
  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true }).catch(() => [])) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) await walk(child);
      else if (entry.name.endsWith('.data')) {
        if (child.includes('collection-run')) counts.runRecords += 1;
        else counts.evidence += 1;
      }
    }
  };
  await walk(join(dir, 'objects'));
  return counts;
}

async function runOnce(world: World, dir: string, emulator: Emulator): Promise<RunFigures> {
  // A new client: nothing of the last run is kept in memory, only what the store and index hold.
  const operations = new Map<string, number>();
  const github = createGitHubClient({
    baseUrl: emulator.url,
    auth: { kind: 'token', token: emulator.token },
    retries: 5,
    // Counts GraphQL requests by operation name, for BENCH_ROUTES.
    fetch: async (input, init) => {
      if (typeof init?.body === 'string' && init.body.includes('"query"')) {
        const name = /\b(?:query)\s+([A-Za-z_]\w*)/.exec(init.body)?.[1] ?? 'query';
        operations.set(name, (operations.get(name) ?? 0) + 1);
      }
      return fetch(input, init);
    },
  });
  const store = new LocalEvidenceStore({ dir });
  const index = new LocalEvidenceIndex({ dir });
  const objectsBefore = await countObjects(dir);
  const logBefore = emulator.requestLog.length;
  const statsBefore = emulator.stats();
  const started = performance.now();
  const summary = await collect(
    { store, index, github, org: world.org, clock: () => new Date(world.now) },
    { window: monthWindow(PERIOD) },
  );
  const wallMs = performance.now() - started;
  const stats = emulator.stats();
  if (process.env.BENCH_ROUTES) {
    const byRoute = new Map<string, number>();
    for (const entry of emulator.requestLog.slice(logBefore)) {
      const route = `${entry.method} ${entry.path.replace(/\/repos\/[^/]+\/[^/]+/, '/repos/{o}/{r}').replace(/\/\d+/g, '/{id}')}${entry.status === 304 ? ' (304)' : ''}`;
      byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
    }
    for (const [route, n] of [...byRoute].sort((a, b) => b[1] - a[1]))
      console.log(`    ${String(n).padStart(6)}  ${route}`);
    for (const [name, n] of [...operations].sort((a, b) => b[1] - a[1]))
      console.log(`    ${String(n).padStart(6)}  GraphQL ${name}`);
  }
  const objectsAfter = await countObjects(dir);
  const written = Object.entries(summary.counts).reduce((sum, [, n]) => sum + n, 0);
  return {
    wallMs,
    requests: github.cost.requests,
    graphqlRequests: stats.graphqlRequests - statsBefore.graphqlRequests,
    restRequests: stats.restRequests - statsBefore.restRequests,
    notModified: github.cost.notModified,
    graphqlPoints: github.cost.graphqlPoints,
    objectsWritten: objectsAfter.evidence - objectsBefore.evidence,
    runRecordsWritten: objectsAfter.runRecords - objectsBefore.runRecords,
    evidenceWritten: written,
    pullRequests: (summary.counts['pull-request'] ?? 0) + (summary.unchanged['pull-request'] ?? 0),
    deployments: (summary.counts.deployment ?? 0) + (summary.unchanged.deployment ?? 0),
    errors: summary.errors.length,
    gaps: summary.gaps.length,
  };
}

function print(label: string, figures: RunFigures, merged: number): void {
  const per = (n: number) => (n / Math.max(1, merged)).toFixed(3);
  console.log(
    [
      `${label}:`,
      `  wall time              ${(figures.wallMs / 1000).toFixed(1)} s`,
      `  requests               ${figures.requests} (${per(figures.requests)} per merged PR; emulator saw ${figures.graphqlRequests} GraphQL + ${figures.restRequests} REST incl. 304s)`,
      `  304 Not Modified       ${figures.notModified} (free)`,
      `  GraphQL points         ${figures.graphqlPoints}`,
      `  PRs / deployments      ${figures.pullRequests} / ${figures.deployments}`,
      `  evidence written       ${figures.evidenceWritten} documents; ${figures.objectsWritten} object versions added to the store (+ ${figures.runRecordsWritten} collection-run record)`,
      `  errors / gaps          ${figures.errors} / ${figures.gaps}`,
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const world = parseWorld(
    JSON.parse(
      JSON.stringify(
        generateWorld({ seed: 'budget', repos: REPOS, pullRequests: PULL_REQUESTS, now: NOW, days: 31 }),
      ),
    ),
  );
  const window = monthWindow(PERIOD);
  const merged = world.repos
    .flatMap((repo) => repo.pullRequests.filter((pr) => pr.baseRef === repo.defaultBranch))
    .filter((pr) => pr.mergedAt !== null && pr.mergedAt >= window.from && pr.mergedAt < window.to).length;
  const deployments = world.repos.reduce((sum, repo) => sum + repo.deployments.length, 0);
  console.log(
    `world: ${world.repos.length} repositories, ${merged} merged PRs in ${PERIOD}, ${deployments} deployments; emulator latency ${LATENCY_MS} ms`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'cm01-bench-budget-'));
  // One GitHub for both nights, as in life: its ETags and URLs stay the same.
  const emulator = await startEmulator({
    world,
    port: 0,
    latencyMs: LATENCY_MS,
    requestLogSize: 1_000_000,
    ...(process.env.BENCH_UNLIMITED ? { rateLimits: { core: 1_000_000, graphql: 1_000_000 } } : {}),
  });
  try {
    print('cold', await runOnce(world, dir, emulator), merged);
    print('next night, nothing changed (new client)', await runOnce(world, dir, emulator), merged);
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
