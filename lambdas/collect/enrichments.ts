import type { Window } from '../core/window.ts';
import { describeError, InputError, StoreError } from '../errors.ts';
import type { EnricherRun } from '../evidence/documents.ts';
import type { WithheldEvidence } from '../evidence/gaps.ts';
import type { EnrichmentSources } from '../evidence/source-ports.ts';
import { BetterStackStageError, collectBetterStack } from './better-stack.ts';
import type { CollectContext, CollectKind } from './context.ts';
import { collectLinearTickets } from './linear-tickets.ts';

/**
 * The sources beyond GitHub, run after the repositories (Linear reads the PRs just stored).
 * A configured source is always recorded in the run — `consulted` or `unreachable` — so the
 * pack can tell "not configured" from "configured but could not be read": the latter is a
 * typed gap (its controls `unknown`) and a failure of the run's kind, never a silent
 * "not configured". A refused credential is such a failure too: the GitHub evidence of the run
 * is still worth keeping.
 */
export interface EnrichmentFailure {
  readonly kind: CollectKind;
  readonly message: string;
}

export async function collectEnrichments(
  ctx: CollectContext,
  sources: EnrichmentSources,
  window: Window,
  kinds: readonly CollectKind[],
): Promise<{ runs: EnricherRun[]; failures: EnrichmentFailure[] }> {
  const runs: EnricherRun[] = [];
  const failures: EnrichmentFailure[] = [];
  const attempt = async (
    source: EnricherRun['source'],
    endpoint: string,
    kind: 'tickets' | 'incidents',
    job: () => Promise<unknown>,
  ) => {
    ctx.progress({ type: 'kind-started', repo: ctx.org, kind });
    try {
      await job();
      runs.push({ source, endpoint, status: 'consulted' });
    } catch (error: unknown) {
      if (error instanceof StoreError || error instanceof InputError) throw error;
      runs.push({ source, endpoint, status: 'unreachable' });
      const service = source === 'linear' ? 'Linear' : 'Better Stack';
      failures.push({ kind, message: `${kind}: ${service} (${endpoint}): ${describeError(error)}` });
      // Better Stack's incidents may have been read whole before its calendars failed.
      const withheld: readonly WithheldEvidence[] =
        kind === 'tickets'
          ? ['linear-tickets']
          : error instanceof BetterStackStageError && error.stage === 'on-call'
            ? ['better-stack-on-call']
            : ['better-stack-incidents', 'better-stack-on-call'];
      for (const withholds of withheld) {
        ctx.recordGap({
          withholds,
          repo: null,
          window: { from: window.from, to: window.to },
          reason: `${service} is configured (${endpoint}) but could not be read: ${describeError(error)}`,
        });
      }
    }
    ctx.progress({ type: 'kind-finished', repo: ctx.org, kind, written: 0, unchanged: 0 });
  };
  const { linear, betterStack } = sources;
  if (linear && kinds.includes('tickets')) {
    await attempt('linear', linear.endpoint, 'tickets', () => collectLinearTickets(ctx, linear, window));
  }
  if (betterStack && kinds.includes('incidents')) {
    await attempt('better-stack', betterStack.endpoint, 'incidents', () =>
      collectBetterStack(ctx, betterStack, window),
    );
  }
  return { runs, failures };
}
