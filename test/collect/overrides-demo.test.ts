import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorldInput } from '../../emulator/world.ts';
import { collectDeployments } from '../../lambdas/collect/deployments.ts';
import { collectEmergencyTrail } from '../../lambdas/collect/emergency-trail.ts';
import { collectOverrides } from '../../lambdas/collect/overrides.ts';
import {
  DEMO_WINDOW,
  demoDeploymentsByEnvironment,
  demoDirectPushes,
  demoEmergencies,
  demoOverrides,
} from '../fixtures/demo-expectations.ts';
import { type Harness, ORG, openHarness, removeDir } from './deployments-harness.ts';

/**
 * The bundled demo organisation, October 2026: the overrides, direct pushes, deployments and
 * emergency changes its expectations name are all collected, merged as expected.
 */

const DEMO_WORLD = new URL('../../emulator/worlds/demo.world.json', import.meta.url);

describe('deployments, overrides and the emergency trail of the demo organisation', () => {
  let harness: Harness & { dir: string };
  let repoNames: string[];

  beforeAll(async () => {
    const world = JSON.parse(await readFile(DEMO_WORLD, 'utf8')) as WorldInput;
    repoNames = world.repos.map((r) => r.name);
    harness = await openHarness(world);
    for (const name of repoNames) {
      await collectDeployments(harness.ctx, `${ORG}/${name}`, DEMO_WINDOW);
      await collectOverrides(harness.ctx, `${ORG}/${name}`, DEMO_WINDOW);
      await collectEmergencyTrail(harness.ctx, `${ORG}/${name}`, DEMO_WINDOW);
    }
  });
  afterAll(async () => {
    await harness.close();
    await removeDir(harness.dir);
  });

  it('finds each expected override once, with every source that saw it', async () => {
    for (const expected of demoOverrides) {
      const name = expected.repo.split('/')[1] ?? '';
      const doc = (await harness.documents('override', name)).get(expected.afterSha);

      expect(doc?.data.sources, expected.why).toEqual(expected.sources);
      expect(doc?.data.actor).toBe(expected.actor);
      expect(doc?.data.pullRequest).toBe(expected.pullRequest);
      expect(Date.parse(doc?.data.at ?? '')).toBe(Date.parse(expected.at));
      expect(doc?.data.commit?.sha).toBe(expected.afterSha);
    }
  });

  it('records every direct push, and nothing else, beside the overrides', async () => {
    const stored = new Set<string>();
    for (const name of repoNames) {
      for (const doc of (await harness.documents('override', name)).values())
        stored.add(`${doc.repo}@${doc.itemId}`);
    }
    const expected = new Set([
      ...demoOverrides.map((o) => `${o.repo}@${o.afterSha}`),
      ...demoDirectPushes.map((p) => `${p.repo}@${p.commitSha}`),
    ]);

    expect(stored).toEqual(expected);
    for (const push of demoDirectPushes.filter((p) => !p.coveredByOverride)) {
      const name = push.repo.split('/')[1] ?? '';
      const doc = (await harness.documents('override', name)).get(push.commitSha);
      expect(doc?.data.sources).toEqual(['activity']);
      expect(doc?.data.actor).toBe(push.actor);
    }
  });

  it('collects the October deployments of every environment', async () => {
    const perEnvironment: Record<string, number> = {};
    for (const name of repoNames) {
      for (const doc of (await harness.documents('deployment', name)).values()) {
        const created = Date.parse(doc.data.createdAt);
        if (created < Date.parse(DEMO_WINDOW.from) || created >= Date.parse(DEMO_WINDOW.to)) continue;
        perEnvironment[doc.data.environment] = (perEnvironment[doc.data.environment] ?? 0) + 1;
      }
    }

    expect(perEnvironment).toEqual(demoDeploymentsByEnvironment);
  });

  it('holds the label events of every emergency change, with who added the label', async () => {
    for (const expected of demoEmergencies) {
      const name = expected.repo.split('/')[1] ?? '';
      const doc = (await harness.documents('pull-request', name)).get(String(expected.prNumber));

      expect(doc?.data.labelEvents).toContainEqual(
        expect.objectContaining({ name: 'emergency-change', action: 'added', actor: expected.labelledBy }),
      );
    }
  });

  it('reports, as a gap, the first day of October that rule suites no longer reach (activity reaches a year)', () => {
    const sources = new Set(harness.gaps.map((g) => g.withholds));

    expect(sources).toEqual(new Set(['rule-suites']));
    expect(harness.gaps.every((g) => g.reason.includes('2026-10-01T00:00:00.000Z'))).toBe(true);
  });
});
