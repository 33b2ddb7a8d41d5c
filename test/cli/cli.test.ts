import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cm01Async as cm01 } from './run-cli.ts';

/**
 * The command line as its users drive it (cli.md): the main job on the bundled demo
 * organisation into the embedded store, then verification — and its failure after an evidence
 * object is altered — and the usage errors with their exit statuses.
 */
let work: string;
const stem = 'cm01-acme-2026-10-clicki';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cm01-cli-'));
}, 60_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// Each case runs the command line as a child process; the main job takes a minute on a busy machine.
describe('cm01 run on the bundled demo organisation', { timeout: 240_000 }, () => {
  it('collects, judges and writes the pack files named as cli.md says', async () => {
    const result = await cm01([
      'run',
      '--profile',
      'clicki',
      '--store',
      `local:${work}/store`,
      '--out',
      `${work}/out`,
      '--json',
    ]);
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.pack.period.label).toBe('2026-10');
    expect(summary.pack.changes).toBeGreaterThan(30);
    for (const ext of ['.pdf', '.manifest.json', '.population.csv', '.exceptions.csv']) {
      expect(existsSync(join(work, 'out', `${stem}${ext}`)), ext).toBe(true);
    }
    const header = readFileSync(join(work, 'out', `${stem}.exceptions.csv`), 'utf8').split('\r\n')[0];
    expect(header).toBe('repo,change_type,pr_number,commit_sha,control,reason,evidence_key,evidence_version');
  });

  it('collects nothing new when run again', async () => {
    const result = await cm01([
      'collect',
      '--period',
      '2026-10',
      '--github-world',
      demoWorld(),
      '--store',
      `local:${work}/store`,
      '--json',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).counts).toEqual({});
  });

  it('verifies the fresh pack against the store', async () => {
    const result = await cm01(['verify', join(work, 'out', `${stem}.pdf`), '--store', `local:${work}/store`]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/verified: the whole pack matches its seal and the store/);
  });

  it('fails verification naming an evidence object whose bytes were altered', async () => {
    const manifest = JSON.parse(readFileSync(join(work, 'out', `${stem}.manifest.json`), 'utf8'));
    const victim = manifest.entries.find((e: { key: string }) => e.key.includes('/pull-request/'));
    const data = join(work, 'store', 'objects', `${victim.key}.v`, `${victim.versionId}.data`);
    chmodSync(data, 0o644);
    const original = readFileSync(data, 'utf8');
    writeFileSync(data, original.replace('"title":"', '"title":"tampered '));
    const result = await cm01(['verify', join(work, 'out', `${stem}.pdf`), '--store', `local:${work}/store`]);
    writeFileSync(data, original);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`MISMATCH ${victim.key} (version ${victim.versionId})`);
    expect(result.stdout).toMatch(/FAILED: 1 mismatch\(es\)/);
  });

  it('lists and downloads the stored pack', async () => {
    const list = await cm01(['packs', 'list', '--store', `local:${work}/store`]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain(`2026-10/${stem}.pdf`);
    const download = await cm01([
      'packs',
      'download',
      '--period',
      '2026-10',
      '--profile',
      'clicki',
      '--store',
      `local:${work}/store`,
      '--out',
      `${work}/dl`,
    ]);
    expect(download.status, download.stderr).toBe(0);
    expect(readFileSync(join(work, 'dl', `${stem}.pdf`))).toEqual(
      readFileSync(join(work, 'out', `${stem}.pdf`)),
    );
  });
});

describe('cm01 refuses bad input', { timeout: 120_000 }, () => {
  it.each([
    [['run', '--period', '2026-13'], 2, /--period: "2026-13" has no month 13/],
    [['run', '--from', '2026-10-10', '--to', '2026-10-01'], 2, /--to: .* does not come after/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    [['collect', '--period', '2026-10'], 2, /name where to collect from/],
    // A malformed value is a usage error (exit 2), whatever the option.
    [['run', '--store', 'ftp://x'], 2, /unknown store scheme "ftp:"/],
    [['run', '--profile', 'sox'], 2, /"sox" is not a shipped profile/],
    [['verify'], 2, /PACK.pdf: missing: name the pack to verify/],
    [['run', 'stray'], 2, /stray: unexpected argument to `cm01 run`/],
    [['verify', 'a.pdf', 'b.pdf'], 2, /b\.pdf: unexpected argument to `cm01 verify`/],
  ])('cm01 %j exits %i', async (args, status, message) => {
    const cwd = mkdtempSync(join(work, 'refused-'));
    const result = await cm01(args, { cwd });
    expect(result.status).toBe(status);
    expect(result.stderr).toMatch(message);
    // Nothing written: no store, no output folder.
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('refuses a period after the source’s clock and writes nothing', async () => {
    const store = join(work, 'future-store');
    const result = await cm01([
      'collect',
      '--period',
      '2026-12',
      '--github-world',
      demoWorld(),
      '--store',
      `local:${store}`,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--period: window 2026-12 starts after the source's current time/);
    expect(existsSync(join(store, 'objects')) ? readdirSync(join(store, 'objects')) : []).toEqual([]);
  });

  it('refuses a world file that breaks the format, naming the bad field', async () => {
    const world = JSON.parse(readFileSync(demoWorld(), 'utf8'));
    world.repos[1].pullRequests[2].mergedAt = 'last tuesday';
    const file = join(work, 'broken.world.json');
    writeFileSync(file, JSON.stringify(world));
    const result = await cm01(['collect', '--github-world', file, '--store', `local:${work}/broken-store`]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/repos\[1\]\.pullRequests\[2\]\.mergedAt: /);
    expect(existsSync(join(work, 'broken-store'))).toBe(false);
  });

  it('says so when a period has no evidence instead of rendering an empty pack', async () => {
    const result = await cm01([
      'pack',
      '--period',
      '2026-03',
      '--store',
      `local:${work}/store`,
      '--out',
      `${work}/empty`,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no evidence .* 2026-03/);
    expect(existsSync(join(work, 'empty'))).toBe(false);
  });
});

function demoWorld(): string {
  return new URL('../../emulator/worlds/demo.world.json', import.meta.url).pathname;
}
