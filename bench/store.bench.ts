import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { DynamoEvidenceIndex } from '../lambdas/adapters/dynamo-index.ts';
import { openStore } from '../lambdas/adapters/open-store.ts';
import { storeProvisioner } from '../lambdas/adapters/store-init.ts';
import { initStore } from '../lambdas/app/init-store.ts';
import { canonicalJson } from '../lambdas/evidence/canonical-json.ts';
import type { EvidenceIndex, EvidenceStore, IndexEntry } from '../lambdas/evidence/ports.ts';
import { evidenceKey } from '../lambdas/evidence/record.ts';
import { readServersEnvFile, startServers } from '../scripts/servers/servers.ts';

/**
 * Evidence store benchmark: write N small evidence objects and their index rows, write them
 * again (nothing may be written the second time), then read one period's index.
 * Runs against Ceph RGW + DynamoDB Local (started here, or reused from
 * `CM01_TEST_SERVERS_ENV=FILE`) and against the local locker.
 *
 *   npx tsx bench/store.bench.ts            # N = 10,000
 *   BENCH_N=2000 npx tsx bench/store.bench.ts
 */

const N = Number(process.env.BENCH_N ?? 10_000);
const OBJECT_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PERIOD = '2026-10';
const REPOS = 20;

interface Figures {
  readonly store: string;
  readonly writeMs: number;
  readonly objectsWritten: number;
  readonly indexWriteMs: number;
  readonly rowsWritten: number;
  readonly rerunMs: number;
  readonly rerunObjectsMs: number;
  readonly rerunIndexMs: number;
  readonly rerunObjectsWritten: number;
  readonly rerunRowsWritten: number;
  readonly queryMs: number;
  readonly rowsRead: number;
  readonly queryRequests: string;
  readonly listMs: number;
  readonly objectsListed: number;
}

function documentOf(i: number): {
  key: string;
  body: Uint8Array;
  occurredAt: string;
  repo: string;
  itemId: string;
} {
  const repo = `acme/repo-${String(i % REPOS).padStart(2, '0')}`;
  const itemId = String(i);
  const occurredAt = new Date(Date.UTC(2026, 9, 1) + (i % (30 * 24)) * 3_600_000).toISOString();
  const body = new TextEncoder().encode(
    canonicalJson({
      kind: 'pull-request',
      org: 'acme',
      repo,
      itemId,
      occurredAt,
      data: {
        number: i,
        title: `Change ${i}`,
        mergedBy: 'alice',
        reviews: [{ by: 'bob', state: 'APPROVED' }],
      },
    }),
  );
  return { key: evidenceKey('pull-request', repo, occurredAt, itemId), body, occurredAt, repo, itemId };
}

async function writeAll(
  store: EvidenceStore,
  index: EvidenceIndex,
): Promise<{ objectsMs: number; objectsWritten: number; indexMs: number; rowsWritten: number }> {
  const docs = Array.from({ length: N }, (_, i) => documentOf(i));
  const started = performance.now();
  const puts = await pLimit(OBJECT_CONCURRENCY).map(docs, (doc) =>
    store.put({ key: doc.key, body: doc.body, contentType: 'application/json' }),
  );
  const objectsMs = performance.now() - started;
  const entries: IndexEntry[] = puts.map((put, i) => {
    const doc = docs[i]!;
    return {
      kind: 'pull-request',
      period: PERIOD,
      repo: doc.repo,
      itemId: doc.itemId,
      occurredAt: doc.occurredAt,
      key: put.key,
      versionId: put.versionId,
      sha256: put.sha256,
      contentHash: put.contentHash,
      retainUntil: put.retainUntil,
    };
  });
  const indexStarted = performance.now();
  const indexed = await index.put(entries);
  return {
    objectsMs,
    objectsWritten: puts.filter((p) => p.written).length,
    indexMs: performance.now() - indexStarted,
    rowsWritten: indexed.written,
  };
}

