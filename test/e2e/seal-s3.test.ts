import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cm01Async as cm01 } from '../cli/run-cli.ts';

/**
 * Seals, chain, re-issue and sampling on a real S3 with Object Lock (Ceph RGW) and DynamoDB
 * Local: every stored issue stays under COMPLIANCE retention and is listed; verify reads the
 * locked pack, its seal files, the published key and the samples from the bucket.
 */
const suffix = `${Date.now().toString(36)}s`;
const store = `s3://cm01-seal-${suffix}?table=cm01-seal-${suffix}`;
const stem = (period: string) => `cm01-acme-${period}-clicki`;
// Each test runs the command line several times on a shared 2-core machine.
vi.setConfig({ testTimeout: 240_000 });
let work: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cm01-seal-e2e-'));
  env = { CM01_SIGNING_KEY: join(work, 'keys', 'first.pem') };
  const init = await cm01(['store', 'init', '--store', store]);
  expect(init.status, init.stderr).toBe(0);
  for (const period of ['2026-09', '2026-10']) {
    const run = await cm01(
      ['run', '--period', period, '--profile', 'clicki', '--store', store, '--out', join(work, 'out')],
      {
        env,
      },
    );
    expect(run.status, run.stderr).toBe(0);
  }
}, 300_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const pdf = (period: string) => join(work, 'out', `${stem(period)}.pdf`);

describe('sealed packs on S3 with Object Lock', () => {
  it('verify checks the whole pack against the locked store', async () => {
    const result = await cm01(['verify', pdf('2026-10'), '--store', store]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/byte-identical to the locked stored pack packs\/2026-10\//);
  });

  it('verify names an exceptions.csv edited inside the PDF, and the PDF itself', async () => {
    const dir = join(work, 'edit');
    mkdirSync(dir, { recursive: true });
    const csv = execFileSync('qpdf', ['--show-attachment=exceptions.csv', pdf('2026-10')]).toString('utf8');
    writeFileSync(join(dir, 'exceptions.csv'), csv.split('\r\n').slice(0, 1).concat('').join('\r\n'));
    const edited = join(dir, 'edited.pdf');
    execFileSync('qpdf', [
      pdf('2026-10'),
      '--add-attachment',
      join(dir, 'exceptions.csv'),
      '--key=exceptions.csv',
      '--replace',
      '--',
      edited,
    ]);
    const result = await cm01(['verify', edited, '--store', store]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/MISMATCH exceptions\.csv: SHA-256 is/);
    expect(result.stdout).toMatch(/MISMATCH the PDF: its bytes .* differ from the locked stored pack/);
  });

  it('the chain holds, then a September rebuilt later is named as the break; both issues stay listed', async () => {
    const chain = [
      'verify',
      '--chain',
      '--from',
      '2026-09',
      '--to',
      '2026-10',
      '--profile',
      'clicki',
      '--store',
      store,
    ];
    const before = await cm01(chain);
    expect(before.status, before.stdout + before.stderr).toBe(0);

    const reissue = await cm01(
      [
        'pack',
        '--period',
        '2026-09',
        '--profile',
        'clicki',
        '--store',
        store,
        '--out',
        join(work, 'reissue'),
        '--reason',
        'fixed PEER-REVIEW rule',
      ],
      { env: { CM01_SIGNING_KEY: join(work, 'keys', 'second.pem') } },
    );
    expect(reissue.status, reissue.stderr).toBe(0);

    const list = JSON.parse((await cm01(['packs', 'list', '--store', store, '--json'])).stdout);
    const september = list.packs.find(
      (p: { key: string }) => p.key === `packs/2026-09/${stem('2026-09')}.pdf`,
    );
    expect(september.issues).toHaveLength(2);
    expect(september.issues[1].supersedes).toMatchObject({ reason: 'fixed PEER-REVIEW rule' });
    expect(september.issues[1].supersedes.sealSha256).toBe(september.issues[0].sealSha256);

    const after = await cm01(chain);
    expect(after.status).toBe(1);
    expect(after.stdout).toMatch(/first breaks at chain 2026-09 → 2026-10/);
    expect(after.stdout).toMatch(/2026-09 was re-issued after 2026-10 was sealed \(fixed PEER-REVIEW rule\)/);
    // The first September issue is still retained and downloadable, and named as superseded.
    const old = await cm01(['verify', pdf('2026-09'), '--store', store]);
    expect(old.status).toBe(1);
    expect(old.stdout).toMatch(/superseded: it is version .*fixed PEER-REVIEW rule/);
  });

  it('samples twice with one seed into identical bundles, stored and named by the next verify', async () => {
    const args = (out: string) => [
      'sample',
      '--period',
      '2026-10',
      '--profile',
      'clicki',
      '--size',
      '3',
      '--seed',
      '7',
      '--store',
      store,
      '--out',
      out,
    ];
    const first = await cm01(args(join(work, 's1')));
    const second = await cm01(args(join(work, 's2')));
    expect(first.status, first.stderr).toBe(0);
    expect(second.status, second.stderr).toBe(0);
    const bundle = `${stem('2026-10')}.sample-7`;
    const files = walk(join(work, 's1', bundle));
    expect(files.length).toBeGreaterThan(3 * 3);
    for (const file of files) {
      expect(
        readFileSync(join(work, 's2', bundle, file)).equals(readFileSync(join(work, 's1', bundle, file))),
        file,
      ).toBe(true);
    }
    const verified = await cm01(['verify', pdf('2026-10'), '--store', store]);
    expect(verified.stdout).toMatch(
      /audit sample packs\/2026-10\/samples\/cm01-acme-2026-10-clicki\.sample-7\.json .*seed 7, 3 of \d+ changes/,
    );
  });
});

function walk(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}
