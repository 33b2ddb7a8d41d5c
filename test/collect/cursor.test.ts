import { describe, expect, it } from 'vitest';
import {
  type Coverage,
  CURSOR_OVERLAP_MS,
  coverageSoFar,
  nextCoverage,
  parseCoverage,
  planRanges,
} from '../../lambdas/collect/cursor.ts';

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

/** Day `n` of October 2026 (day 32 = 1 November), as the cursor writes times. */
const day = (n: number) => new Date(Date.UTC(2026, 9, n)).toISOString();
const now = '2026-11-01T06:00:00.000Z';
const earlier = '2026-10-20T06:00:00.000Z';

describe('the pull-request cursor while a run is still reading', () => {
  it('covers what was read, as of this run, when nothing was covered', () => {
    expect(coverageSoFar(undefined, october, day(12), now)).toEqual({
      from: october.from,
      to: day(12),
      syncedAt: now,
    });
    // The resumed run then reads the stored part only incrementally and the rest in full.
    expect(planRanges(coverageSoFar(undefined, october, day(12), now), october)).toEqual([
      {
        from: october.from,
        to: day(12),
        updatedSince: new Date(Date.parse(now) - CURSOR_OVERLAP_MS).toISOString(),
      },
      { from: day(12), to: october.to },
    ]);
  });

  it('is exactly nextCoverage once the whole window is read', () => {
    const earlierCoverages: (Coverage | undefined)[] = [
      undefined,
      { ...october, syncedAt: earlier },
      { from: day(1), to: day(10), syncedAt: earlier },
      { from: '2026-09-01T00:00:00.000Z', to: day(40), syncedAt: earlier },
      { from: '2026-09-01T00:00:00.000Z', to: day(1), syncedAt: earlier },
    ];
    const windows = [october, { from: day(5), to: day(6) }, { from: day(1), to: day(10) }];
    for (const coverage of earlierCoverages) {
      for (const window of windows) {
        expect(coverageSoFar(coverage, window, window.to, now)).toEqual(nextCoverage(coverage, window, now));
      }
    }
  });

  it('keeps a wider earlier coverage the window lies strictly inside, however far the run got', () => {
    const wide = { from: '2026-09-01T00:00:00.000Z', to: day(40), syncedAt: earlier };
    for (const readTo of [day(2), day(20), day(31)]) {
      expect(coverageSoFar(wide, october, readTo, now)).toEqual(wide);
    }
  });

  it('does not shrink the coverage of the same window to the part re-read so far', () => {
    // The nightly run over a covered month reads it incrementally; stopped halfway, the earlier
    // claim over the whole month still holds, and still saves the full read of the second half.
    const covered = { ...october, syncedAt: earlier };
    expect(coverageSoFar(covered, october, day(15), now)).toEqual(covered);
  });

  it('starts afresh after a covered previous month rather than joining it as of its old sync', () => {
    // Joined, the October part would be claimed only as of 20 October: every PR merged later was
    // updated after that, so the resumed run would read them all again.
    const september = { from: '2026-09-01T00:00:00.000Z', to: october.from, syncedAt: earlier };
    expect(coverageSoFar(september, october, day(12), now)).toEqual({
      from: october.from,
      to: day(12),
      syncedAt: now,
    });
  });

  it('keeps an earlier coverage inside the window until what was read reaches it, then joins them', () => {
    const middle = { from: day(10), to: day(20), syncedAt: earlier };
    // Read up to 5 October: keeping the ten covered days leaves less to read in full than the four read.
    expect(coverageSoFar(middle, october, day(5), now)).toEqual(middle);
    // Read up to 10 October: the two touch, and hold together as of the older sync.
    expect(coverageSoFar(middle, october, day(10), now)).toEqual({
      from: october.from,
      to: day(20),
      syncedAt: earlier,
    });
    // The covered days re-read incrementally: all of it as of this run.
    expect(coverageSoFar(middle, october, day(20), now)).toEqual({
      from: october.from,
      to: day(20),
      syncedAt: now,
    });
    expect(coverageSoFar(middle, october, day(25), now)).toEqual({
      from: october.from,
      to: day(25),
      syncedAt: now,
    });
  });

  it('never claims a time it did not read or was not covered, nor an older claim as newer, nor less of the window', () => {
    const failures: string[] = [];
    let cases = 0;
    for (let from = 1; from <= 32; from += 3) {
      for (let to = from + 1; to <= 40; to += 4) {
        for (const syncedAtBefore of [earlier, now]) {
          const coverage = { from: day(from), to: day(to), syncedAt: syncedAtBefore };
          for (const window of [october, { from: day(4), to: day(23) }]) {
            for (
              let readTo = Date.parse(window.from) + 86_400_000;
              readTo <= Date.parse(window.to);
              readTo += 86_400_000
            ) {
              const result = coverageSoFar(coverage, window, new Date(readTo).toISOString(), now);
              cases += 1;
              // Every half day of the claim (all bounds here fall on midnight) was read by this run
              // or covered before, each at least as recently as the claim says.
              for (let t = Date.parse(result.from); t < Date.parse(result.to); t += 43_200_000) {
                const readVouches =
                  t >= Date.parse(window.from) &&
                  t < readTo &&
                  Date.parse(now) >= Date.parse(result.syncedAt);
                const coverageVouches =
                  t >= Date.parse(coverage.from) &&
                  t < Date.parse(coverage.to) &&
                  Date.parse(coverage.syncedAt) >= Date.parse(result.syncedAt);
                if (!readVouches && !coverageVouches) {
                  failures.push(
                    `claims ${new Date(t).toISOString()}: ${JSON.stringify({ coverage, window, readTo, result })}`,
                  );
                  break;
                }
              }
              // It never leaves more of the window to read in full than the earlier coverage did.
              if (inWindow(result, window) < inWindow(coverage, window)) {
                failures.push(
                  `covers less of the window: ${JSON.stringify({ coverage, window, readTo, result })}`,
                );
              }
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(1000);
  });
});

function inWindow(coverage: Coverage, window: { from: string; to: string }): number {
  const from = Math.max(Date.parse(coverage.from), Date.parse(window.from));
  const to = Math.min(Date.parse(coverage.to), Date.parse(window.to));
  return Math.max(0, to - from);
}
