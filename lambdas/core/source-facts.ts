import type { EnricherRun } from '../evidence/documents.ts';
import type { Gap, WithheldEvidence } from '../evidence/gaps.ts';
import type { EvidenceItem, PeriodEvidence } from './period-evidence.ts';
import { compareText } from './population.ts';

/**
 * What the stored evidence says about the sources beyond GitHub: whether the period's collector
 * runs were configured to read Linear and Better Stack, and the documents they stored, indexed
 * for the rules. What could not be read is a typed gap (`linear-tickets`,
 * `better-stack-incidents`, `better-stack-on-call`), asked for through `PeriodFacts.gapsFor`.
 * Pure: built from the evidence only.
 */
export interface EnricherState {
  /** Some collector run of the period was configured to read the source ("not configured" otherwise). */
  readonly configured: boolean;
  /** The endpoints the runs asked, for the pack. */
  readonly endpoints: readonly string[];
}

export interface OnCallShift {
  readonly email: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly calendar: string;
  readonly item: EvidenceItem<'on-call'>;
}

export interface SourceFacts {
  readonly linear: EnricherState;
  readonly betterStack: EnricherState;
  /** Linear's latest answer for a ticket key (any case), or undefined when never looked up. */
  ticket(key: string): EvidenceItem<'linear-ticket'> | undefined;
  /** Incidents that started in the window, oldest first. */
  readonly incidents: readonly EvidenceItem<'incident'>[];
  /** Who was on call at `atIso` in the calendars whose name matches `calendarName` (any case and spacing). */
  onCallAt(calendarName: string, atIso: string): OnCallShift[];
  /** Whether any stored on-call snapshot is of a calendar matching `calendarName`. */
  hasCalendar(calendarName: string): boolean;
}

export function buildSourceFacts(evidence: PeriodEvidence, gaps: readonly Gap[] = []): SourceFacts {
  const tickets = new Map<string, EvidenceItem<'linear-ticket'>>();
  for (const item of evidence.linearTickets ?? []) {
    const key = item.doc.data.key.toUpperCase();
    const known = tickets.get(key);
    if (!known || compareText(known.doc.provenance.fetchedAt, item.doc.provenance.fetchedAt) < 0) {
      tickets.set(key, item);
    }
  }
  const incidents = [...(evidence.incidents ?? [])].sort(
    (a, b) =>
      compareText(a.doc.data.startedAt, b.doc.data.startedAt) || compareText(a.doc.data.id, b.doc.data.id),
  );
  // Several snapshots may hold the same event (daily and monthly runs): the latest answer wins.
  const calendars = new Set<string>();
  const latestEvent = new Map<string, { fetchedAt: string; calendar: string; shifts: OnCallShift[] }>();
  for (const item of evidence.onCall ?? []) {
    const data = item.doc.data;
    const calendar = slug(data.calendarName ?? data.calendarId);
    calendars.add(calendar);
    for (const event of data.events) {
      const id = `${data.calendarId}/${event.id}`;
      const known = latestEvent.get(id);
      if (known && compareText(known.fetchedAt, item.doc.provenance.fetchedAt) >= 0) continue;
      latestEvent.set(id, {
        fetchedAt: item.doc.provenance.fetchedAt,
        calendar,
        shifts: event.users.map((email) => ({
          email,
          startsAt: event.startsAt,
          endsAt: event.endsAt,
          calendar: data.calendarName ?? data.calendarId,
          item,
        })),
      });
    }
  }
  const shifts = new Map<string, OnCallShift[]>();
  for (const { calendar, shifts: list } of latestEvent.values()) {
    shifts.set(calendar, [...(shifts.get(calendar) ?? []), ...list]);
  }
  return {
    linear: enricherState(evidence, gaps, 'linear', ['linear-tickets']),
    betterStack: enricherState(evidence, gaps, 'better-stack', [
      'better-stack-incidents',
      'better-stack-on-call',
    ]),
    ticket: (key) => tickets.get(key.toUpperCase()),
    incidents,
    onCallAt(calendarName, atIso) {
      const at = Date.parse(atIso);
      return (shifts.get(slug(calendarName)) ?? []).filter(
        (shift) => Date.parse(shift.startsAt) <= at && at < Date.parse(shift.endsAt),
      );
    },
    hasCalendar: (calendarName) => calendars.has(slug(calendarName)),
  };
}

function enricherState(
  evidence: PeriodEvidence,
  gaps: readonly Gap[],
  source: EnricherRun['source'],
  withheld: readonly WithheldEvidence[],
): EnricherState {
  const endpoints = evidence.runs.flatMap((run) =>
    (run.doc.data.enrichers ?? [])
      .filter((enricher) => enricher.source === source)
      .map((enricher) => enricher.endpoint),
  );
  // A gap of the source's evidence says a run was configured to read it, whatever else it recorded.
  const configured = endpoints.length > 0 || gaps.some((gap) => withheld.includes(gap.withholds));
  return { configured, endpoints: [...new Set(endpoints)].sort() };
}

/** `Incident Commanders`, `incident-commanders` and `incident_commanders` are one calendar. */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
