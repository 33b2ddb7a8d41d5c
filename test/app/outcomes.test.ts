import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type Emulator, startEmulator } from '../../emulator/server.ts';
import type { World } from '../../emulator/world.ts';
import { createGitHubClient } from '../../lambdas/adapters/github/client.ts';
import { LocalPackSigner, localSigningKeyPath } from '../../lambdas/adapters/local-signer.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { renderPack } from '../../lambdas/adapters/pdf/render-pack.ts';
import { runPeriod } from '../../lambdas/app/run-period.ts';
import { resolveProfile } from '../../lambdas/core/profile-files.ts';
import clerkCm01 from '../../lambdas/core/profiles/clerk-cm01.json' with { type: 'json' };
import { monthWindow } from '../../lambdas/core/window.ts';
import type { EvidenceIndex, EvidenceStore, PackSigner } from '../../lambdas/evidence/ports.ts';
import {
  buildPackHandler,
  collectorHandler,
  type JobDeps,
  listRepositoriesHandler,
} from '../../lambdas/runtime/jobs.ts';
import { cm01Async } from '../cli/run-cli.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';
import { pageText } from '../pack/pdf-tools.ts';

/**
 * Both doors — the command line and the pack Lambda — on one small organisation served by the
 * GitHub emulator over HTTP, with the embedded store:
 * - the collection plan comes from the profile (a profile's own Security Champs team is
 *   snapshotted, so its verdicts are decided, not `unknown`);
 * - an archived repository is collected (its changes that month are part of the population);
 * - one kind of one repository failing (the emulator's fault injection) fails the run naming it
 *   and stores no pack, unless an INCOMPLETE pack is allowed.
 */
const PERIOD = '2026-10';
// Each case runs the command line once or twice as a child process: minutes on a busy machine.
const FAILING_DEPLOYMENTS = '^/repos/acme/web/deployments$';
let emulator: Emulator;
let work: string;
let profileFile: string;

function buildWorld(): World {
  const world = new WorldBuilder({ now: '2026-11-01T06:00:00Z' });
  // The profile's own team; the shipped slug `security-champs` does not exist in this organisation.
  world.team('appsec-guild', ['carol']).team('sre', ['dave']);
  world.user('alice').user('bob').user('dave');
  const api = world.repo('api');
  api.mergePullRequest({
    number: 1,
    author: 'alice',
    title: 'ENG-1 rotate signing keys',
    mergedAt: '2026-10-05T10:00:00Z',
    files: [{ path: 'src/auth/keys.ts', additions: 5, deletions: 1, changeType: 'MODIFIED' }],
    reviews: [{ author: 'carol', state: 'APPROVED' }],
  });
  api.mergePullRequest({
    number: 2,
    author: 'alice',
    title: 'ENG-2 token refresh',
    mergedAt: '2026-10-06T10:00:00Z',
    files: [{ path: 'src/auth/token.ts', additions: 5, deletions: 1, changeType: 'MODIFIED' }],
    reviews: [{ author: 'bob', state: 'APPROVED' }],
  });
  world.repo('web').mergePullRequest({
    number: 1,
    author: 'bob',
    title: 'ENG-3 landing page',
    mergedAt: '2026-10-07T10:00:00Z',
    reviews: [{ author: 'alice', state: 'APPROVED' }],
  });
  // Archived on 2026-10-20, after this change reached its default branch.
  const legacy = world.repo('legacy');
  legacy.input.archived = true;
  legacy.mergePullRequest({
    number: 7,
    author: 'bob',
    title: 'ENG-4 last fix before archiving',
    mergedAt: '2026-10-12T10:00:00Z',
    reviews: [{ author: 'alice', state: 'APPROVED' }],
  });
  return world.build();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cm01-outcomes-'));
  emulator = await startEmulator({ world: buildWorld(), port: 0 });
  const profile = structuredClone(clerkCm01) as typeof clerkCm01;
  profile.id = 'acme-cm01';
  profile.name = 'Acme change management';
  profile.parameters.teams.securityChamps = 'appsec-guild';
  profileFile = join(work, 'acme-cm01.json');
  await writeFile(profileFile, JSON.stringify(profile, null, 2));
});

afterEach(() => {
  emulator.injectFaults({});
});

