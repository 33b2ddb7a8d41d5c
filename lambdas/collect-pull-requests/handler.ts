import { collectorHandler } from '../runtime/jobs.ts';

/** Lambda: collect pull requests (see docs/collection.md). Event: { "period": "2026-10" } | { "from", "to" } [+ "repos"]. */
export const handler = collectorHandler(['pull-requests', 'commits', 'teams']);
