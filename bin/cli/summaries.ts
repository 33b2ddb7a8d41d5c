import type { BuiltPack } from '../../lambdas/app/build-pack.ts';
import type { CollectionSummary } from '../../lambdas/app/collect-window.ts';
import { describeMissingSource } from '../../lambdas/app/collection-failure.ts';
import type { MissingSource } from '../../lambdas/core/pack-model.ts';

/** How results read on the command line: the lines on a terminal, the one-line brief, the JSON. */

export function formatCounts(summary: Pick<CollectionSummary, 'counts' | 'gaps'>): string {
  const counts = Object.entries(summary.counts)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return `${counts || 'nothing new'}; ${summary.gaps.length} gap(s)`;
}

/** One line per kind of evidence that could not be read whole, naming its repositories once. */
export function gapLines(
  gaps: readonly { withholds: string; repo: string | null; reason: string }[],
): string[] {
  const bySource = new Map<string, { repos: Set<string>; reason: string }>();
  for (const gap of gaps) {
    const entry = bySource.get(gap.withholds) ?? { repos: new Set<string>(), reason: gap.reason };
    if (gap.repo) entry.repos.add(gap.repo);
    bySource.set(gap.withholds, entry);
  }
  return [...bySource].map(
    ([source, { repos, reason }]) =>
      `  gap: ${source}${repos.size ? ` (${[...repos].join(', ')})` : ''}: ${reason}`,
  );
}

/** One line per source that could not be read at all. */
export function missingLines(missing: readonly MissingSource[]): string[] {
  return missing.map((m) => `  FAILED: ${describeMissingSource(m)}`);
}

export function packLines(pack: BuiltPack, written: readonly string[]): string[] {
  const m = pack.model;
  return [
    ...(m.incomplete
      ? [`INCOMPLETE pack: ${m.incomplete.missing.length} source(s) could not be read (listed on its cover)`]
      : []),
    `judged ${m.population.length} changes of ${m.org} ${m.period.label} against ${m.profile.id}: ${m.exceptions.length} exception(s), ${pack.pageCount} pages`,
    `retention: ${m.retention.verdict}${m.retention.immutable ? '' : ' (store is not immutable)'}`,
    ...(m.indexCrossCheck.findings.length > 0
      ? [
          `index cross-check: ${m.indexCrossCheck.findings.length} difference(s) between the index and the bucket, named in the pack (cm01 index rebuild recreates the index)`,
        ]
      : []),
    `pack: ${written[0]}`,
    ...written.slice(1).map((path) => `      ${path}`),
  ];
}

export function packBrief(pack: BuiltPack, written: readonly string[]): string {
  const m = pack.model;
  return (
    `${m.incomplete ? 'INCOMPLETE ' : ''}${m.org} ${m.period.label} ${m.profile.id}: ${m.population.length} changes, ${m.exceptions.length} exception(s), ` +
    `retention ${m.retention.verdict}; ${written[0]}`
  );
}

export function packJson(pack: BuiltPack, written: readonly string[]) {
  return {
    org: pack.model.org,
    period: pack.model.period,
    profile: pack.model.profile.id,
    changes: pack.model.population.length,
    exceptions: pack.model.exceptions.length,
    pages: pack.pageCount,
    manifestDigest: pack.model.manifestDigest,
    indexCrossCheck: pack.model.indexCrossCheck,
    incomplete: pack.model.incomplete !== undefined,
    ...(pack.model.incomplete ? { missing: pack.model.incomplete.missing } : {}),
    files: written,
    stored: pack.files.map((f) => ({
      key: f.stored.key,
      versionId: f.stored.versionId,
      sha256: f.stored.sha256,
    })),
  };
}
