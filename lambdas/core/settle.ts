import type { Window } from './window.ts';

/**
 * controls.md "Deployments at the edges": a period's changes are judged with the deployments
 * made up to a settle time after it, so that a change merged on the 31st and deployed on the 1st
 * is judged, not "not shipped". By default the 3rd of the next month, 06:00 UTC — the time the
 * monthly pack is built (lib/: the schedule's stack property).
 */
export interface SettleTime {
  /** Day of the month after the period (1 = the first day). */
  readonly dayOfMonth: number;
  readonly hourUtc: number;
}

export const DEFAULT_SETTLE: SettleTime = { dayOfMonth: 3, hourUtc: 6 };

const HOUR_MS = 3_600_000;

/**
 * The settle moment of a window: `dayOfMonth − 1` days and `hourUtc` hours past its end (for a
 * calendar month: the 3rd of the next month at 06:00 UTC by default).
 */
export function settleTimeOf(window: Pick<Window, 'to'>, settle: SettleTime = DEFAULT_SETTLE): string {
  const end = Date.parse(window.to);
  return new Date(end + ((settle.dayOfMonth - 1) * 24 + settle.hourUtc) * HOUR_MS).toISOString();
}

/** Staging and canary evidence of a production deployment is read this far back by default (days). */
export const DEFAULT_PIPELINE_LOOKBACK_DAYS = 14;
