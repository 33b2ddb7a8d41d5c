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

const SETTLE_TEXT = /^(\d{1,2})T(\d{2}):00Z$/;

/** `3T06:00Z`: the settle time as the stack hands it to the pack job (day of month, UTC hour). */
export function formatSettleTime(settle: SettleTime): string {
  return `${settle.dayOfMonth}T${String(settle.hourUtc).padStart(2, '0')}:00Z`;
}

/** The settle time from its text form; undefined when the text is not one (the caller names the field). */
export function parseSettleTime(text: string): SettleTime | undefined {
  const match = SETTLE_TEXT.exec(text);
  if (!match) return undefined;
  const settle = { dayOfMonth: Number(match[1]), hourUtc: Number(match[2]) };
  return settle.dayOfMonth >= 1 && settle.dayOfMonth <= 28 && settle.hourUtc <= 23 ? settle : undefined;
}

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
