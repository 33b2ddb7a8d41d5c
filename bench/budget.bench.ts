/**
 * The GitHub budget of one month, end to end, against its targets: a generated organisation
 * (50 repositories, 10,000 merged PRs, about three deployments each, every kind collected)
 * served by the emulator at GitHub's limits, then
 *
 *   cold   the first collection of the month: REST requests, GraphQL requests and points,
 *          304s, requests per merged PR, objects written, wall time (emulator latency 0);
 *   warm   the next night, nothing changed, in a new process as a scheduled run starts:
 *          requests per merged PR and objects written;
 *   pack   the pack built from the store (read, judge, render, store) for those changes, and
 *          for five times as many (the store replicated under other repository names), each in
 *          a fresh process: wall time and peak RSS;
 *   latency the cold collection again with a latency like GitHub's (250 ms a REST call, 1 s a
 *          GraphQL page), on a smaller organisation (200 PRs) unless BENCH_LATENCY_PRS says otherwise,
 *          with the wall time projected to the full size.
 *
 * Every phase runs in its own process (fresh memory, fresh caches, its own peak RSS); the
 * emulator runs in this one. GitHub's hour is compressed (BENCH_HOUR_SECONDS, default 60) so a
 * run that needs several hours of one token's budget still ends: the waits are counted and
 * reported apart, and the hours a token would need on GitHub are computed from the totals.
 *
 *   npx tsx bench/budget.bench.ts                       # 10,000 PRs; latency run on 200
 *   BENCH_PRS=2000 BENCH_REPOS=10 npx tsx bench/budget.bench.ts
 *   BENCH_PHASES=cold,warm,pack npx tsx bench/budget.bench.ts
 *   BENCH_PACK_MULTIPLIER=5 BENCH_LATENCY_PRS=10000 npx tsx bench/budget.bench.ts
 *
 * The pack phases alone, on a store collected before (kept by BENCH_KEEP_STORE): BENCH_STORE
 * names it, and it is used in place and never removed (the packs are written into it, and the
 * replicated repositories too: give it a copy). A store already replicated is not replicated
 * again: only the large pack is built, so the 50,000-change pack can be measured again and again.
 * BENCH_CPU_PROFILE=<dir> writes a V8 CPU profile of each pack build there.
 *
 *   BENCH_STORE=<copy of a kept store> BENCH_PHASES=pack npx tsx bench/budget.bench.ts
 *
 * Exit status 1 when a target is missed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { generateWorld } from '../emulator/generate-world.ts';
import { type Emulator, startEmulator } from '../emulator/server.ts';
import { parseWorld, type World } from '../emulator/world.ts';
import { createGitHubClient } from '../lambdas/adapters/github/client.ts';
import { openPackSigner } from '../lambdas/adapters/open-signer.ts';
import { openStore } from '../lambdas/adapters/open-store.ts';
import { renderPack } from '../lambdas/adapters/pdf/render-pack.ts';
import { buildWindowPack } from '../lambdas/app/build-pack.ts';
import { collectWindow } from '../lambdas/app/collect-window.ts';
import { shippedProfile } from '../lambdas/core/shipped-profiles.ts';
import { monthWindow, periodsOf } from '../lambdas/core/window.ts';
import { canonicalJson } from '../lambdas/evidence/canonical-json.ts';
import { type DocumentKind, parseEvidenceDocument } from '../lambdas/evidence/documents.ts';
import type { EvidenceStore, IndexEntry } from '../lambdas/evidence/ports.ts';
import { contentHashOf, evidenceKey, indexEntryOf } from '../lambdas/evidence/record.ts';

const PRS = Number(process.env.BENCH_PRS ?? 10_000);
const REPOS = Number(process.env.BENCH_REPOS ?? 50);
const LATENCY_PRS = Number(process.env.BENCH_LATENCY_PRS ?? Math.min(PRS, 200));
const LATENCY_REPOS = Number(
  process.env.BENCH_LATENCY_REPOS ?? Math.max(1, Math.round((REPOS * LATENCY_PRS) / PRS)),
);
const REST_LATENCY_MS = Number(process.env.BENCH_REST_LATENCY_MS ?? 250);
const GRAPHQL_LATENCY_MS = Number(process.env.BENCH_GRAPHQL_LATENCY_MS ?? 1_000);
const HOUR_SECONDS = Number(process.env.BENCH_HOUR_SECONDS ?? 60);
const PACK_MULTIPLIER = Number(process.env.BENCH_PACK_MULTIPLIER ?? 5);
/** Print the charged requests of each collection by route (BENCH_ROUTES=1). */
const ROUTES = process.env.BENCH_ROUTES === '1';
const PHASES = new Set((process.env.BENCH_PHASES ?? 'cold,warm,pack,latency').split(','));
/** A store collected before: the pack phases run on it instead of a new collection. */
const GIVEN_STORE = process.env.BENCH_STORE;
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
/** GitHub's default limits for one token: 5,000 REST requests and 5,000 GraphQL points an hour. */
const GITHUB_LIMITS = { core: 5_000, graphql: 5_000 } as const;
const NOW = '2026-11-01T06:00:00Z';
const PERIOD = '2026-10';
const PROFILE = 'clerk-cm01';

