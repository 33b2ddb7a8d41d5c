import { z } from 'zod';

/**
 * Collector cursors, pure. A cursor says: every pull request merged in `[from, to)` was read as
 * it stood at `syncedAt`. A later run over the same window then asks GitHub only for PRs updated
 * since `syncedAt` (minus an overlap for clock skew and search-index lag); the rest of a wider
 * window is read in full. Unchanged evidence is never written twice either way (content hashes),
 * so the cursor saves requests, never correctness.
 */

export interface Coverage {
  readonly from: string;
  readonly to: string;
  readonly syncedAt: string;
}

const coverageSchema = z.object({ from: z.string(), to: z.string(), syncedAt: z.string() });

/** One hour: GitHub's search index can lag an update by minutes; clocks differ by seconds. */
export const CURSOR_OVERLAP_MS = 60 * 60 * 1000;

export function parseCoverage(position: string | undefined): Coverage | undefined {
  if (position === undefined) return undefined;
  try {
    const parsed = coverageSchema.safeParse(JSON.parse(position));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // An unreadable cursor only costs a full read.
  }
}

export function formatCoverage(coverage: Coverage): string {
  return JSON.stringify({ from: coverage.from, to: coverage.to, syncedAt: coverage.syncedAt });
}

export interface SearchRange {
  readonly from: string;
  readonly to: string;
  /** Read only what changed since then; absent = read the range in full. */
  readonly updatedSince?: string;
}

/** The ranges to read for `window`, given what an earlier run covered. */
export function planRanges(
  coverage: Coverage | undefined,
  window: { from: string; to: string },
  overlapMs = CURSOR_OVERLAP_MS,
): SearchRange[] {
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);
  if (!coverage) return [{ from: window.from, to: window.to }];
  const coveredFrom = Date.parse(coverage.from);
  const coveredTo = Date.parse(coverage.to);
  const insideFrom = Math.max(from, coveredFrom);
  const insideTo = Math.min(to, coveredTo);
  if (insideFrom >= insideTo) return [{ from: window.from, to: window.to }];
  const iso = (t: number) => new Date(t).toISOString();
  const ranges: SearchRange[] = [];
  if (from < coveredFrom) ranges.push({ from: window.from, to: iso(coveredFrom) });
  ranges.push({
    from: iso(insideFrom),
    to: iso(insideTo),
    updatedSince: iso(Date.parse(coverage.syncedAt) - overlapMs),
  });
  if (to > coveredTo) ranges.push({ from: iso(coveredTo), to: window.to });
  return ranges;
}

/**
 * What is covered after reading `window` in full or incrementally as of `syncedAt`. A window
 * strictly inside the earlier coverage cannot vouch for the rest of it, so that one is kept.
 */
export function nextCoverage(
  coverage: Coverage | undefined,
  window: { from: string; to: string },
  syncedAt: string,
): Coverage {
  if (coverage && strictlyInside(window, coverage)) return coverage;
  return { from: window.from, to: window.to, syncedAt };
}

function strictlyInside(window: { from: string; to: string }, coverage: Coverage): boolean {
  const inside =
    Date.parse(window.from) >= Date.parse(coverage.from) && Date.parse(window.to) <= Date.parse(coverage.to);
  const same = window.from === coverage.from && window.to === coverage.to;
  return inside && !same;
}

/**
 * What is covered while a run is still reading `window`: its ranges are read oldest first, and
 * everything merged in `[window.from, readTo)` is stored as of `syncedAt`. Written as the run goes,
 * so that a run stopped part-way (the budget ran out, the process was killed) resumes reading that
 * part only incrementally. Once the whole window is read, this is `nextCoverage`, exactly.
 *
 * One interval is kept, chosen among claims that each hold: the earlier coverage, the part this
 * run read, and the two joined when they touch (as of the older sync: the earlier coverage
 * vouches for nothing after its own). The choice leaves the least of the window to read in
 * full, then reads the least again (the most recent sync); so it never covers less of the window
 * than the earlier coverage did. A window strictly inside the earlier coverage keeps that
 * coverage throughout, as `nextCoverage` does at the end.
 */
export function coverageSoFar(
  coverage: Coverage | undefined,
  window: { from: string; to: string },
  readTo: string,
  syncedAt: string,
): Coverage {
  if (Date.parse(readTo) >= Date.parse(window.to)) return nextCoverage(coverage, window, syncedAt);
  const read: Coverage = { from: window.from, to: readTo, syncedAt };
  if (!coverage) return read;
  if (strictlyInside(window, coverage)) return coverage;
  const candidates: Coverage[] = [read];
  const joined = joinedCoverage(coverage, read);
  if (joined) candidates.push(joined);
  candidates.push(coverage);
  const leftInFull = (candidate: Coverage) => spanMs(window) - overlapMs(candidate, window);
  // Ties keep the earlier of the list: what this run read before a join, a join before the old claim.
  return candidates.reduce((best, candidate) => {
    const fewer = leftInFull(candidate) - leftInFull(best);
    if (fewer !== 0) return fewer < 0 ? candidate : best;
    return Date.parse(candidate.syncedAt) > Date.parse(best.syncedAt) ? candidate : best;
  });
}

/** Two claims that overlap or touch, as one: over both intervals, as of the older sync. */
function joinedCoverage(a: Coverage, b: Coverage): Coverage | undefined {
  if (Date.parse(a.from) > Date.parse(b.to) || Date.parse(b.from) > Date.parse(a.to)) return undefined;
  const earlier = (x: string, y: string) => (Date.parse(x) <= Date.parse(y) ? x : y);
  const later = (x: string, y: string) => (Date.parse(x) >= Date.parse(y) ? x : y);
  return {
    from: earlier(a.from, b.from),
    to: later(a.to, b.to),
    syncedAt: earlier(a.syncedAt, b.syncedAt),
  };
}

function spanMs(interval: { from: string; to: string }): number {
  return Math.max(0, Date.parse(interval.to) - Date.parse(interval.from));
}

function overlapMs(a: { from: string; to: string }, b: { from: string; to: string }): number {
  const from = Math.max(Date.parse(a.from), Date.parse(b.from));
  const to = Math.min(Date.parse(a.to), Date.parse(b.to));
  return Math.max(0, to - from);
}
