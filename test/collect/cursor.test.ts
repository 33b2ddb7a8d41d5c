import { describe, expect, it } from 'vitest';
import { CURSOR_OVERLAP_MS, nextCoverage, parseCoverage, planRanges } from '../../lambdas/collect/cursor.ts';

const october = { from: '2026-10-01T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' };
const synced = '2026-10-20T00:00:00.000Z';
const sinceSynced = new Date(Date.parse(synced) - CURSOR_OVERLAP_MS).toISOString();

describe('pull-request cursor', () => {
  it('reads the whole window when nothing was covered', () => {
    expect(planRanges(undefined, october)).toEqual([october]);
  });

  it('reads only what changed since the last sync, minus the overlap, for a covered window', () => {
    expect(planRanges({ ...october, syncedAt: synced }, october)).toEqual([
      { ...october, updatedSince: sinceSynced },
    ]);
  });

  it('reads the uncovered tail of a wider window in full', () => {
    const coverage = { from: october.from, to: '2026-10-15T00:00:00.000Z', syncedAt: synced };
    expect(planRanges(coverage, october)).toEqual([
      { from: october.from, to: coverage.to, updatedSince: sinceSynced },
      { from: coverage.to, to: october.to },
    ]);
  });

  it('keeps the older coverage when a run read only part of it', () => {
    const coverage = { ...october, syncedAt: synced };
    const part = { from: '2026-10-05T00:00:00.000Z', to: '2026-10-06T00:00:00.000Z' };
    expect(nextCoverage(coverage, part, '2026-10-25T00:00:00.000Z')).toEqual(coverage);
    expect(nextCoverage(coverage, october, '2026-10-25T00:00:00.000Z').syncedAt).toBe(
      '2026-10-25T00:00:00.000Z',
    );
  });

  it('treats an unreadable cursor as none', () => {
    expect(parseCoverage('not json')).toBeUndefined();
    expect(parseCoverage('{"from":1}')).toBeUndefined();
  });
});