const TARGETS = {
  coldPerPr: 0.25,
  coldPoints: 5_000,
  coldWallS: 600,
  warmPerPr: 0.05,
  warmWritten: 0,
  pack10k: { s: 10, mb: 1_024 },
  pack50k: { s: 60, mb: 2_048 },
} as const;

// ---------------------------------------------------------------- the phases (child processes)

interface CollectFigures {
  readonly wallMs: number;
  /** CPU time of the collecting process (the emulator runs in the parent). */
  readonly cpuMs: number;
  readonly restRequests: number;
  readonly graphqlRequests: number;
  /** Conditional GETs answered 304: free on GitHub. */
  readonly notModified: number;
  /** Requests refused because the (compressed) hour's budget ran out; retried after the reset. */
  readonly rateLimited: number;
  readonly graphqlPoints: number;
  readonly waits: number;
  readonly waitedMs: number;
  readonly objectsWritten: number;
  readonly objectsUnchanged: number;
  readonly writtenByKind: Readonly<Record<string, number>>;
  /** Dated snapshots (branch protection, team membership) the run found unchanged and did not write. */
  readonly snapshotsVerified: number;
  /** The run's own `collection-run` record, written by every run. */
  readonly runRecordsWritten: number;
  /** Pull requests the run read and stored (new or unchanged). */
  readonly pullRequestsRead: number;
  readonly errors: number;
  readonly peakRssMb: number;
  /** Charged requests by REST route template (and selecting query parameters) or GraphQL operation. */
  readonly byRoute: Readonly<Record<string, number>>;
  /** GraphQL points by operation (as each answer's `rateLimit.cost` says; BENCH_ROUTES=1). */
  readonly pointsByOperation: Readonly<Record<string, number>>;
}

interface PackFigures {
  readonly wallMs: number;
  /** CPU time (user + system) of the build: its wall time on an idle core. */
  readonly cpuMs: number;
  readonly readAndJudgeMs: number;
  readonly renderMs: number;
  readonly changes: number;
  readonly evidenceObjects: number;
  readonly pages: number;
  readonly peakRssMb: number;
}

