import { collectorHandler } from '../runtime/jobs.ts';

/** Lambda: collect overrides (see docs/collection.md). Event: { "period": "2026-10" } | { "from", "to" } [+ "repos"]. */
export const handler = collectorHandler(['overrides']);
