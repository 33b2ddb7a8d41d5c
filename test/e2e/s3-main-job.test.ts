import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cm01Async as cm01 } from '../cli/run-cli.ts';

/**
 * The main job against a real S3 with Object Lock (Ceph RGW) and DynamoDB Local, as an
 * operator runs it outside AWS: `store init`, `run`, then what an auditor does — list,
 * download (file and presigned URL) and verify. The servers come from the `servers` project's
 * global setup, through the standard AWS endpoint variables.
 */
const suffix = Date.now().toString(36);
const store = `s3://cm01-e2e-${suffix}?table=cm01-e2e-${suffix}`;
const stem = 'cm01-acme-2026-10-clerk-cm01';
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cm01-e2e-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the main job on S3 with Object Lock and DynamoDB', () => {
  it('refuses to run against a bucket that does not exist, naming the fix', async () => {
    const result = await cm01([
      'run',
      '--store',
      `s3://cm01-missing-${suffix}?table=t-${suffix}`,
      '--out',
      join(work, 'none'),
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/does not exist.*cm01 store init/);
  });

  it('initialises the store with COMPLIANCE retention, idempotently', async () => {
    const first = await cm01(['store', 'init', '--store', store, '--json']);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).created.length).toBeGreaterThan(0);
    const again = await cm01(['store', 'init', '--store', store, '--json']);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).created).toEqual([]);
  });

  it('collects, judges and stores the pack; retention passes on an Object-Locked bucket', async () => {
    const result = await cm01(['run', '--store', store, '--out', join(work, 'out'), '--json'], {
      env: { CM01_SIGNING_KEY: join(work, 'signing-key.pem') },
    });
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.pack.changes).toBeGreaterThan(30);
    expect(summary.pack.stored.map((s: { key: string }) => s.key)).toContain(`packs/2026-10/${stem}.pdf`);
    const rows = readFileSync(join(work, 'out', `${stem}.population.csv`), 'utf8')
      .trim()
      .split('\r\n');
    const retention = (rows[0] as string).split(',').indexOf('RETENTION');
    expect(rows.slice(1).map((row) => row.split(',')[retention])).toEqual(rows.slice(1).map(() => 'pass'));
  });

  it('writes nothing new when the same period is collected again', async () => {
    const result = await cm01([
      'collect',
      '--period',
      '2026-10',
      '--github-world',
      'emulator/worlds/demo.world.json',
      '--store',
      store,
      '--json',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).counts).toEqual({});
  });

  it('verifies the pack by re-reading every evidence version', async () => {
    const result = await cm01(['verify', join(work, 'out', `${stem}.pdf`), '--store', store]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/byte-identical to the locked stored pack/);
  });

  it('lists and downloads the pack, as a file and through a presigned URL', async () => {
    const list = await cm01(['packs', 'list', '--store', store]);
    expect(list.stdout).toContain(`2026-10/${stem}.pdf`);
    const download = await cm01([
      'packs',
      'download',
      '--period',
      '2026-10',
      '--store',
      store,
      '--out',
      join(work, 'dl'),
    ]);
    expect(download.status, download.stderr).toBe(0);
    const original = readFileSync(join(work, 'out', `${stem}.pdf`));
    expect(readFileSync(join(work, 'dl', `${stem}.pdf`)).equals(original)).toBe(true);
    const urls = await cm01([
      'packs',
      'download',
      '--period',
      '2026-10',
      '--store',
      store,
      '--url-only',
      '--expires',
      '120',
    ]);
    expect(urls.status, urls.stderr).toBe(0);
    const pdfUrl = urls.stdout.split('\n').find((line) => line.includes(`${stem}.pdf`)) as string;
    expect(pdfUrl).toMatch(/X-Amz-Expires=120/);
    const fetched = Buffer.from(await (await fetch(pdfUrl)).arrayBuffer());
    expect(fetched.equals(original)).toBe(true);
  });
});
