import { InputError } from '../errors.ts';

/** A half-open time window `[from, to)` in UTC, with the label used in file names. */
export interface Window {
  readonly from: string;
  readonly to: string;
  /** `2026-10` for a calendar month, `2026-10-01_2026-10-15` for a range. */
  readonly label: string;
  /** True when the window is exactly one calendar month. */
  readonly isMonth: boolean;
}

const PERIOD = /^(\d{4})-(\d{2})$/;

export function monthWindow(period: string, field = '--period'): Window {
  const match = PERIOD.exec(period);
  if (!match) throw new InputError(field, `"${period}" is not a month in the form YYYY-MM`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  if (month < 1 || month > 12) throw new InputError(field, `"${period}" has no month ${match[2]} (01-12)`);
  const from = new Date(Date.UTC(year, month - 1, 1));
  const to = new Date(Date.UTC(year, month, 1));
  return { from: from.toISOString(), to: to.toISOString(), label: period, isMonth: true };
}

export function rangeWindow(from: string, to: string, fields = { from: '--from', to: '--to' }): Window {
  const start = parseTime(from, fields.from);
  const end = parseTime(to, fields.to);
  if (end.getTime() <= start.getTime()) {
    throw new InputError(fields.to, `${to} does not come after ${fields.from} ${from}`);
  }
  const label = `${start.toISOString().slice(0, 10)}_${end.toISOString().slice(0, 10)}`;
  return { from: start.toISOString(), to: end.toISOString(), label, isMonth: false };
}

/** The calendar month before `now`. */
export function previousMonth(now: Date): Window {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return monthWindow(d.toISOString().slice(0, 7));
}

/** Refuse a window that starts after the source's clock: nothing exists there yet. */
export function assertNotFuture(window: Window, now: Date, field = '--from'): void {
  if (Date.parse(window.from) > now.getTime()) {
    throw new InputError(
      field,
      `window ${window.label} starts after the source's current time ${now.toISOString()}`,
    );
  }
}

/** Every `YYYY-MM` a window touches, for partition-per-period queries. */
export function periodsOf(window: Pick<Window, 'from' | 'to'>): string[] {
  const periods: string[] = [];
  const end = Date.parse(window.to);
  const cursor = new Date(window.from);
  let d = new Date(Date.UTC(cursor.getUTCFullYear(), cursor.getUTCMonth(), 1));
  while (d.getTime() < end) {
    periods.push(d.toISOString().slice(0, 7));
    d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
  }
  return periods;
}

export function inWindow(isoTime: string, window: Pick<Window, 'from' | 'to'>): boolean {
  const t = Date.parse(isoTime);
  return t >= Date.parse(window.from) && t < Date.parse(window.to);
}

function parseTime(value: string, field: string): Date {
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) throw new InputError(field, `"${value}" is not an ISO-8601 date or time`);
  return new Date(t);
}