afterAll(async () => {
  await emulator?.close();
  await rm(work, { recursive: true, force: true });
});

/** The command line collecting from the emulator as from github.com (`--org` and a token). */
function cli(args: string[]) {
  return cm01Async([...args, '--org', 'acme'], {
    cwd: work,
    env: { GITHUB_API_URL: emulator.url, GITHUB_TOKEN: DEFAULT_TOKEN, CM01_DEBUG: '' },
  });
}

/** The Lambda handlers' ports on the emulator and a fresh embedded store. */
async function lambdaPorts(name: string): Promise<JobDeps & { store: EvidenceStore; index: EvidenceIndex }> {
  const { store, index } = await openStore(`local:${join(work, name)}`);
  const github = createGitHubClient({ baseUrl: emulator.url, auth: { kind: 'token', token: DEFAULT_TOKEN } });
  const signer = await LocalPackSigner.open(localSigningKeyPath(join(work, name)));
  return { org: 'acme', store, index, github, clock: () => new Date('2026-11-01T06:00:00Z'), signer };
}

function failOneKindOfOneRepository(): void {
  // Every retry of the list fails too: the client gives up on it after its bounded retries.
  emulator.injectFaults({ rates: { secondary: 1 }, scope: 'rest', pathPattern: FAILING_DEPLOYMENTS });
}

function populationRows(csv: string): Map<string, Record<string, string>> {
  const [header, ...rows] = csv.trim().split('\r\n');
  const columns = (header as string).split(',');
  const byChange = new Map<string, Record<string, string>>();
  for (const row of rows) {
    const cells = row.split(',');
    const record = Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
    byChange.set(`${record.repo}#${record.pr_number}`, record);
  }
  return byChange;
}

describe('the collection plan comes from the profile', { timeout: 180_000 }, () => {
  // A Lambda event names shipped profiles only (a path would make a function read its own file
  // system), so a custom profile reaches the use-case both doors call, as a deployment's own code would.
  it('snapshots the team a profile names as its Security Champs, so its verdicts are decided (the use-case behind both doors)', async () => {
    const ports = await lambdaPorts('plan-lambda');
    const run = await runPeriod(
      { ...ports, render: renderPack, signer: ports.signer as PackSigner },
      { window: monthWindow(PERIOD), profile: await resolveProfile(profileFile) },
    );
    const teams = await ports.index.queryPeriod('team-membership', '2026-11');
    expect(teams.map((t) => t.attributes?.team)).toContain('appsec-guild');
    const csvKey = run.pack.files.find((f) => f.stored.key.endsWith('.population.csv'))?.stored.key as string;
    const rows = populationRows(new TextDecoder().decode((await ports.store.get(csvKey)).body));
    expect(rows.get('acme/api#1')?.['SECURITY-REVIEW']).toBe('pass');
    // Approved only by someone outside the team: a decided failure, not "unknown".
    expect(rows.get('acme/api#2')?.['SECURITY-REVIEW']).toBe('fail');
  });

  it('collect alone takes the default profile’s plan, or the --profile given (command-line door)', async () => {
    const store = `local:${join(work, 'plan-cli')}`;
    const byDefault = await cli([
      'collect',
      '--period',
      PERIOD,
      '--store',
      store,
      '--kinds',
      'teams',
      '--json',
    ]);
    expect(byDefault.status, byDefault.stderr).toBe(0);
    const gaps = JSON.parse(byDefault.stdout)
      .gaps.map((g: { reason: string }) => g.reason)
      .join('\n');
    // clerk-cm01 names `security-champs`, which this organisation lacks: said so, not skipped.
    expect(gaps).toMatch(/team "security-champs" does not exist/);

    const withProfile = await cli([
      'collect',
      '--period',
      PERIOD,
      '--store',
      store,
      '--kinds',
      'teams',
      '--profile',
      profileFile,
      '--json',
    ]);
    expect(withProfile.status, withProfile.stderr).toBe(0);
    const summary = JSON.parse(withProfile.stdout);
    const { index } = await openStore(store);
    const day = new Date().toISOString().slice(0, 7);
    const snapshotted = (await index.queryPeriod('team-membership', day)).map((t) => t.attributes?.team);
    expect(snapshotted).toContain('appsec-guild');
    expect(summary.gaps.map((g: { reason: string }) => g.reason).join('\n')).not.toMatch(/appsec-guild/);
  });
});

