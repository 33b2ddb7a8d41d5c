import { collectorHandler } from '../runtime/jobs.ts';

/**
 * Lambda: collect overrides, then Linear tickets and Better Stack incidents and on-call calendars
 * where the stack configured them (see docs/collection.md, docs/sources.md).
 * Event: { "period": "2026-10" } | { "from", "to" } [+ "repos"].
 */
export const handler = collectorHandler(['overrides', 'tickets', 'incidents']);
