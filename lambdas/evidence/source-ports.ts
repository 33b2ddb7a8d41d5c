import type { IncidentData, LinearTicketData, OnCallData } from './documents.ts';

/**
 * Ports of the sources beyond GitHub that the policies name: Linear (ticket existence) and
 * Better Stack (incidents and the Incident Commanders' on-call calendar). Adapters
 * (`lambdas/adapters/linear/`, `lambdas/adapters/better-stack/`) implement them over HTTP;
 * collectors receive them as arguments. Each answer carries the request it made and what it
 * cost, for the evidence's provenance.
 */

/** What one answer cost and which request produced it (for provenance). */
export interface SourceRequest {
  /** e.g. `GraphQL TicketsByKey sha256:…` or `GET /api/v2/incidents`. */
  readonly request: string;
  readonly parameters: Record<string, unknown>;
  readonly requests: number;
}

export interface TicketLookup {
  /** One entry per asked key (upper-cased), found or not. */
  readonly tickets: readonly LinearTicketData[];
  readonly provenance: SourceRequest;
}

export interface TicketSource {
  /** The API endpoint, e.g. `https://api.linear.app/graphql`. Never a credential. */
  readonly endpoint: string;
  /** Who the credential is (`name <email>` of the API key's user), checked before anything is read. */
  identity(): Promise<string>;
  /** Look many keys up at once (batched queries, never one request per key). */
  lookupTickets(keys: readonly string[]): Promise<TicketLookup>;
}

export interface IncidentList {
  readonly incidents: readonly IncidentData[];
  readonly provenance: SourceRequest;
}

export interface OnCallCalendarList {
  readonly calendars: readonly Omit<OnCallData, 'events' | 'window'>[];
  readonly provenance: SourceRequest;
}

export interface OnCallEventList {
  readonly events: OnCallData['events'];
  readonly provenance: SourceRequest;
}

export interface IncidentSource {
  /** The API base, e.g. `https://uptime.betterstack.com/api/v2`. Never a credential. */
  readonly endpoint: string;
  /** Better Stack has no "who am I": a description of the credential that names no secret. */
  readonly identity: string;
  /** Incidents started on the days `fromDay`..`toDay` (inclusive, `YYYY-MM-DD`), every page. */
  listIncidents(fromDay: string, toDay: string): Promise<IncidentList>;
  listOnCallCalendars(): Promise<OnCallCalendarList>;
  listOnCallEvents(calendarId: string): Promise<OnCallEventList>;
}

/** The optional sources a collection may be given; absent = not configured. */
export interface EnrichmentSources {
  readonly linear?: TicketSource;
  readonly betterStack?: IncidentSource;
}
