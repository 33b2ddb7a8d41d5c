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
  if (coverage) {
    const inside =
      Date.parse(window.from) >= Date.parse(coverage.from) &&
      Date.parse(window.to) <= Date.parse(coverage.to);
    const same = window.from === coverage.from && window.to === coverage.to;
    if (inside && !same) return coverage;
  }
  return { from: window.from, to: window.to, syncedAt };
}