describe('one rule for which repositories are collected', { timeout: 180_000 }, () => {
  it('lists an archived repository on the Lambda fan-out, as the command line collects it', async () => {
    const ports = await lambdaPorts('repos-lambda');
    const listed = await listRepositoriesHandler(async () => ports)({});
    expect(listed.repositories).toEqual(['acme/api', 'acme/legacy', 'acme/web']);

    const out = join(work, 'repos-out');
    const run = await cli([
      'run',
      '--period',
      PERIOD,
      '--store',
      `local:${join(work, 'repos-cli')}`,
      '--out',
      out,
      '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const csv = readFileSync(join(out, 'cm01-acme-2026-10-clerk-cm01.population.csv'), 'utf8');
    expect([...populationRows(csv).keys()]).toContain('acme/legacy#7');
  });
});

describe('a run whose collection failed (command line)', { timeout: 180_000 }, () => {
  it('exits 1 naming the failed source, stores no pack and writes no pack file', async () => {
    failOneKindOfOneRepository();
    const storeDir = join(work, 'failed-cli');
    const out = join(work, 'failed-out');
    const run = await cli(['run', '--period', PERIOD, '--store', `local:${storeDir}`, '--out', out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/collection of 2026-10 .* failed for 1 source\(s\)/);
    expect(run.stderr).toMatch(/acme\/web deployments: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(storeDir, 'objects', 'packs'))).toBe(false);
    expect(existsSync(out)).toBe(false);
    // The evidence that was read stays, with the run record naming the failure.
    expect(readdirSync(join(storeDir, 'objects'))).toContain('evidence');

    // Packing that store later is refused as well, until a later run reads the source again.
    const pack = await cm01Async(['pack', '--period', PERIOD, '--store', `local:${storeDir}`, '--out', out], {
      cwd: work,
    });
    expect(pack.status).toBe(1);
    expect(pack.stderr).toMatch(/acme\/web deployments: /);
    expect(existsSync(join(storeDir, 'objects', 'packs'))).toBe(false);
    emulator.injectFaults({});
    const again = await cli([
      'collect',
      '--period',
      PERIOD,
      '--store',
      `local:${storeDir}`,
      '--repos',
      'web',
    ]);
    expect(again.status, again.stderr).toBe(0);
    const repaired = await cm01Async(
      ['pack', '--period', PERIOD, '--store', `local:${storeDir}`, '--out', out, '--json'],
      { cwd: work },
    );
    expect(repaired.status, repaired.stderr).toBe(0);
    expect(JSON.parse(repaired.stdout).incomplete).toBe(false);
  });

  it('with --allow-incomplete stores a pack marked INCOMPLETE listing the missing source, and packs list shows it', async () => {
    failOneKindOfOneRepository();
    const store = `local:${join(work, 'incomplete-cli')}`;
    const out = join(work, 'incomplete-out');
    const run = await cli([
      'run',
      '--period',
      PERIOD,
      '--store',
      store,
      '--out',
      out,
      '--allow-incomplete',
      '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const stem = 'cm01-acme-2026-10-clerk-cm01-INCOMPLETE';
    const summary = JSON.parse(run.stdout);
    expect(summary.pack.incomplete).toBe(true);
    expect(summary.pack.stored.map((s: { key: string }) => s.key)).toContain(`packs/2026-10/${stem}.pdf`);
    const manifest = JSON.parse(readFileSync(join(out, `${stem}.manifest.json`), 'utf8'));
    expect(manifest.incomplete.missing).toEqual([
      expect.objectContaining({ repo: 'acme/web', source: 'deployments' }),
    ]);
    const cover = pageText(join(out, `${stem}.pdf`), 1);
    expect(cover).toMatch(/INCOMPLETE/);
    expect(cover).toMatch(/acme\/web — deployments:/);
    // Never under the complete pack's name.
    expect(existsSync(join(out, 'cm01-acme-2026-10-clerk-cm01.pdf'))).toBe(false);

    const list = await cm01Async(['packs', 'list', '--store', store], { cwd: work });
    expect(list.stdout).toMatch(new RegExp(`2026-10/${stem}\\.pdf\\s+INCOMPLETE`));
    // Asked for the period's pack, the INCOMPLETE one is named, never handed out in its place.
    const download = await cm01Async(
      ['packs', 'download', '--period', PERIOD, '--store', store, '--out', join(work, 'dl')],
      { cwd: work },
    );
    expect(download.status).toBe(1);
    expect(download.stderr).toMatch(
      /only an INCOMPLETE one: packs\/2026-10\/cm01-acme-2026-10-clerk-cm01-INCOMPLETE\.pdf/,
    );
    expect(existsSync(join(work, 'dl'))).toBe(false);
    const { index } = await openStore(store);
    const [entry] = await index.queryPeriod('pack', PERIOD);
    expect(entry?.attributes).toMatchObject({ incomplete: true, missingSources: 1 });
  });
});

describe('a run whose collection failed (Lambda pack job)', { timeout: 180_000 }, () => {
  it('fails the invocation with CollectionFailedError naming the source, and stores no pack', async () => {
    failOneKindOfOneRepository();
    const ports = await lambdaPorts('failed-lambda');
    const attempt = buildPackHandler(async () => ports)({ period: PERIOD });
    await expect(attempt).rejects.toMatchObject({
      name: 'CollectionFailedError',
      code: 'COLLECTION_FAILED',
      missing: [expect.objectContaining({ repo: 'acme/web', source: 'deployments' })],
    });
    expect(await ports.store.listKeys('packs/')).toEqual([]);
  });

  it('with "allowIncomplete": true stores the pack marked INCOMPLETE', async () => {
    failOneKindOfOneRepository();
    const ports = await lambdaPorts('incomplete-lambda');
    const result = await buildPackHandler(async () => ports)({ period: PERIOD, allowIncomplete: true });
    if (result.resumeAt !== null) throw new Error(`the pack job waited: ${result.reason}`);
    expect(result.incomplete).toBe(true);
    expect(result.missing).toEqual([expect.objectContaining({ repo: 'acme/web', source: 'deployments' })]);
    expect(result.files[0]?.key).toBe('packs/2026-10/cm01-acme-2026-10-clerk-cm01-INCOMPLETE.pdf');
  });

  it('fails a fan-out collector invocation for the one repository whose source failed', async () => {
    failOneKindOfOneRepository();
    const ports = await lambdaPorts('failed-collector');
    const collectDeployments = collectorHandler(['deployments'], async () => ports);
    await expect(collectDeployments({ repo: 'acme/web', input: { period: PERIOD } })).rejects.toMatchObject({
      name: 'CollectionFailedError',
    });
    // Another repository's item is unaffected.
    await expect(collectDeployments({ repo: 'acme/api', input: { period: PERIOD } })).resolves.toMatchObject({
      repos: ['acme/api'],
    });
  });

  it('refuses a non-boolean "allowIncomplete", naming the field', async () => {
    const ports = await lambdaPorts('bad-event');
    await expect(
      buildPackHandler(async () => ports)({ period: PERIOD, allowIncomplete: 'yes' }),
    ).rejects.toMatchObject({ field: 'allowIncomplete' });
    expect(await ports.store.listKeys('')).toEqual([]);
  });
});

describe('a command that fails before anything is stored', { timeout: 180_000 }, () => {
  it('leaves no folder behind, prints no stack trace, and CM01_DEBUG shows causes without the credential', async () => {
    const storeDir = join(work, 'never-made', 'store');
    const out = join(work, 'never-made-out');
    const credential = 'refused-credential-value-1234';
    const run = await cm01Async(
      ['run', '--period', PERIOD, '--org', 'acme', '--store', `local:${storeDir}`, '--out', out],
      { cwd: work, env: { GITHUB_API_URL: emulator.url, GITHUB_TOKEN: credential, CM01_DEBUG: '1' } },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Bad credentials|credential/i);
    expect(run.stderr).toMatch(/caused by|error: /);
    expect(run.stderr).not.toContain(credential);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(work, 'never-made'))).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an --out that is a file before collecting anything', async () => {
    const file = join(work, 'a-file');
    await writeFile(file, 'not a folder');
    const storeDir = join(work, 'out-refused-store');
    const run = await cli(['run', '--period', PERIOD, '--store', `local:${storeDir}`, '--out', file]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/--out: .*is not a folder/);
    expect(existsSync(storeDir)).toBe(false);
  });
});