/** One collection of the month, as `cm01 collect` makes it: a new client, the store opened afresh. */
async function collectPhase(args: {
  dir: string;
  url: string;
  token: string;
  org: string;
  clock: string;
}): Promise<CollectFigures> {
  const { store, index } = await openStore(`local:${args.dir}`);
  const counted = { rest: 0, graphql: 0, notModified: 0, rateLimited: 0, waits: 0, waitedMs: 0 };
  const byRoute: Record<string, number> = {};
  const pointsByOperation: Record<string, number> = {};
  const countingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const charged =
      response.status !== 304 &&
      !(response.status === 403 && response.headers.get('x-ratelimit-remaining') === '0');
    if (response.status === 304) counted.notModified++;
    else if (!charged) counted.rateLimited++;
    else if (new URL(url).pathname.endsWith('/graphql')) counted.graphql++;
    else counted.rest++;
    if (charged) {
      const route = routeOf(url, init?.body);
      byRoute[route] = (byRoute[route] ?? 0) + 1;
      if (ROUTES && route.startsWith('GraphQL ')) {
        const answer = (await response.clone().json()) as { data?: { rateLimit?: { cost?: number } } };
        const cost = answer.data?.rateLimit?.cost;
        if (typeof cost === 'number') pointsByOperation[route] = (pointsByOperation[route] ?? 0) + cost;
      }
    }
    return response;
  };
  const github = createGitHubClient({
    baseUrl: args.url,
    auth: { kind: 'token', token: args.token },
    retries: 10,
    fetch: countingFetch,
    onProgress: (event) => {
      if (event.type === 'rate-limit') {
        counted.waits++;
        counted.waitedMs += event.retryAfterSeconds * 1000;
      }
    },
  });
  let written = 0;
  let unchanged = 0;
  let runRecords = 0;
  const writtenByKind: Record<string, number> = {};
  const countingStore: EvidenceStore = Object.create(store, {
    put: {
      value: async (input: Parameters<EvidenceStore['put']>[0]) => {
        const result = await store.put(input);
        // Every run records itself once (`collection-run`): counted apart from the evidence.
        const kind = input.key.split('/')[3] ?? input.key;
        if (kind === 'collection-run') runRecords += result.written ? 1 : 0;
        else if (result.written) {
          written++;
          writtenByKind[kind] = (writtenByKind[kind] ?? 0) + 1;
        } else unchanged++;
        return result;
      },
    },
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const outcome = await collectWindow(
    { store: countingStore, index, github, org: args.org, clock: () => new Date(args.clock) },
    { window: monthWindow(PERIOD), profile: shippedProfile(PROFILE).profile },
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const summary = outcome.summary;
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    restRequests: counted.rest,
    graphqlRequests: counted.graphql,
    notModified: counted.notModified,
    rateLimited: counted.rateLimited,
    graphqlPoints: github.cost.graphqlPoints,
    waits: counted.waits,
    waitedMs: counted.waitedMs,
    objectsWritten: written,
    objectsUnchanged: unchanged,
    writtenByKind,
    snapshotsVerified:
      (summary.unchanged['branch-protection'] ?? 0) + (summary.unchanged['team-membership'] ?? 0),
    runRecordsWritten: runRecords,
    pullRequestsRead: (summary.counts['pull-request'] ?? 0) + (summary.unchanged['pull-request'] ?? 0),
    errors: summary.errors.length,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    byRoute,
    pointsByOperation,
  };
}

/**
 * A charged request's route: REST as GitHub's route template with the query parameters that
 * select what is listed (paging left out), GraphQL by operation name.
 */
function routeOf(url: string, body: unknown): string {
  const parsed = new URL(url);
  if (parsed.pathname.endsWith('/graphql')) {
    const query = typeof body === 'string' ? (JSON.parse(body) as { query?: string }).query : undefined;
    const name = /\b(?:query|mutation)\s+(\w+)/.exec(query ?? '')?.[1] ?? '(anonymous)';
    return `GraphQL ${name}`;
  }
  const segments = parsed.pathname.split('/').filter((segment) => segment !== '');
  const template: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const previous = template[template.length - 1];
    if (i === 1 && (segments[0] === 'repos' || segments[0] === 'orgs'))
      template.push(segments[0] === 'repos' ? '{owner}' : '{org}');
    else if (i === 2 && segments[0] === 'repos') template.push('{repo}');
    else if (previous === 'branches' || previous === 'contents') {
      // A branch or a path may hold slashes: the rest is the name, but for a trailing `protection`.
      const rest = segments.slice(i);
      template.push(previous === 'branches' ? '{branch}' : '{path}');
      if (previous === 'branches' && rest[rest.length - 1] === 'protection' && rest.length > 1)
        template.push('protection');
      break;
    } else if (/^\d+$/.test(segment)) template.push('{id}');
    else if (/^[0-9a-f]{40}$/.test(segment)) template.push('{sha}');
    else if (previous === 'teams') template.push('{team_slug}');
    else template.push(segment);
  }
  const selectors = [...parsed.searchParams.keys()]
    .filter((key) => !['page', 'per_page', 'after', 'before'].includes(key))
    .sort();
  return `GET /${template.join('/')}${selectors.length > 0 ? `?${selectors.join('&')}` : ''}`;
}

