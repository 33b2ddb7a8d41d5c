import { buildPackHandler } from '../runtime/jobs.ts';

/**
 * Lambda: re-collect the period, judge it and store the PDF pack. Event: { "period" } | { "from", "to" }
 * [+ "profile", "repos", "allowIncomplete"]; a failed collection fails with CollectionFailedError.
 */
export const handler = buildPackHandler();
