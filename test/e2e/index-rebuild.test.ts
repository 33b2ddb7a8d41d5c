import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, openEvidenceStore } from '../../lambdas/adapters/open-store.ts';
import { canonicalJson } from '../../lambdas/evidence/canonical-json.ts';
import { parseEvidenceDocument } from '../../lambdas/evidence/documents.ts';
import { contentHashOf, evidenceKey } from '../../lambdas/evidence/record.ts';
import { cm01Async as cm01 } from '../cli/run-cli.ts';
import { runTool } from '../pack/pdf-tools.ts';

/**
 * The index is a cache, the bucket is the truth — against Ceph RGW and DynamoDB Local:
 * the demo month is collected, the index rebuilt from the bucket into a fresh table must hold
 * the very rows the collectors wrote and give a byte-identical pack; a row removed from the
 * index, or an object written without one, is still read by the pack and named in it.
 */
const suffix = Date.now().toString(36);
const bucket = `cm01-rebuild-${suffix}`;
const original = `s3://${bucket}?table=cm01-rebuild-${suffix}`;
const rebuilt = `s3://${bucket}?table=cm01-rebuilt-${suffix}`;
const stem = 'cm01-acme-2026-10-clerk-cm01';
const FILES = ['pdf', 'manifest.json', 'population.csv', 'exceptions.csv'];
let work: string;
let clients: AwsClients;

/** Every evidence row of a table as stored (keys, GSI keys, TTL and fields); no cursors, no pack rows. */
async function evidenceRows(table: string): Promise<Record<string, unknown>[]> {
  const documents = DynamoDBDocumentClient.from(clients.dynamo);
  const rows: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    rows.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return rows
    .filter((row) => !String(row.pk).startsWith('cursor#') && !String(row.pk).startsWith('pack#'))
    .sort((a, b) => (`${a.pk} ${a.sk}` < `${b.pk} ${b.sk}` ? -1 : 1));
}

async function pack(store: string, out: string) {
  const result = await cm01([
    'pack',
    '--period',
    '2026-10',
    '--store',
    store,
    '--out',
    join(work, out),
    '--json',
  ]);
  expect(result.status, result.stderr).toBe(0);
  return {
    summary: JSON.parse(result.stdout),
    file: (ext: string) => readFileSync(join(work, out, `${stem}.${ext}`)),
    manifest: () => JSON.parse(readFileSync(join(work, out, `${stem}.manifest.json`), 'utf8')),
    text: () => runTool('pdftotext', ['-layout', join(work, out, `${stem}.pdf`), '-']),
  };
}

const tableOf = (url: string) => new URL(url).searchParams.get('table') as string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cm01-rebuild-'));
  clients = await createAwsClients();
  const init = await cm01(['store', 'init', '--store', original]);
  expect(init.status, init.stderr).toBe(0);
  const collected = await cm01([
    'collect',
    '--period',
    '2026-10',
    '--github-world',
    'emulator/worlds/demo.world.json',
    '--store',
    original,
    '--json',
  ]);
  expect(collected.status, collected.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('cm01 index rebuild on S3 and DynamoDB', () => {
  it('recreates, in a fresh table, exactly the rows the collectors wrote; the pack is byte-identical', async () => {
    const before = await pack(original, 'before');
    expect(before.manifest().indexCrossCheck.findings).toEqual([]);

    const init = await cm01(['store', 'init', '--store', rebuilt]);
    expect(init.status, init.stderr).toBe(0);
    const result = await cm01(['index', 'rebuild', '--store', rebuilt, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const counts = JSON.parse(result.stdout);

    const originalRows = await evidenceRows(tableOf(original));
    const rebuiltRows = await evidenceRows(tableOf(rebuilt));
    expect(originalRows.length).toBeGreaterThan(300);
    expect(counts).toMatchObject({ read: originalRows.length, written: originalRows.length, unchanged: 0 });
    expect(counts.skipped).toEqual([]);
    expect(rebuiltRows).toEqual(originalRows);

    const after = await pack(rebuilt, 'after');
    for (const ext of FILES) expect(after.file(ext).equals(before.file(ext)), ext).toBe(true);
  }, 600_000);

  it('is idempotent: run again, it writes nothing', async () => {
    const again = await cm01(['index', 'rebuild', '--store', rebuilt, '--org', 'acme', '--json']);
    expect(again.status, again.stderr).toBe(0);
    const counts = JSON.parse(again.stdout);
    expect(counts.written).toBe(0);
    expect(counts.unchanged).toBe(counts.read);
    expect(counts.read).toBeGreaterThan(300);
  });

  it('refuses a stray argument or an organisation that is not one, writing nothing', async () => {
    expect((await cm01(['index', 'rebuild', 'now', '--store', rebuilt])).status).toBe(2);
    expect((await cm01(['index', 'rebuild', '--store', rebuilt, '--period', '2026-10'])).status).toBe(2);
    const bad = await cm01(['index', 'rebuild', '--store', rebuilt, '--org', '../acme']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--org');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the pack cross-checks the index against the bucket', () => {
  it('reads and names an object whose index row was deleted; the population is unchanged', async () => {
    const before = await pack(original, 'cross-before');
    const rows = await evidenceRows(tableOf(original));
    const found = rows.find((row) => String(row.pk) === 'pull-request#2026-10');
    const victim = {
      pk: String(found?.pk),
      sk: String(found?.sk),
      key: String(found?.key),
      versionId: String(found?.versionId),
    };
    await clients.dynamo.send(
      new DeleteItemCommand({
        TableName: tableOf(original),
        Key: { pk: { S: victim.pk }, sk: { S: victim.sk } },
      }),
    );

    const after = await pack(original, 'cross-after');

    expect(after.summary.indexCrossCheck.findings).toHaveLength(1);
    expect(after.file('population.csv').equals(before.file('population.csv'))).toBe(true);
    expect(after.manifest().entries).toEqual(before.manifest().entries);
    expect(after.manifest().indexCrossCheck.findings).toEqual([
      expect.objectContaining({ finding: 'not-indexed', key: victim.key, usedVersionId: victim.versionId }),
    ]);
    const text = after.text().replace(/\s+/g, ' ');
    expect(text).toContain('Index cross-check');
    expect(text).toContain('not-indexed');
    expect(text).toContain(victim.key.split('/').at(-1));
  }, 300_000);

  it('brings an object written without its row into the population, and names it', async () => {
    const opened = await openEvidenceStore(original);
    const rows = await evidenceRows(tableOf(original));
    const model = rows.find((row) => String(row.pk) === 'pull-request#2026-10');
    const { body } = await opened.get(String(model?.key), String(model?.versionId));
    const source = parseEvidenceDocument('pull-request', JSON.parse(new TextDecoder().decode(body)));
    const slipped = {
      ...source,
      itemId: '9999',
      data: { ...source.data, number: 9999, title: 'Slipped past the index', reviews: [] },
    };
    const key = evidenceKey('pull-request', slipped.repo, slipped.occurredAt, slipped.itemId);
    const stored = await opened.put({
      key,
      body: new TextEncoder().encode(canonicalJson(slipped)),
      contentType: 'application/json',
      contentHash: contentHashOf(slipped),
    });
    const after = await pack(original, 'slipped-after');
    const population = after.file('population.csv').toString('utf8');
    expect(population).toContain(`${slipped.repo},pull_request,9999,`);
    expect(after.manifest().indexCrossCheck.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ finding: 'not-indexed', key, usedVersionId: stored.versionId }),
      ]),
    );
    expect(after.text().replace(/\s+/g, ' ')).toContain('9999.json');
  }, 300_000);
});
