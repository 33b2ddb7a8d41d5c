/**
 * Better Stack's Uptime API v2 over a world's `betterStack` section, under
 * `/better-stack/api/v2`: `GET /incidents` (filtered by `from`/`to` days, newest first, paged by
 * `page`/`per_page` with `pagination.next` as Better Stack does: default 10, at most 50),
 * `GET /on-calls` (calendars, paged, with the current on-call users) and
 * `GET /on-calls/{id}/events` (every event, unpaged). JSON:API-style `data[].attributes`;
 * `Authorization: Bearer <token>`. Nothing after the world's `now` exists.
 */
import type { ServiceAnswer } from '../linear/api.ts';
import type { BetterStackSection } from '../service-sections.ts';

export const BETTER_STACK_EMULATOR_TOKEN = 'better-stack-emulator-token';
const PREFIX = '/better-stack/api/v2';
const DEFAULT_PER_PAGE = 10;
const MAX_PER_PAGE = 50;

interface Calendar {
  readonly id: string;
  readonly name: string;
  readonly events: { id: number; users: string[]; starts_at: string; ends_at: string; override: boolean }[];
}

export class BetterStackApi {
  private readonly calendars: Calendar[];

  constructor(
    private readonly section: BetterStackSection,
    private readonly options: {
      readonly org: string;
      readonly now: string;
      /** login -> e-mail address Better Stack knows the person by. */
      readonly emails: ReadonlyMap<string, string>;
      readonly token?: string;
    },
  ) {
    const byName = new Map<string, Calendar>();
    let eventId = 70_000;
    for (const shift of section.onCall) {
      const calendar = byName.get(shift.calendar) ?? {
        id: String(10_000 + byName.size + 1),
        name: shift.calendar,
        events: [],
      };
      calendar.events.push({
        id: ++eventId,
        users: [this.emailOf(shift.login)],
        starts_at: new Date(shift.from).toISOString(),
        ends_at: new Date(shift.to).toISOString(),
        override: false,
      });
      byName.set(shift.calendar, calendar);
    }
    this.calendars = [...byName.values()];
  }

  handle(request: {
    method: string;
    path: string;
    query: URLSearchParams;
    authorization: string | undefined;
    baseUrl: string;
  }): ServiceAnswer {
    const token = /^Bearer\s+(\S+)$/i.exec(request.authorization ?? '')?.[1];
    if (token === undefined || token !== (this.options.token ?? BETTER_STACK_EMULATOR_TOKEN)) {
      return { status: 401, body: { errors: 'Invalid Team API token' }, headers: {} };
    }
    if (request.method !== 'GET') return notFound();
    const path = request.path.slice(PREFIX.length);
    const url = (page: number) => {
      const query = new URLSearchParams(request.query);
      query.set('page', String(page));
      return `${request.baseUrl}${request.path}?${query}`;
    };
    if (path === '/incidents') return this.incidents(request.query, url);
    if (path === '/on-calls') return this.onCalls(request.query, url);
    const events = /^\/on-calls\/([^/]+)\/events$/.exec(path);
    if (events) {
      const calendar = this.calendars.find((c) => c.id === decodeURIComponent(events[1] as string));
      if (!calendar) return notFound();
      return { status: 200, body: { events: calendar.events }, headers: {} };
    }
    return notFound();
  }

  private emailOf(login: string): string {
    return (
      this.options.emails.get(login.toLowerCase()) ??
      `${login.toLowerCase()}@${this.options.org.toLowerCase()}.example`
    );
  }

  private incidents(query: URLSearchParams, url: (page: number) => string): ServiceAnswer {
    const now = Date.parse(this.options.now);
    const from = query.get('from');
    const to = query.get('to');
    for (const [name, value] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (value !== null && !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        return { status: 422, body: { errors: `${name} must be a date (YYYY-MM-DD)` }, headers: {} };
      }
    }
    const day = (iso: string) => new Date(iso).toISOString().slice(0, 10);
    const listed = this.section.incidents
      .filter((incident) => Date.parse(incident.startedAt) <= now)
      .filter(
        (incident) =>
          (from === null || day(incident.startedAt) >= from) &&
          (to === null || day(incident.startedAt) <= to),
      )
      .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id.localeCompare(a.id))
      .map((incident) => {
        const resolved = incident.resolvedAt !== null && Date.parse(incident.resolvedAt) <= now;
        const commander = incident.commander === null ? null : this.emailOf(incident.commander);
        return {
          id: incident.id,
          type: 'incident',
          attributes: {
            name: incident.name,
            url: null,
            http_method: null,
            cause: incident.cause,
            incident_group_id: null,
            started_at: new Date(incident.startedAt).toISOString(),
            acknowledged_at: commander ? new Date(incident.startedAt).toISOString() : null,
            acknowledged_by: commander,
            resolved_at: resolved ? new Date(incident.resolvedAt as string).toISOString() : null,
            resolved_by: resolved ? commander : null,
            status: resolved ? 'Resolved' : commander ? 'Acknowledged' : 'Started',
            team_name: this.options.org,
            response_content: null,
            response_options: null,
            regions: null,
            response_url: null,
            screenshot_url: null,
            origin_url: null,
            escalation_policy_id: null,
            call: false,
            sms: false,
            email: true,
            push: true,
            // What the incident names as its cause, as a responder writes it into the incident.
            metadata: incident.references.length > 0 ? { 'Caused by': incident.references.join(' ') } : {},
          },
          relationships: {},
        };
      });
    return paged(listed, query, url);
  }

  private onCalls(query: URLSearchParams, url: (page: number) => string): ServiceAnswer {
    const now = Date.parse(this.options.now);
    const users = new Map<string, { id: string; type: 'user'; attributes: Record<string, unknown> }>();
    const data = this.calendars.map((calendar) => {
      const current = calendar.events
        .filter((event) => Date.parse(event.starts_at) <= now && Date.parse(event.ends_at) > now)
        .flatMap((event) => event.users);
      return {
        id: calendar.id,
        type: 'on_call_calendar',
        attributes: { name: calendar.name, default_calendar: false, team_name: this.options.org },
        relationships: {
          on_call_users: {
            data: current.map((email) => {
              const id = String(20_000 + [...users.keys(), email].indexOf(email) + 1);
              users.set(email, {
                id,
                type: 'user',
                attributes: { first_name: email.split('@')[0], last_name: '', email, phone_numbers: [] },
              });
              return { id, type: 'user', meta: { email } };
            }),
          },
        },
      };
    });
    const answer = paged(data, query, url);
    return { ...answer, body: { ...(answer.body as object), included: [...users.values()] } };
  }
}

function paged(
  items: readonly unknown[],
  query: URLSearchParams,
  url: (page: number) => string,
): ServiceAnswer {
  const perPage = Math.min(
    Math.max(Number(query.get('per_page') ?? DEFAULT_PER_PAGE) || DEFAULT_PER_PAGE, 1),
    MAX_PER_PAGE,
  );
  const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  return {
    status: 200,
    body: {
      data: items.slice((page - 1) * perPage, page * perPage),
      pagination: {
        first: url(1),
        last: url(last),
        prev: page > 1 ? url(page - 1) : null,
        next: page < last ? url(page + 1) : null,
      },
    },
    headers: {},
  };
}

function notFound(): ServiceAnswer {
  return { status: 404, body: { errors: 'Resource not found' }, headers: {} };
}
