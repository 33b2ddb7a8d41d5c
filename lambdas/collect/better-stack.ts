import { inWindow, type Window } from '../core/window.ts';
import { describeError, InputError, SourceError, StoreError } from '../errors.ts';
import type { Provenance } from '../evidence/documents.ts';
import type { IncidentSource, SourceRequest } from '../evidence/source-ports.ts';
import { type CollectContext, shareOfCost, storeEvidence } from './context.ts';

/**
 * Better Stack, read as it stands: the incidents that started in the window (with what each
 * names as its cause, for CHANGE-FAILURE-RATE) and every on-call calendar's events that overlap
 * it (who was on call when, for EMERGENCY). No judgement here: which calendar holds the
 * Incident Commanders and which change an incident names is decided by the core.
 */

/** Better Stack failed at the on-call calendars, after the incidents were read and stored whole. */
export class BetterStackStageError extends SourceError {
  override name = 'BetterStackStageError';
  readonly stage: 'on-call';
  constructor(stage: 'on-call', cause: unknown) {
    super(`on-call calendars: ${describeError(cause)}`, { cause });
    this.stage = stage;
  }
}

export interface BetterStackCollection {
  readonly incidents: number;
  readonly calendars: number;
}

export async function collectBetterStack(
  ctx: CollectContext,
  betterStack: IncidentSource,
  window: Window,
): Promise<BetterStackCollection> {
  const provenance = (
    answer: SourceRequest,
    fetchedAt: string,
    items: number,
    position: number,
  ): Provenance => ({
    source: 'better-stack-rest',
    request: answer.request,
    parameters: { ...answer.parameters, endpoint: betterStack.endpoint },
    tokenIdentity: betterStack.identity,
    toolVersion: ctx.toolVersion,
    fetchedAt,
    apiCost: shareOfCost({ requests: answer.requests, graphqlPoints: 0 }, items, position),
  });

  // Better Stack filters by day; the window's own bounds are applied to `started_at` after.
  const lastDay = new Date(Date.parse(window.to) - 1).toISOString().slice(0, 10);
  const incidentsFetchedAt = ctx.clock().toISOString();
  const listed = await betterStack.listIncidents(window.from.slice(0, 10), lastDay);
  const incidents = listed.incidents.filter((incident) => inWindow(incident.startedAt, window));
  for (const [position, incident] of incidents.entries()) {
    await storeEvidence(ctx, {
      kind: 'incident',
      repo: ctx.org,
      itemId: incident.id,
      occurredAt: incident.startedAt,
      provenance: provenance(listed.provenance, incidentsFetchedAt, incidents.length, position),
      data: incident,
    });
  }

  try {
    const calendars = await collectOnCall(ctx, betterStack, window, provenance);
    return { incidents: incidents.length, calendars };
  } catch (error: unknown) {
    if (error instanceof StoreError || error instanceof InputError) throw error;
    throw new BetterStackStageError('on-call', error);
  }
}

/** How far before the window on-call shifts are kept (a label added before a merge in the window). */
const ON_CALL_LOOKBACK_DAYS = 14;

/** Every on-call calendar with its events that overlap the window, one snapshot each. */
async function collectOnCall(
  ctx: CollectContext,
  betterStack: IncidentSource,
  window: Window,
  provenance: (answer: SourceRequest, fetchedAt: string, items: number, position: number) => Provenance,
): Promise<number> {
  const lastDay = new Date(Date.parse(window.to) - 1).toISOString().slice(0, 10);
  // An emergency label is often added days before the merge that puts the PR in the window.
  const shifts = {
    from: new Date(Date.parse(window.from) - ON_CALL_LOOKBACK_DAYS * 86_400_000).toISOString(),
    to: window.to,
  };
  const calendarsFetchedAt = ctx.clock().toISOString();
  const calendars = await betterStack.listOnCallCalendars();
  for (const calendar of calendars.calendars) {
    const fetchedAt = ctx.clock().toISOString();
    const answer = await betterStack.listOnCallEvents(calendar.calendarId);
    const events = answer.events.filter(
      (event) =>
        Date.parse(event.startsAt) < Date.parse(shifts.to) &&
        Date.parse(event.endsAt) > Date.parse(shifts.from),
    );
    await storeEvidence(ctx, {
      kind: 'on-call',
      repo: ctx.org,
      itemId: `${calendar.calendarId}@${window.from.slice(0, 10)}..${lastDay}`,
      occurredAt: window.from,
      provenance: {
        ...provenance(answer.provenance, fetchedAt, 1, 0),
        parameters: {
          ...answer.provenance.parameters,
          endpoint: betterStack.endpoint,
          calendarsListedAt: calendarsFetchedAt,
          window: shifts,
        },
      },
      data: { ...calendar, window: shifts, events },
    });
  }
  return calendars.calendars.length;
}
