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
import { InputError } from '../../lambdas/errors.ts';
import {
  buildPackHandler,
  collectorHandler,
  type JobDeps,
  listRepositoriesHandler,
} from '../../lambdas/runtime/jobs.ts';
import { demoExpectations } from '../fixtures/demo-expectations.ts';

/**
 * The Lambda handlers as the schedules, the fan-out and an engineer invoke them, with the
 * production adapters swapped for the embedded store and the GitHub emulator over HTTP.
 */
let world: World;
let emulator: Emulator;
const dirs: string[] = [];

async function depsOn(): Promise<() => Promise<JobDeps>> {
  const dir = await mkdtemp(join(tmpdir(), 'cm01-jobs-'));
  dirs.push(dir);
  const { store, index } = await openStore(`local:${dir}`);
  const github = createGitHubClient({ baseUrl: emulator.url, auth: { kind: 'token', token: DEFAULT_TOKEN } });
  // The pack job signs with KMS in AWS; here with a key file, through the same port.
  const signer = await LocalPackSigner.open(localSigningKeyPath(dir));
  const deps: JobDeps = { org: world.org, store, index, github, clock: () => new Date(world.now), signer };
  return async () => deps;
}

beforeAll(async () => {
  world = await loadWorld(DEMO_WORLD_FILE);
  emulator = await startEmulator({ world, port: 0 });
});

afterAll(async () => {
  await emulator?.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('job handlers', () => {
  it('list the organisation’s repositories for the fan-out, with GitHub alone (the lister has no store access)', async () => {
    const { org, github, clock } = await (await depsOn())();
    const listed = await listRepositoriesHandler(async () => ({ org, github, clock }))({});
    expect(listed.repositories).toEqual(['acme/infra', 'acme/payments-api', 'acme/web-app']);
  });

  it('collect one repository of a fan-out item, for the event’s period', async () => {
    const handler = collectorHandler(['pull-requests', 'commits'], await depsOn());
    const summary = await handler({ repo: 'acme/web-app', input: { period: '2026-10' } });
    if (summary.resumeAt !== null) throw new Error(`waiting for the budget: ${summary.reason}`);
    expect(summary.status).toBe('succeeded');
    expect(summary.repos).toEqual(['acme/web-app']);
    expect(summary.window.label).toBe('2026-10');
    expect(summary.counts['pull-request']).toBeGreaterThan(0);
    expect(summary.counts.deployment).toBeUndefined();
  });

  it('refuse a bad on-demand event naming the field, writing nothing', async () => {
    const deps = await depsOn();
    const handler = collectorHandler(['pull-requests'], deps);
    await expect(handler({ period: '2026-13' })).rejects.toMatchObject({ field: 'period' });
    await expect(handler({ from: '2026-10-02', to: '2026-10-01' })).rejects.toBeInstanceOf(InputError);
    const { store } = await deps();
    expect(await store.listKeys('evidence/')).toEqual([]);
  });

  it('build the month’s pack on the monthly schedule, re-collecting the month first', async () => {
    const deps = await depsOn();
    const result = await buildPackHandler(deps)({ schedule: 'monthly', profile: 'clicki' });
    if (result.resumeAt !== null) throw new Error(`the pack job waited: ${result.reason}`);
    expect(result.period).toBe('2026-10');
    expect(result.profile).toBe('clicki');
    // The demo's October population, as its expected verdicts list it (53 changes).
    expect(result.changes).toBe(demoExpectations.clicki.length);
    expect(result.collection.status).toBe('succeeded');
    expect(result.files.map((f) => f.key)).toEqual([
      'packs/2026-10/cm01-acme-2026-10-clicki.pdf',
      'packs/2026-10/cm01-acme-2026-10-clicki.manifest.json',
      'packs/2026-10/cm01-acme-2026-10-clicki.population.csv',
      'packs/2026-10/cm01-acme-2026-10-clicki.exceptions.csv',
      'packs/2026-10/cm01-acme-2026-10-clicki.seal.json',
      'packs/2026-10/cm01-acme-2026-10-clicki.seal.sig',
      'packs/2026-10/cm01-acme-2026-10-clicki.public-key.pem',
      'packs/2026-10/cm01-acme-2026-10-clicki.pdf.sig',
    ]);
    const { store } = await deps();
    // Beside the pack's eight files: the signed summary the evidence room reads.
    expect((await store.listKeys('packs/2026-10/')).filter((k) => k.includes('.summary.'))).toEqual([
      'packs/2026-10/cm01-acme-2026-10-clicki.summary.json',
      'packs/2026-10/cm01-acme-2026-10-clicki.summary.sig',
    ]);
    expect(await store.listKeys('packs/2026-10/')).toHaveLength(10);
    // The evidence room, published as static pages beside the packs.
    expect(result.room).toMatchObject({ index: 'packs/room/index.html' });
    expect(await store.listKeys('packs/room/')).toContain('packs/room/pack/cm01-acme-2026-10-clicki.html');
  });
});
