import type { CollectionError, CollectionSummary } from '../collect/collect.ts';
import type { MissingSource } from '../core/pack-model.ts';
import { Cm01Error } from '../errors.ts';

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

/** `acme/web-app pull-requests: <reason>`: how a failure is named in messages and logs. */
export function describeMissingSource(missing: MissingSource): string {
  return `${missing.repo ?? 'organisation'} ${missing.source}: ${missing.reason}`;
}

/**
 * A collection failed for at least one source: the command exits 1, the Lambda invocation fails
 * (so the schedule's alarm and a Step Functions catch see it by this name), and no pack is stored.
 */
export class CollectionFailedError extends Cm01Error {
  readonly runId: string;
  readonly missing: readonly MissingSource[];
  constructor(summary: Pick<CollectionSummary, 'runId' | 'errors' | 'window'>) {
    const missing = missingSourcesOf(summary);
    super(
      'COLLECTION_FAILED',
      `collection of ${summary.window.label} (run ${summary.runId}) failed for ${missing.length} source(s), so no pack was stored ` +
        `(--allow-incomplete, or "allowIncomplete": true on the pack job, renders one marked INCOMPLETE):\n` +
        missing.map((m) => `  - ${describeMissingSource(m)}`).join('\n'),
    );
    this.runId = summary.runId;
    this.missing = missing;
  }
}
