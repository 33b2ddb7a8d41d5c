import type { CollectKind, CollectProgress } from '../../lambdas/app/collect-window.ts';
import type { Reporter } from './output.ts';

/** Kinds read once for the organisation, not per repository. */
const ORGANISATION_KINDS: ReadonlySet<CollectKind> = new Set(['teams', 'tickets', 'incidents']);

/**
 * The progress bar of a collection, driven by the collectors' own progress events: one step per
 * kind of each repository (plus the organisation's teams), items counted as they are stored.
 */
export function collectionProgress(
  reporter: Reporter,
  label: string,
  kinds: readonly CollectKind[],
): (event: CollectProgress) => void {
  const perRepository = kinds.filter((kind) => !ORGANISATION_KINDS.has(kind)).length;
  const organisationSteps = kinds.includes('teams') ? 1 : 0;
  let started = false;
  return (event) => {
    switch (event.type) {
      case 'repo-started':
        if (!started) {
          started = true;
          reporter.startProgress(
            `collecting ${label}`,
            event.total * perRepository + organisationSteps,
            'steps',
            'items',
          );
        }
        reporter.progress({ detail: event.repo });
        return;
      case 'kind-started':
        reporter.progress({ detail: `${event.repo} ${event.kind}` });
        return;
      case 'item':
        reporter.progress({ items: 1 });
        return;
      case 'kind-finished':
        // Linear and Better Stack run only where configured: shown, not counted in the total.
        if (event.kind !== 'tickets' && event.kind !== 'incidents') reporter.progress({ advance: 1 });
        return;
      case 'repo-failed':
        reporter.progress({ detail: `${event.repo} failed` });
        return;
      default:
        return;
    }
  };
}

/** The stages of building a pack, as `buildPack` reports them. */
export function packProgress(reporter: Reporter): (text: string) => void {
  const stages = ['reading evidence', 'judging', 'rendering', 'storing'];
  let started = false;
  return (text) => {
    if (!started) {
      started = true;
      reporter.startProgress('building the pack', stages.length, 'stages');
    }
    const stage = stages.findIndex((s) => text.startsWith(s));
    reporter.progress({ ...(stage >= 0 ? { value: stage } : {}), detail: text });
  };
}