/** Build the month's pack from the store alone, as `cm01 pack` does. */
async function packPhase(args: { dir: string; org: string }): Promise<PackFigures> {
  const { store, index } = await openStore(`local:${args.dir}`);
  const signer = await openPackSigner(`local:${args.dir}`);
  let renderStarted = 0;
  let renderMs = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const pack = await buildWindowPack(
    {
      store,
      index,
      signer,
      render: async (model, options) => {
        renderStarted = performance.now();
        const rendered = await renderPack(model, options);
        renderMs = performance.now() - renderStarted;
        return rendered;
      },
    },
    { window: monthWindow(PERIOD), profile: shippedProfile(PROFILE), org: args.org },
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    readAndJudgeMs: renderStarted - started,
    renderMs,
    changes: pack.model.population.length,
    evidenceObjects: pack.model.manifest.length,
    pages: pack.pageCount,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

const REPLICATED_KINDS: readonly DocumentKind[] = [
  'pull-request',
  'branch-commit',
  'deployment',
  'override',
  'branch-protection',
];

/**
 * Make the store hold `copies` more organisations' worth of repositories: every per-repository
 * document of the months around the period written again under `<name>-copy<n>`, through the
 * same key, hash and index-row functions the collectors use, so the pack reads it as collected.
 */
async function replicatePhase(args: {
  dir: string;
  copies: number;
}): Promise<{ written: number; ms: number }> {
  const { store, index } = await openStore(`local:${args.dir}`);
  const started = performance.now();
  const months = periodsOf({ from: '2026-09-01T00:00:00Z', to: '2026-12-01T00:00:00Z' });
  const limit = pLimit(8);
  let written = 0;
  for (const kind of REPLICATED_KINDS) {
    for (const period of months) {
      const rows = (await index.queryPeriod(kind, period)).filter((row) => !/-copy\d+$/.test(row.repo));
      const batches = await limit.map(rows, async (row) => {
        const { body } = await store.get(row.key, row.versionId);
        const text = new TextDecoder().decode(body);
        const entries: IndexEntry[] = [];
        for (let copy = 2; copy <= args.copies + 1; copy++) {
          const renamed = `${row.repo}-copy${copy}`;
          // The repository's full name wherever it appears (URLs, check suites), never a longer name.
          const replaced = text.replace(
            new RegExp(`${escapeRegExp(row.repo)}(?![A-Za-z0-9._-])`, 'g'),
            renamed,
          );
          const doc = parseEvidenceDocument(kind, JSON.parse(replaced));
          const stored = await store.put({
            key: evidenceKey(doc.kind, doc.repo, doc.occurredAt, doc.itemId),
            body: new TextEncoder().encode(canonicalJson(doc)),
            contentType: 'application/json',
            contentHash: contentHashOf(doc),
          });
          entries.push(indexEntryOf(doc, stored));
        }
        return entries;
      });
      const entries = batches.flat();
      for (let i = 0; i < entries.length; i += 1_000) await index.put(entries.slice(i, i + 1_000));
      written += entries.length;
    }
  }
  return { written, ms: performance.now() - started };
}

/** Whether the store holds the repositories `replicatePhase` writes (their index rows name them). */
async function isReplicated(dir: string): Promise<boolean> {
  const { index } = await openStore(`local:${dir}`);
  const rows = await index.queryPeriod('pull-request', PERIOD);
  return rows.some((row) => /-copy\d+$/.test(row.repo));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function childMain(phase: string, json: string): Promise<void> {
  const args = JSON.parse(json);
  const result =
    phase === 'collect'
      ? await collectPhase(args)
      : phase === 'pack'
        ? await packPhase(args)
        : phase === 'replicate'
          ? await replicatePhase(args)
          : undefined;
  if (result === undefined) throw new Error(`unknown phase ${phase}`);
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

/** Run a phase in a fresh process; asynchronously, so the emulator in this one keeps answering. */
function runChild<T>(phase: string, args: unknown, nodeOptions: readonly string[] = []): Promise<T> {
  const here = dirname(fileURLToPath(import.meta.url));
  const tsx = join(here, '..', 'node_modules', '.bin', 'tsx');
  return new Promise((resolve, reject) => {
    execFile(
      tsx,
      [...nodeOptions, fileURLToPath(import.meta.url), '--child', phase, JSON.stringify(args)],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`phase ${phase} failed: ${error.message}\n${stderr}`));
          return;
        }
        resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as T);
      },
    );
  });
}

