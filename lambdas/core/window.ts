import { InputError, malformedInput } from '../errors.ts';

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
/**
 * `YYYY-MM-DD`, optionally `THH:MM[:SS[.fraction]]`, optionally `Z` or `±HH:MM`. A time without
 * an offset is UTC, like a date alone: never the machine's local time, so the same command
 * gives the same window on every machine.
 */
const TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** Git and GitHub postdate the Unix epoch; an earlier year is a typo (and `Date.UTC` maps 0-99 to 1900s). */
const FIRST_YEAR = 1970;

export function monthWindow(period: string, field = '--period'): Window {
  const match = PERIOD.exec(period);
  if (!match) throw malformedInput(field, `"${period}" is not a month in the form YYYY-MM`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  if (year < FIRST_YEAR) throw malformedInput(field, `"${period}": no evidence exists before ${FIRST_YEAR}`);
  if (month < 1 || month > 12) throw malformedInput(field, `"${period}" has no month ${match[2]} (01-12)`);
  const from = new Date(Date.UTC(year, month - 1, 1));
  const to = new Date(Date.UTC(year, month, 1));
  return { from: from.toISOString(), to: to.toISOString(), label: period, isMonth: true };
}

export function rangeWindow(from: string, to: string, fields = { from: '--from', to: '--to' }): Window {
  const start = parseTime(from, fields.from);
  const end = parseTime(to, fields.to);
  if (end.getTime() <= start.getTime()) {
    throw malformedInput(fields.to, `${to} does not come after ${fields.from} ${from}`);
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
  return t >= boundTime(window.from) && t < boundTime(window.to);
}

/** Window bounds parsed, by text: a pack asks whether each of 100,000+ documents falls in one of a few windows. */
const boundTimes = new Map<string, number>();

function boundTime(iso: string): number {
  let time = boundTimes.get(iso);
  if (time === undefined) {
    if (boundTimes.size >= 256) boundTimes.clear();
    time = Date.parse(iso);
    boundTimes.set(iso, time);
  }
  return time;
}

/** An ISO-8601 date or date-time, every part checked against the calendar (no `2026-02-30`). */
export function parseTime(value: string, field: string): Date {
  const match = TIME.exec(value);
  if (!match) {
    throw malformedInput(
      field,
      `"${value}" is not an ISO-8601 date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]; UTC when no offset is given)`,
    );
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', offset = 'Z'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const impossible = (what: string) => malformedInput(field, `"${value}" is not a real time: ${what}`);
  if (year < FIRST_YEAR) throw impossible(`no evidence exists before ${FIRST_YEAR}`);
  if (month < 1 || month > 12) throw impossible(`there is no month ${mo} (01-12)`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) throw impossible(`${y}-${mo} has no day ${d} (01-${daysInMonth})`);
  if (Number(h) > 23) throw impossible(`there is no hour ${h} (00-23)`);
  if (Number(mi) > 59) throw impossible(`there is no minute ${mi} (00-59)`);
  if (Number(s) > 59) throw impossible(`there is no second ${s} (00-59)`);
  let offsetMinutes = 0;
  if (offset !== 'Z') {
    const digits = offset.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetRest = Number(digits.slice(2));
    if (offsetHours > 14 || offsetRest > 59) throw impossible(`there is no UTC offset ${offset}`);
    offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), ms);
  return new Date(utc - offsetMinutes * 60_000);
}
