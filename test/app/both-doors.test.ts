import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type Emulator, startEmulator } from '../../emulator/server.ts';
import { loadWorld, type World } from '../../emulator/world.ts';
import { DEMO_WORLD_FILE } from '../../emulator/worlds/build-demo.ts';
import { createGitHubClient } from '../../lambdas/adapters/github/client.ts';
import { LocalPackSigner, localSigningKeyPath } from '../../lambdas/adapters/local-signer.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { connectEmulatedSources } from '../../lambdas/app/connect-sources.ts';
import { manifestDigest } from '../../lambdas/core/evaluate-period.ts';
import type { ManifestEntry } from '../../lambdas/core/pack-model.ts';
import { buildPackHandler } from '../../lambdas/runtime/jobs.ts';
import { cm01Async } from '../cli/run-cli.ts';

/**
 * Both doors give the same pack for the same window: `cm01 run` on the demo organisation (the
 * emulator it starts on the world file, the embedded store) and the monthly pack Lambda (the
 * emulator served here on the same world, another embedded store), both on the world's clock.
 *
 * Two stores give two sets of version IDs and retain-until times, so the packs are compared on
 * what does not depend on the store: the population byte for byte, the exceptions with their
 * version column and the store's location left out, and the digest of the manifest over each object's key and SHA-256
 * (every evidence object, byte-identical on both doors), leaving out each run's own
 * `collection-run` record (a run id and timings are unique to a run).
 */
const stem = 'cm01-acme-2026-10-clicki';
let world: World;
let emulator: Emulator;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cm01-doors-'));
  world = await loadWorld(DEMO_WORLD_FILE);
  emulator = await startEmulator({ world, port: 0 });
});

afterAll(async () => {
  await emulator?.close();
  await rm(work, { recursive: true, force: true });
});

/**
 * Linear and Better Stack evidence records the endpoint it asked, and each door reached the
 * emulated services on its own emulator's port: those documents are compared by key only.
 */
const ENDPOINT_IN_PROVENANCE = ['/linear-ticket/', '/incident/', '/on-call/'];

function contentDigest(entries: readonly ManifestEntry[]): string {
  return manifestDigest(
    entries
      .filter((entry) => !entry.key.includes('/collection-run/'))
      .map((entry) => ({
        key: entry.key,
        versionId: '',
        sha256: ENDPOINT_IN_PROVENANCE.some((kind) => entry.key.includes(kind)) ? '' : entry.sha256,
        retainUntil: '',
      })),
  );
}

function withoutVersionColumn(csv: string): string {
  return csv
    .split('\r\n')
    .map((line) => line.split(',').slice(0, -1).join(','))
    .join('\r\n');
}

// Two runs of the demo organisation's month, one after the other, on a machine that may be busy.
describe('the command line and the Lambda on the same window', { timeout: 300_000 }, () => {
  it('give the same population, exceptions and evidence', async () => {
    const cliOut = join(work, 'cli-out');
    const cli = await cm01Async([
      'run',
      '--period',
      '2026-10',
      '--profile',
      'clicki',
      '--github-world',
      DEMO_WORLD_FILE,
      '--store',
      `local:${join(work, 'cli-store')}`,
      '--out',
      cliOut,
      '--json',
    ]);
    expect(cli.status, cli.stderr).toBe(0);

    const { store, index } = await openStore(`local:${join(work, 'lambda-store')}`);
    const github = createGitHubClient({
      baseUrl: emulator.url,
      auth: { kind: 'token', token: DEFAULT_TOKEN },
    });
    const signer = await LocalPackSigner.open(localSigningKeyPath(join(work, 'lambda-store')));
    const lambda = await buildPackHandler(async () => ({
      org: world.org,
      store,
      index,
      github,
      clock: () => new Date(world.now),
      signer,
      // The services the command line finds in the world, as the stack's secrets would give them.
      sources: connectEmulatedSources(emulator),
    }))({ period: '2026-10', profile: 'clicki' });
    if (lambda.resumeAt !== null) throw new Error(`the pack job waited: ${lambda.reason}`);
    const lambdaFile = async (suffix: string) => {
      const key = lambda.files.find((f) => f.key.endsWith(suffix))?.key as string;
      return new TextDecoder().decode((await store.get(key)).body);
    };

    const cliPopulation = readFileSync(join(cliOut, `${stem}.population.csv`), 'utf8');
    expect(cliPopulation.split('\r\n').length).toBeGreaterThan(30);
    expect(await lambdaFile('.population.csv')).toBe(cliPopulation);

    const cliExceptions = readFileSync(join(cliOut, `${stem}.exceptions.csv`), 'utf8');
    expect(cliExceptions.split('\r\n').length).toBeGreaterThan(5);
    // The RETENTION exception names its store's location.
    const lambdaExceptions = (await lambdaFile('.exceptions.csv')).replaceAll(
      join(work, 'lambda-store'),
      'STORE',
    );
    expect(withoutVersionColumn(lambdaExceptions)).toBe(
      withoutVersionColumn(cliExceptions.replaceAll(join(work, 'cli-store'), 'STORE')),
    );

    const cliManifest = JSON.parse(readFileSync(join(cliOut, `${stem}.manifest.json`), 'utf8'));
    const lambdaManifest = JSON.parse(await lambdaFile('.manifest.json'));
    expect(lambdaManifest.entryCount).toBe(cliManifest.entryCount);
    expect(contentDigest(lambdaManifest.entries)).toBe(contentDigest(cliManifest.entries));
  });
});
