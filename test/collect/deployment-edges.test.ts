import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectDeployments } from '../../lambdas/collect/deployments.ts';
import { monthWindow } from '../../lambdas/core/window.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * Deployments at the edges of a month, read as the pack on the 3rd reads them: staging two weeks
 * before the month, and deployments made after it up to the settle time (the 3rd, 06:00 UTC).
 */

const OCTOBER = monthWindow('2026-10');

function world() {
  const builder = new WorldBuilder({ start: '2026-09-01T00:00:00Z', now: '2026-11-05T00:00:00Z' });
  const repo = builder.repo('api');
  const success = (at: string) => [{ state: 'success' as const, createdAt: at, creator: 'deploy-bot' }];
  repo.deployment({
    id: 1,
    environment: 'staging',
    productionEnvironment: false,
    createdAt: '2026-09-10T10:00:00Z',
    statuses: success('2026-09-10T10:05:00Z'),
  });
  repo.deployment({
    id: 2,
    environment: 'staging',
    productionEnvironment: false,
    createdAt: '2026-09-20T10:00:00Z',
    statuses: success('2026-09-20T10:05:00Z'),
  });
  repo.deployment({ id: 3, createdAt: '2026-10-15T10:00:00Z', statuses: success('2026-10-15T10:05:00Z') });
  repo.deployment({ id: 4, createdAt: '2026-11-01T01:00:00Z', statuses: success('2026-11-01T01:05:00Z') });
  repo.deployment({ id: 5, createdAt: '2026-11-03T07:00:00Z', statuses: success('2026-11-03T07:05:00Z') });
  return builder.build();
}

describe('collectDeployments at the edges of a month', () => {
  let bed: CollectBed;
  beforeAll(async () => {
    bed = await openCollectBed(world());
    await collectDeployments(await bed.context(), 'acme/api', OCTOBER);
  });
  afterAll(async () => {
    await bed.close();
  });

  it('reads 14 days before the month and past its end up to the settle time, nothing beyond', async () => {
    const ids = [...(await bed.documents('deployment')).values()].map((doc) => doc.data.id).sort();
    expect(ids).toEqual([2, 3, 4]);
  });
});
