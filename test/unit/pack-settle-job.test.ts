import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, type Emulator, startEmulator } from '../../emulator/server.ts';
import { createGitHubClient } from '../../lambdas/adapters/github/client.ts';
import { LocalPackSigner, localSigningKeyPath } from '../../lambdas/adapters/local-signer.ts';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import type { SettleTime } from '../../lambdas/core/settle.ts';
import { InputError } from '../../lambdas/errors.ts';
import { readFunctionConfig } from '../../lambdas/runtime/config.ts';
import { buildPackHandler, type JobDeps } from '../../lambdas/runtime/jobs.ts';
import { addMinutes, WorldBuilder } from '../emulator/world-builder.ts';

/**
 * The pack job reads and judges a month's deployments up to the settle time the stack gives it
 * (`packSettleTime`, handed over as CM01_PACK_SETTLE_TIME), not a fixed 3rd of the month.
 */

const MERGED = '2026-10-31T20:00:00Z';
/** Deployed on the 4th of November: after the default settle time, before the 5th. */
const DEPLOYED = '2026-11-04T10:00:00Z';

function lateDeploymentWorld() {
  const builder = new WorldBuilder({ start: '2026-10-20T00:00:00Z', now: '2026-11-06T07:00:00Z' });
  for (const slug of ['sre', 'security-champs', 'incident-commanders', 'override-approvers'])
    builder.team(slug, ['dave']);
  const repo = builder.repo('api');
  const pr = repo.mergePullRequest({ mergedAt: MERGED, reviews: [{ author: 'dave', state: 'APPROVED' }] });
  // Deployed to production by hand, skipping staging and canary: CD-PIPELINE fails once judged.
  repo.deployment({
    sha: pr.mergeCommit as string,
    creator: 'alice',
    createdAt: DEPLOYED,
    statuses: [{ state: 'success', createdAt: addMinutes(DEPLOYED, 3), creator: 'alice' }],
  });
  return { world: builder.build(), number: pr.number };
}

let emulator: Emulator;
let built: ReturnType<typeof lateDeploymentWorld>;
const dirs: string[] = [];

async function packWith(settle: SettleTime | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cm01-settle-job-'));
  dirs.push(dir);
  const { store, index } = await openStore(`local:${dir}`);
  const github = createGitHubClient({ baseUrl: emulator.url, auth: { kind: 'token', token: DEFAULT_TOKEN } });
  const signer = await LocalPackSigner.open(localSigningKeyPath(dir));
  const deps: JobDeps = {
    org: 'acme',
    store,
    index,
    github,
    clock: () => new Date(built.world.now),
    signer,
    ...(settle ? { settle } : {}),
  };
  const result = await buildPackHandler(async () => deps)({ period: '2026-10', profile: 'clicki' });
  if (result.resumeAt !== null) throw new Error(`the pack job waited: ${result.reason}`);
  const population = result.files.find((file) => file.key.endsWith('population.csv'))!;
  return new TextDecoder().decode((await store.get(population.key, population.versionId)).body);
}

/** The CD-PIPELINE column of the PR's row in the population CSV. */
function cdPipelineOf(csv: string, number: number): string | undefined {
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header!.split(',');
  const row = rows.map((line) => line.split(',')).find((cells) => cells.includes(String(number)));
  return row?.[columns.indexOf('CD-PIPELINE')];
}

beforeAll(async () => {
  built = lateDeploymentWorld();
  emulator = await startEmulator({ world: built.world, port: 0 });
});
afterAll(async () => {
  await emulator?.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the pack job’s settle time', () => {
  it('judges a change merged on the 31st by its deployment on the 4th when the stack settles on the 5th', async () => {
    expect(cdPipelineOf(await packWith({ dayOfMonth: 5, hourUtc: 6 }), built.number)).toBe('fail');
  }, 60_000);

  it('leaves it not shipped in the period with the default settle time, the 3rd at 06:00 UTC', async () => {
    expect(cdPipelineOf(await packWith(undefined), built.number)).toBe('not_applicable');
  }, 60_000);

  it('is read from the function environment the stack sets, and a bad value is refused naming it', () => {
    const base = { CM01_BUCKET: 'b', CM01_TABLE: 't', CM01_ORG: 'acme' };
    expect(readFunctionConfig({ ...base, CM01_PACK_SETTLE_TIME: '5T07:00Z' }).packSettle).toEqual({
      dayOfMonth: 5,
      hourUtc: 7,
    });
    expect(readFunctionConfig(base).packSettle).toEqual({ dayOfMonth: 3, hourUtc: 6 });
    for (const bad of ['31T06:00Z', '3T24:00Z', 'the 3rd']) {
      expect(() => readFunctionConfig({ ...base, CM01_PACK_SETTLE_TIME: bad })).toThrow(InputError);
      expect(() => readFunctionConfig({ ...base, CM01_PACK_SETTLE_TIME: bad })).toThrow(
        /CM01_PACK_SETTLE_TIME/,
      );
    }
  });
});
