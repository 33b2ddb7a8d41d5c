import type { CollectionError, CollectionSummary } from '../collect/collect.ts';
import { COLLECT_KINDS, type CollectKind } from '../collect/context.ts';
import type { MissingSource } from '../core/pack-model.ts';
import { Cm01Error } from '../errors.ts';
import type { EvidenceDocument } from '../evidence/documents.ts';

/**
 * The one failure policy of both doors: a collection in which any source of any repository
 * could not be read has failed. Its evidence stays stored (with the `collection-run` record
 * naming what failed), but no pack is rendered from it unless the caller explicitly allows an
 * INCOMPLETE one.
 */

/** Every source a collection could not read, in a stable order. */
export function missingSourcesOf(summary: Pick<CollectionSummary, 'errors'>): MissingSource[] {
  return summary.errors
    .map(toMissingSource)
    .sort(
      (a, b) =>
        (a.repo ?? '').localeCompare(b.repo ?? '') ||
        a.source.localeCompare(b.source) ||
        a.reason.localeCompare(b.reason),
    );
}

function toMissingSource(error: CollectionError): MissingSource {
  const prefix = `${error.source}: `;
  const reason = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return { repo: error.repo, source: error.source, reason };
}

/**
 * The failures recorded by stored `collection-run` documents that no later run repaired. A
 * failure of one kind of one repository is repaired by a later run that covered the failed
 * run's window and read that kind of that repository without an error; until then the evidence
 * of the window is incomplete, whichever command renders its pack.
 */
export function unresolvedFailures(
  runs: readonly EvidenceDocument<'collection-run'>[],
  window: { readonly from: string; readonly to: string },
): MissingSource[] {
  const ordered = [...runs].sort((a, b) => a.data.startedAt.localeCompare(b.data.startedAt));
  const missing = new Map<string, MissingSource>();
  for (const [i, run] of ordered.entries()) {
    for (const error of run.data.errors) {
      const failure = toMissingSource({ ...error, source: sourceOf(error) });
      const repaired = ordered.slice(i + 1).some((later) => repairs(later, run, failure, window));
      if (!repaired) missing.set(`${failure.repo ?? ''}\u0000${failure.source}`, failure);
    }
  }
  return [...missing.values()].sort(
    (a, b) => (a.repo ?? '').localeCompare(b.repo ?? '') || a.source.localeCompare(b.source),
  );
}

/** The kind a stored error names (`deployments: …`), or the whole repository. */
function sourceOf(error: { repo: string | null; message: string }): CollectionError['source'] {
  const kind = COLLECT_KINDS.find((k) => error.message.startsWith(`${k}: `));
  return kind ?? 'repository';
}

function repairs(
  later: EvidenceDocument<'collection-run'>,
  failed: EvidenceDocument<'collection-run'>,
  failure: MissingSource,
  window: { readonly from: string; readonly to: string },
): boolean {
  // Only the part of the failed run's window that the pack covers needs reading again.
  const needFrom = Math.max(Date.parse(failed.data.window.from), Date.parse(window.from));
  const needTo = Math.min(Date.parse(failed.data.window.to), Date.parse(window.to));
  const covers = Date.parse(later.data.window.from) <= needFrom && Date.parse(later.data.window.to) >= needTo;
  if (!covers) return false;
  const kinds = kindsOf(later);
  const readIt =
    failure.repo === null
      ? // Organisation-wide: the teams, the audit log (overrides), Linear (tickets), Better Stack (incidents).
        kinds.includes(failure.source === 'repository' ? 'teams' : failure.source)
      : later.data.repos.includes(failure.repo) &&
        (failure.source === 'repository'
          ? kinds.some((k) => k !== 'teams')
          : kinds.includes(failure.source as CollectKind));
  if (!readIt) return false;
  // Linear and Better Stack are read again only by a run configured to read them.
  const enricher = ENRICHER_OF_KIND[failure.source];
  if (
    enricher &&
    !(later.data.enrichers ?? []).some((run) => run.source === enricher && run.status === 'consulted')
  )
    return false;
  return !later.data.errors.some(
    (error) =>
      error.repo === failure.repo &&
      (failure.source === 'repository' ||
        sourceOf(error) === failure.source ||
        sourceOf(error) === 'repository'),
  );
}

const ENRICHER_OF_KIND: Readonly<Record<string, 'linear' | 'better-stack'>> = {
  tickets: 'linear',
  incidents: 'better-stack',
};

/** The kinds a run was asked for, as its provenance records them (every kind when unrecorded). */
function kindsOf(run: EvidenceDocument<'collection-run'>): readonly string[] {
  const kinds = run.provenance.parameters.kinds;
  return Array.isArray(kinds) ? kinds.filter((k): k is string => typeof k === 'string') : COLLECT_KINDS;
}

/** `acme/web-app pull-requests: <reason>`: how a failure is named in messages and logs. */
export function describeMissingSource(missing: MissingSource): string {
  return `${missing.repo ?? 'organisation'} ${missing.source}: ${missing.reason}`;
}

/**
 * A collection failed for at least one source: the command exits 1, the Lambda invocation fails
 * (so the schedule's alarm and a Step Functions catch see it by this name), and no pack is stored.
 */
export class CollectionFailedError extends Cm01Error {
  override name = 'CollectionFailedError';
  readonly runId: string | undefined;
  readonly missing: readonly MissingSource[];
  constructor(
    summary:
      | Pick<CollectionSummary, 'runId' | 'errors' | 'window'>
      | { window: { label: string }; missing: readonly MissingSource[] },
  ) {
    const missing = 'missing' in summary ? summary.missing : missingSourcesOf(summary);
    const which = 'runId' in summary ? ` (run ${summary.runId})` : ' (stored collection runs)';
    super(
      'COLLECTION_FAILED',
      `collection of ${summary.window.label}${which} failed for ${missing.length} source(s), so no pack was stored ` +
        `(--allow-incomplete, or "allowIncomplete": true on the pack job, renders one marked INCOMPLETE):\n` +
        missing.map((m) => `  - ${describeMissingSource(m)}`).join('\n'),
    );
    this.runId = 'runId' in summary ? summary.runId : undefined;
    this.missing = missing;
  }
}
