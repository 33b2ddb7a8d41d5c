import { collectorHandler } from '../runtime/jobs.ts';

/** Lambda: snapshot protection (see docs/collection.md). Event: { "period": "2026-10" } | { "from", "to" } [+ "repos"]. */
export const handler = collectorHandler(['protection', 'teams']);
