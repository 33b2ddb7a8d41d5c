/**
 * Benchmark of the monthly job on a generated organisation: collect one month of every kind
 * from the emulator into the embedded store, then build the pack — read the period's evidence
 * through the index, judge every change, render and store the PDF — with the time of each
 * step and the peak memory of the process; and a second collection of the same month, as the next
 * nightly run makes it.
 *
 *   npx tsx bench/monthly-pack.bench.ts            # 20 repositories, 2,000 merged PRs over 30 days
 *   BENCH_PRS=5000 npx tsx bench/monthly-pack.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from '../emulator/generate-world.ts';
import { startEmulator } from '../emulator/server.ts';
import { parseWorld } from '../emulator/world.ts';
import { createGitHubClient } from '../lambdas/adapters/github/client.ts';
import { openPackSigner } from '../lambdas/adapters/open-signer.ts';
import { openStore } from '../lambdas/adapters/open-store.ts';
import { renderPack } from '../lambdas/adapters/pdf/render-pack.ts';
import { collect } from '../lambdas/collect/collect.ts';
import { shippedProfile } from '../lambdas/core/shipped-profiles.ts';
import { monthWindow } from '../lambdas/core/window.ts';
import { buildPack } from '../lambdas/pack/build-pack.ts';

const REPOS = Number(process.env.BENCH_REPOS ?? 20);
const PULL_REQUESTS = Number(process.env.BENCH_PRS ?? 2000);
const NOW = '2026-11-01T06:00:00Z';

const world = parseWorld(
  generateWorld({ seed: 42, repos: REPOS, pullRequests: PULL_REQUESTS, now: NOW, days: 31 }),
);
const window = monthWindow('2026-10');
const emulator = await startEmulator({ world, port: 0, rateLimits: { core: 1_000_000, graphql: 1_000_000 } });
const dir = await mkdtemp(join(tmpdir(), 'cm01-bench-pack-'));
try {
  const { store, index } = await openStore(`local:${dir}`);
  const github = createGitHubClient({
    baseUrl: emulator.url,
    auth: { kind: 'token', token: emulator.token },
  });
  let started = performance.now();
  const collection = await collect(
    { store, index, github, org: world.org, clock: () => new Date(world.now) },
    { window },
  );
  const collectMs = performance.now() - started;

  // The next nightly run over the same month: what is settled is not read again, and what is
  // read again through REST is asked conditionally (a 304 is free).
  const before = github.cost;
  const coreUsedBefore = await coreUsed(emulator.url, emulator.token);
  started = performance.now();
  const rerun = await collect(
    { store, index, github, org: world.org, clock: () => new Date(world.now) },
    { window },
  );
  const rerunMs = performance.now() - started;
  const after = github.cost;
  const rerunCharged = (await coreUsed(emulator.url, emulator.token)) - coreUsedBefore;

  const steps: string[] = [];
  const render: typeof renderPack = async (model, options) => {
    steps.push(
      `judged ${model.population.length} changes in ${(performance.now() - started).toFixed(0)} ms (read + evaluate)`,
    );
    const renderStarted = performance.now();
    const rendered = await renderPack(model, options);
    steps.push(
      `rendered ${rendered.pageCount} pages in ${(performance.now() - renderStarted).toFixed(0)} ms`,
    );
    return rendered;
  };
  started = performance.now();
  const pack = await buildPack(
    { store, index, render, signer: await openPackSigner(`local:${dir}`) },
    { window, profile: shippedProfile('clerk-cm01') },
  );
  const packMs = performance.now() - started;

  const written = Object.values(collection.counts).reduce((a, b) => a + b, 0);
  console.log(
    `world: ${REPOS} repositories, ${PULL_REQUESTS} merged PRs over 31 days; window ${window.label}`,
  );
  console.log(
    `collect (every kind): ${(collectMs / 1000).toFixed(1)} s, ${written} documents, ${collection.apiCost.requests} requests, ${collection.apiCost.graphqlPoints} GraphQL points`,
  );
  console.log(
    `collect again (nothing new): ${(rerunMs / 1000).toFixed(1)} s, ${Object.values(rerun.counts).reduce((a, b) => a + b, 0)} documents written, ${rerun.apiCost.requests} requests`,
  );
  console.log(
    `  of which REST GETs answered 304 Not Modified (free): ${after.notModified - before.notModified}; ` +
      `requests charged: ${after.requests - before.requests} by the client's count, ${rerunCharged} REST by the emulator's limit`,
  );
  for (const step of steps) console.log(`  ${step}`);
  console.log(
    `build pack: ${(packMs / 1000).toFixed(1)} s — ${pack.model.population.length} changes, ${pack.model.exceptions.length} exceptions, ${pack.model.manifest.length} evidence objects in the manifest`,
  );
  console.log(`peak RSS of the process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
}

/** REST requests charged so far in this hour (`GET /rate_limit` is itself free, as on GitHub). */
async function coreUsed(baseUrl: string, token: string): Promise<number> {
  const response = await fetch(`${baseUrl}/rate_limit`, { headers: { authorization: `token ${token}` } });
  const body = (await response.json()) as { resources: { core: { used: number } } };
  return body.resources.core.used;
}
