import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotBranchProtection } from '../../lambdas/collect/protection.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';
import { type CollectBed, openCollectBed } from './harness.ts';

/**
 * Branch protection read as GitHub serves it: 404 to a token without admin rights (the branch
 * says `protected: true`), 404 "Branch not protected" for an unprotected branch, and the rules
 * of a branch over several pages.
 */

const PROTECTION = {
  requiredStatusChecks: ['unit', 'sast'],
  requiredApprovingReviewCount: 1,
  requireSignedCommits: true,
  enforceAdmins: true,
};

function world() {
  const builder = new WorldBuilder({ start: '2026-10-01T00:00:00Z', now: '2026-11-01T06:00:00Z' });
  const hidden = builder.repo('hidden');
  hidden.protect(PROTECTION);
  // The emulator's token belongs to `octocat-emulator`; only `dave` administers this repository.
  hidden.input.admins = ['dave'];
  builder.repo('open');
  const ruled = builder.repo('ruled');
  ruled.protect(PROTECTION);
  // 150 rules: two pages of 100.
  for (let id = 1; id <= 3; id++) {
    ruled.ruleset({
      id,
      name: `ruleset-${id}`,
      enforcement: 'active',
      target: '~DEFAULT_BRANCH',
      rules:
        id === 3
          ? [{ type: 'required_status_checks', parameters: { required_status_checks: [{ context: 'e2e' }] } }]
          : Array.from({ length: 75 }, (_, i) => ({ type: `rule_${id}_${i}` })),
      bypassActors: [],
    });
  }
  return builder.build();
}

describe('snapshotBranchProtection', () => {
  let bed: CollectBed;
  beforeAll(async () => {
    bed = await openCollectBed(world());
  });
  afterAll(async () => {
    await bed.close();
  });

  it('records a gap, never "not protected", when protection answers 404 but the branch is protected', async () => {
    const ctx = await bed.context();
    bed.gaps.length = 0;
    await snapshotBranchProtection(ctx, bed.repo('hidden'), '2026-11-01');

    expect(bed.gaps).toEqual([
      expect.objectContaining({
        withholds: 'branch-protection',
        repo: 'acme/hidden',
        reason: expect.stringContaining('lacks admin rights'),
      }),
    ]);
  });

  it('records no gap for a branch GitHub reports unprotected', async () => {
    const ctx = await bed.context();
    bed.gaps.length = 0;
    await snapshotBranchProtection(ctx, bed.repo('open'), '2026-11-01');

    expect(bed.gaps).toEqual([]);
    const docs = await bed.documents('branch-protection');
    expect(docs.get('acme/open#2026-11-01')?.data.protection).toBeNull();
  });

  it('reads every page of the rules of a branch', async () => {
    const ctx = await bed.context();
    bed.gaps.length = 0;
    await snapshotBranchProtection(ctx, bed.repo('ruled'), '2026-11-01');

    const snapshot = (await bed.documents('branch-protection')).get('acme/ruled#2026-11-01');
    const rules = snapshot?.data.rulesets.flatMap((ruleset) => ruleset.rules) ?? [];
    expect(rules).toHaveLength(151);
    expect(rules).toContainEqual(expect.objectContaining({ type: 'required_status_checks' }));
  });

  it('writes nothing the next day when nothing changed, names the snapshot that stands, and still records the gap', async () => {
    const ctx = await bed.context();
    await snapshotBranchProtection(ctx, bed.repo('hidden'), '2026-11-20');
    bed.gaps.length = 0;
    const next = await snapshotBranchProtection(ctx, bed.repo('hidden'), '2026-11-21');

    expect(next).toMatchObject({ written: false, unchangedSince: '2026-11-20' });
    expect(next?.entry.itemId).toBe('2026-11-20');
    expect((await bed.documents('branch-protection')).has('acme/hidden#2026-11-21')).toBe(false);
    // The night's reading is still one the token could not see whole: the gap is recorded again.
    expect(bed.gaps.map((gap) => gap.withholds)).toEqual(['branch-protection']);
  });
});