// ---------------------------------------------------------------- the report (this process)

interface Row {
  readonly figure: string;
  readonly measured: string;
  readonly target?: string;
  readonly met?: boolean;
}

const rows: Row[] = [];
const row = (figure: string, measured: string, target?: string, met?: boolean) =>
  rows.push({
    figure,
    measured,
    ...(target !== undefined ? { target } : {}),
    ...(met !== undefined ? { met } : {}),
  });

function mergedPullRequests(world: World): number {
  const window = monthWindow(PERIOD);
  return world.repos
    .flatMap((repo) =>
      repo.pullRequests.filter((pr) => pr.mergedAt !== null && pr.baseRef === repo.defaultBranch),
    )
    .filter((pr) => (pr.mergedAt as string) >= window.from && (pr.mergedAt as string) < window.to).length;
}

function makeWorld(repos: number, prs: number): World {
  return parseWorld(generateWorld({ seed: 'budget', repos, pullRequests: prs, now: NOW, days: 31 }));
}

async function withEmulator<T>(
  world: World,
  latency: { rest: number; graphql: number },
  work: (emulator: Emulator) => Promise<T>,
): Promise<T> {
  const emulator = await startEmulator({
    world,
    rateLimits: GITHUB_LIMITS,
    rateWindowSeconds: HOUR_SECONDS,
    latencyMs: latency,
    requestLogSize: 1,
  });
  try {
    return await work(emulator);
  } finally {
    await emulator.close();
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perPr = (requests: number, merged: number) => (requests / Math.max(1, merged)).toFixed(3);

function reportCollect(label: string, figures: CollectFigures, merged: number): void {
  const requests = figures.restRequests + figures.graphqlRequests;
  row(`${label}: REST requests (charged)`, String(figures.restRequests));
  row(`${label}: GraphQL requests`, String(figures.graphqlRequests));
  row(`${label}: 304 Not Modified (free)`, String(figures.notModified));
  row(`${label}: GraphQL points`, String(figures.graphqlPoints));
  row(
    `${label}: evidence objects written / unchanged`,
    `${figures.objectsWritten} / ${figures.objectsUnchanged} (written by kind: ${JSON.stringify(figures.writtenByKind)}; ` +
      `+ ${figures.runRecordsWritten} run record; ${figures.pullRequestsRead} PRs read; ${figures.errors} errors)`,
  );
  row(
    `${label}: hours of one token's budget`,
    `${Math.max(Math.ceil(figures.restRequests / GITHUB_LIMITS.core), Math.ceil(figures.graphqlPoints / GITHUB_LIMITS.graphql), 1)} ` +
      `(budget ran out ${figures.rateLimited} times in the ${HOUR_SECONDS}-s emulated hour)`,
  );
  row(
    `${label}: wall time`,
    `${s(figures.wallMs)} (of which waiting for the emulated hour to reset ${s(figures.waitedMs)}; CPU of the collector ${s(figures.cpuMs)})`,
  );
  row(`${label}: requests (REST + GraphQL)`, `${requests} (${perPr(requests, merged)} per merged PR)`);
  if (ROUTES) {
    const routes = Object.entries(figures.byRoute).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    for (const [route, count] of routes)
      row(
        `${label}: by route: ${route}`,
        `${count} (${perPr(count, merged)} per merged PR)${route in figures.pointsByOperation ? `; ${figures.pointsByOperation[route]} points` : ''}`,
      );
  }
}

async function main(): Promise<void> {
  const world = makeWorld(REPOS, PRS);
  const merged = mergedPullRequests(world);
  const deployments = world.repos.reduce((sum, repo) => sum + repo.deployments.length, 0);
  console.log(
    `world: ${REPOS} repositories, ${merged} merged PRs in ${PERIOD}, ${deployments} deployments; ` +
      `emulator at ${GITHUB_LIMITS.core} REST / ${GITHUB_LIMITS.graphql} GraphQL points an hour (hour compressed to ${HOUR_SECONDS} s)`,
  );
  console.log(`load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores`);
  const dir = GIVEN_STORE ?? (await mkdtemp(join(tmpdir(), 'cm01-bench-budget-')));
  let allMet = true;
  const judge = (met: boolean) => {
    allMet &&= met;
    return met;
  };
  try {
    if (PHASES.has('cold') || PHASES.has('warm')) {
      await withEmulator(world, { rest: 0, graphql: 0 }, async (emulator) => {
        const cold = await runChild<CollectFigures>('collect', {
          dir,
          url: emulator.url,
          token: emulator.token,
          org: world.org,
          clock: NOW,
        });
        reportCollect('cold', cold, merged);
        const coldRequests = cold.restRequests + cold.graphqlRequests;
        row(
          'cold: requests per merged PR',
          perPr(coldRequests, merged),
          `≤ ${TARGETS.coldPerPr}`,
          judge(coldRequests / merged <= TARGETS.coldPerPr),
        );
        row(
          'cold: GraphQL points',
          String(cold.graphqlPoints),
          `≤ ${TARGETS.coldPoints}`,
          judge(cold.graphqlPoints <= TARGETS.coldPoints),
        );
        const coldWorkMs = cold.wallMs - cold.waitedMs;
        row(
          'cold: wall time without rate-limit waits (latency 0)',
          s(coldWorkMs),
          `≤ ${TARGETS.coldWallS} s`,
          judge(coldWorkMs <= TARGETS.coldWallS * 1000),
        );
        if (PHASES.has('warm')) {
          // The next night: a new process, a new client, nothing changed on GitHub.
          const nextNight = new Date(Date.parse(NOW) + 86_400_000).toISOString();
          const warm = await runChild<CollectFigures>('collect', {
            dir,
            url: emulator.url,
            token: emulator.token,
            org: world.org,
            clock: nextNight,
          });
          reportCollect('warm', warm, merged);
          const warmRequests = warm.restRequests + warm.graphqlRequests;
          row(
            'warm: requests per merged PR',
            perPr(warmRequests, merged),
            `≤ ${TARGETS.warmPerPr}`,
            judge(warmRequests / merged <= TARGETS.warmPerPr),
          );
          // The run's own `collection-run` record is the one object every run writes.
          const evidenceWritten = warm.objectsWritten;
          row(
            'warm: evidence objects written',
            String(evidenceWritten),
            `${TARGETS.warmWritten}`,
            judge(evidenceWritten <= TARGETS.warmWritten),
          );
          // The new day's snapshots (branch protection of each repository, each team's members)
          // are read and compared with the ones in force: unchanged, they are counted verified in
          // the run's record and not written (a snapshot is restated only once a week old).
          const daily =
            (warm.writtenByKind['branch-protection'] ?? 0) + (warm.writtenByKind['team-membership'] ?? 0);
          row('warm: dated snapshots verified unchanged / written', `${warm.snapshotsVerified} / ${daily}`);
        }
      });
    }
    if (PHASES.has('pack')) {
      if (!PHASES.has('cold') && GIVEN_STORE === undefined)
        throw new Error(
          'the pack phase builds from the cold collection: keep "cold" in BENCH_PHASES, or name a collected store in BENCH_STORE',
        );
      const profile = (name: string) =>
        CPU_PROFILE_DIR
          ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`]
          : [];
      const replicatedAlready = GIVEN_STORE !== undefined && (await isReplicated(dir));
      if (replicatedAlready) console.log('(the store is replicated already: only the large pack is built)');
      else {
        const small = await runChild<PackFigures>('pack', { dir, org: world.org }, profile('pack-small'));
        // The targets are for the month of 10,000 PRs and five times it (a few direct pushes on top).
        const smallTarget = PRS >= 10_000 ? TARGETS.pack10k : undefined;
        reportPack(`pack (${small.changes} changes)`, small, smallTarget, judge);
      }
      if (PACK_MULTIPLIER > 1) {
        if (!replicatedAlready) {
          const replicated = await runChild<{ written: number; ms: number }>('replicate', {
            dir,
            copies: PACK_MULTIPLIER - 1,
          });
          console.log(
            `(store replicated ×${PACK_MULTIPLIER}: ${replicated.written} objects written in ${s(replicated.ms)})`,
          );
        }
        const large = await runChild<PackFigures>('pack', { dir, org: world.org }, profile('pack-large'));
        const largeTarget = PRS * PACK_MULTIPLIER >= 50_000 ? TARGETS.pack50k : undefined;
        reportPack(`pack (${large.changes} changes)`, large, largeTarget, judge);
      }
    }
    if (PHASES.has('latency')) {
      const small = makeWorld(LATENCY_REPOS, LATENCY_PRS);
      const smallMerged = mergedPullRequests(small);
      const latencyDir = await mkdtemp(join(tmpdir(), 'cm01-bench-budget-latency-'));
      try {
        await withEmulator(
          small,
          { rest: REST_LATENCY_MS, graphql: GRAPHQL_LATENCY_MS },
          async (emulator) => {
            const figures = await runChild<CollectFigures>('collect', {
              dir: latencyDir,
              url: emulator.url,
              token: emulator.token,
              org: small.org,
              clock: NOW,
            });
            const label = `cold with latency (${REST_LATENCY_MS} ms REST, ${GRAPHQL_LATENCY_MS} ms GraphQL; ${LATENCY_REPOS} repos, ${smallMerged} PRs)`;
            reportCollect(label, figures, smallMerged);
            const workMs = figures.wallMs - figures.waitedMs;
            if (smallMerged < merged) {
              row(
                `${label}: wall time projected to ${merged} PRs`,
                `${s((workMs * merged) / Math.max(1, smallMerged))} (linear in PRs; waits excluded)`,
              );
            }
          },
        );
      } finally {
        await rm(latencyDir, { recursive: true, force: true });
      }
    }
  } finally {
    if (GIVEN_STORE !== undefined) console.log(`store used in place: ${dir}`);
    else if (process.env.BENCH_KEEP_STORE) console.log(`store kept at ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map((r) => r.figure.length));
  for (const r of rows) {
    const verdict = r.target === undefined ? '' : `   target ${r.target}: ${r.met ? 'met' : 'MISSED'}`;
    console.log(`${r.figure.padEnd(width)}  ${r.measured}${verdict}`);
  }
  if (!allMet) process.exitCode = 1;
}

function reportPack(
  label: string,
  figures: PackFigures,
  target: { s: number; mb: number } | undefined,
  judge: (met: boolean) => boolean,
): void {
  row(
    `${label}: steps`,
    `read + judge ${s(figures.readAndJudgeMs)}, render ${s(figures.renderMs)} (${figures.pages} pages), ${figures.evidenceObjects} evidence objects`,
  );
  row(
    `${label}: wall time`,
    `${s(figures.wallMs)} (CPU ${s(figures.cpuMs)})`,
    target ? `≤ ${target.s} s` : undefined,
    target ? judge(figures.wallMs <= target.s * 1000) : undefined,
  );
  row(
    `${label}: peak RSS`,
    `${figures.peakRssMb} MB`,
    target ? `≤ ${target.mb} MB` : undefined,
    target ? judge(figures.peakRssMb <= target.mb) : undefined,
  );
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0)
  await childMain(process.argv[childIndex + 1] as string, process.argv[childIndex + 2] as string);
else await main();
