import { z } from 'zod';
import { SourceError } from '../../errors.ts';
import type { IncidentData, OnCallData } from '../../evidence/documents.ts';
import type { IncidentSource } from '../../evidence/source-ports.ts';
import { requestJson } from '../http-json.ts';

/**
 * Better Stack's Uptime API v2 (`https://uptime.betterstack.com/api/v2`) as an
 * `IncidentSource`, with the token as a Bearer header. Lists are JSON:API-style
 * (`data[].attributes`) and paged by `pagination.next`, an absolute URL that is followed only
 * when it points at the same origin (the token is never sent elsewhere). On-call calendar
 * events (`GET /on-calls/{id}/events`) are one unpaged `{ events: [...] }` answer.
 */

export const BETTER_STACK_API_URL = 'https://uptime.betterstack.com/api/v2';
/** Better Stack's maximum page size for incidents. */
const PER_PAGE = 50;
/** A guard against a `next` link that never ends. */
const MAX_PAGES = 1000;

export interface BetterStackClientOptions {
  /** Default `https://uptime.betterstack.com/api/v2`; the emulator's `<url>/better-stack/api/v2`. */
  readonly baseUrl?: string;
  readonly token: string;
  readonly fetch?: typeof fetch;
  readonly backoffBaseMs?: number;
}

const nullableText = z
  .string()
  .nullable()
  .optional()
  .transform((value) => value ?? null);

const pageSchema = z.object({
  data: z.array(z.unknown()),
  included: z.array(z.unknown()).optional(),
  pagination: z.object({ next: z.string().nullable().optional() }).optional(),
});

const incidentSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  attributes: z.object({
    name: nullableText,
    cause: nullableText,
    status: nullableText,
    started_at: z.string(),
    acknowledged_at: nullableText,
    acknowledged_by: nullableText,
    resolved_at: nullableText,
    resolved_by: nullableText,
    team_name: nullableText,
    metadata: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .transform((metadata) =>
        Object.fromEntries(
          Object.entries(metadata ?? {}).map(([key, value]) => [
            key,
            typeof value === 'string' ? value : JSON.stringify(value),
          ]),
        ),
      ),
  }),
});

const calendarSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  attributes: z.object({
    name: nullableText,
    default_calendar: z.boolean().optional().default(false),
    team_name: nullableText,
  }),
});

const eventsSchema = z.object({
  events: z.array(
    z.object({
      id: z.union([z.string(), z.number()]).transform(String),
      users: z.array(z.string()),
      starts_at: z.string(),
      ends_at: z.string(),
      override: z.boolean().optional().default(false),
    }),
  ),
});

export function createBetterStackClient(options: BetterStackClientOptions): IncidentSource {
  const baseUrl = (options.baseUrl ?? BETTER_STACK_API_URL).replace(/\/$/, '');
  const origin = new URL(baseUrl).origin;
  const get = (url: string) =>
    requestJson({
      service: 'Better Stack',
      url,
      headers: { authorization: `Bearer ${options.token}` },
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.backoffBaseMs !== undefined ? { backoffBaseMs: options.backoffBaseMs } : {}),
    });

  async function allPages(firstUrl: string): Promise<{ items: unknown[]; requests: number }> {
    const items: unknown[] = [];
    let url: string | null = firstUrl;
    let requests = 0;
    while (url !== null) {
      if (new URL(url).origin !== origin) {
        throw new SourceError(`Better Stack's next page ${new URL(url).origin} is not at ${origin}`);
      }
      if (requests >= MAX_PAGES) throw new SourceError(`Better Stack: more than ${MAX_PAGES} pages`);
      const page: z.infer<typeof pageSchema> = parse(pageSchema, await get(url), 'a page');
      requests += 1;
      items.push(...page.data);
      url = page.pagination?.next ?? null;
    }
    return { items, requests };
  }

  return {
    endpoint: baseUrl,
    identity: `Better Stack API token (${origin})`,
    async listIncidents(fromDay, toDay) {
      const parameters = { from: fromDay, to: toDay, per_page: PER_PAGE };
      const url = `${baseUrl}/incidents?${new URLSearchParams({ ...parameters, per_page: String(PER_PAGE) })}`;
      const { items, requests } = await allPages(url);
      const incidents = items.map((item): IncidentData => {
        const { id, attributes: a } = parse(incidentSchema, item, 'an incident');
        return {
          id,
          name: a.name,
          cause: a.cause,
          status: a.status,
          startedAt: a.started_at,
          acknowledgedAt: a.acknowledged_at,
          acknowledgedBy: a.acknowledged_by,
          resolvedAt: a.resolved_at,
          resolvedBy: a.resolved_by,
          teamName: a.team_name,
          metadata: a.metadata,
        };
      });
      return {
        incidents,
        provenance: { request: 'GET /api/v2/incidents', parameters, requests },
      };
    },
    async listOnCallCalendars() {
      const { items, requests } = await allPages(`${baseUrl}/on-calls`);
      return {
        calendars: items.map((item) => {
          const { id, attributes: a } = parse(calendarSchema, item, 'an on-call calendar');
          return {
            calendarId: id,
            calendarName: a.name,
            teamName: a.team_name,
            defaultCalendar: a.default_calendar,
          };
        }),
        provenance: { request: 'GET /api/v2/on-calls', parameters: {}, requests },
      };
    },
    async listOnCallEvents(calendarId) {
      const answer = parse(
        eventsSchema,
        await get(`${baseUrl}/on-calls/${encodeURIComponent(calendarId)}/events`),
        'on-call events',
      );
      const events: OnCallData['events'] = answer.events.map((event) => ({
        id: event.id,
        users: event.users,
        startsAt: event.starts_at,
        endsAt: event.ends_at,
        override: event.override,
      }));
      return {
        events,
        provenance: {
          request: 'GET /api/v2/on-calls/{calendar_id}/events',
          parameters: { calendar_id: calendarId },
          requests: 1,
        },
      };
    },
  };
}

function parse<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SourceError(
      `Better Stack answered ${what} of an unexpected shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}