async function measure(label: string, store: EvidenceStore, index: EvidenceIndex): Promise<Figures> {
  process.stderr.write(`${label}: writing ${N} objects…\n`);
  const first = await writeAll(store, index);
  process.stderr.write(`${label}: writing them again…\n`);
  const rerunStarted = performance.now();
  const second = await writeAll(store, index);
  const rerunMs = performance.now() - rerunStarted;
  const queriesBefore = index instanceof DynamoEvidenceIndex ? index.requestCounts.query : 0;
  const queryStarted = performance.now();
  const rows = await index.queryPeriod('pull-request', PERIOD);
  const queryMs = performance.now() - queryStarted;
  // What the pack's cross-check adds: one listing per repository prefix of the month.
  const listStarted = performance.now();
  const repoPrefixes = Array.from(
    { length: REPOS },
    (_, r) => `evidence/acme/repo-${String(r).padStart(2, '0')}/pull-request/2026/10/`,
  );
  const listings = await pLimit(16).map(repoPrefixes, (prefix) => store.listCurrentVersions(prefix));
  const listMs = performance.now() - listStarted;
  return {
    store: label,
    writeMs: first.objectsMs,
    objectsWritten: first.objectsWritten,
    indexWriteMs: first.indexMs,
    rowsWritten: first.rowsWritten,
    rerunMs,
    rerunObjectsMs: second.objectsMs,
    rerunIndexMs: second.indexMs,
    rerunObjectsWritten: second.objectsWritten,
    rerunRowsWritten: second.rowsWritten,
    queryMs,
    rowsRead: rows.length,
    queryRequests:
      index instanceof DynamoEvidenceIndex ? String(index.requestCounts.query - queriesBefore) : '1 file',
    listMs,
    objectsListed: listings.reduce((sum, listing) => sum + listing.length, 0),
  };
}

function printTable(figures: readonly Figures[]): void {
  const rows: [string, (f: Figures) => string][] = [
    ['objects written (first run)', (f) => String(f.objectsWritten)],
    ['object writes: time', (f) => `${(f.writeMs / 1000).toFixed(2)} s`],
    ['object writes: rate', (f) => `${Math.round(f.objectsWritten / (f.writeMs / 1000))} objects/s`],
    ['index rows written', (f) => String(f.rowsWritten)],
    ['index writes: rate', (f) => `${Math.round(f.rowsWritten / (f.indexWriteMs / 1000))} rows/s`],
    ['re-run (all unchanged): time', (f) => `${(f.rerunMs / 1000).toFixed(2)} s`],
    ['re-run: objects (HEAD only)', (f) => `${(f.rerunObjectsMs / 1000).toFixed(2)} s`],
    ['re-run: index', (f) => `${(f.rerunIndexMs / 1000).toFixed(2)} s`],
    ['re-run: objects written', (f) => String(f.rerunObjectsWritten)],
    ['re-run: index rows written', (f) => String(f.rerunRowsWritten)],
    [`query one period (${N} rows): time`, (f) => `${Math.round(f.queryMs)} ms`],
    ['query: rows read', (f) => String(f.rowsRead)],
    ['query: requests', (f) => f.queryRequests],
    [`list the period's ${REPOS} prefixes: time`, (f) => `${Math.round(f.listMs)} ms`],
    ['list: objects listed', (f) => String(f.objectsListed)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const columns = figures.map((f) => Math.max(f.store.length, ...rows.map(([, value]) => value(f).length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(width) : cell.padStart(columns[i - 1]!))).join('  ');
  console.log(line(['', ...figures.map((f) => f.store)]));
  for (const [name, value] of rows) console.log(line([name, ...figures.map(value)]));
  console.log(`(N = ${N}, ${OBJECT_CONCURRENCY} object writes in flight, index writes 32 in flight)`);
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores`,
  );
}

async function main(): Promise<void> {
  const figures: Figures[] = [];
  const reuse = process.env.CM01_TEST_SERVERS_ENV;
  let stopServers = async () => {};
  if (reuse) {
    Object.assign(process.env, readServersEnvFile(reuse));
  } else {
    const servers = await startServers();
    Object.assign(process.env, servers.env);
    stopServers = () => servers.stop();
    console.log(`servers: Ceph RGW + DynamoDB Local started in ${(servers.startMs / 1000).toFixed(1)} s`);
  }
  try {
    const suffix = Date.now().toString(36);
    const url = `s3://cm01-bench-${suffix}?table=cm01-bench-${suffix}`;
    await initStore(storeProvisioner(url));
    const s3 = await openStore(url, { requireImmutable: true });
    figures.push(await measure('RGW + DynamoDB Local', s3.store, s3.index));
  } finally {
    await stopServers();
  }
  const dir = await mkdtemp(join(tmpdir(), 'cm01-bench-local-'));
  try {
    const local = await openStore(`local:${dir}`);
    figures.push(await measure('local locker', local.store, local.index));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  printTable(figures);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
