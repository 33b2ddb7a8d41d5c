import { buildPackHandler } from '../runtime/jobs.ts';

/** Lambda: re-collect the period, judge it and store the PDF pack. Event: { "period" } | { "from", "to" } [+ "profile"]. */
export const handler = buildPackHandler();
