/**
 * The `linear` and `betterStack` sections of a `github-world/1` file: the tickets Linear knows
 * and Better Stack's incidents and on-call calendars, written with the world's own short keys.
 * The emulator serves them with those services' field names (emulator/linear/,
 * emulator/better-stack/). Absent section = the service is not configured for this world.
 */
import { z } from 'zod';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const isoTime = z
  .string({ error: 'not an ISO-8601 time' })
  .refine((value) => ISO_TIME.test(value) && !Number.isNaN(Date.parse(value)), 'not an ISO-8601 time');
const nonEmpty = z.string().min(1, 'must not be empty');
const LINEAR_KEY = /^[A-Z][A-Z0-9]{1,9}-[0-9]+$/;

export const linearSectionSchema = z.object({
  issues: z.array(
    z.object({
      identifier: z
        .string({ error: 'not a Linear issue key such as ENG-12' })
        .regex(LINEAR_KEY, 'not a Linear issue key such as ENG-12'),
      title: z.string(),
      /** A workflow state name: Backlog, Todo, In Progress, In Review, Done, Canceled, or another. */
      state: nonEmpty.default('Todo'),
      createdAt: isoTime,
      /** The team's name; its key is the identifier's prefix. */
      team: nonEmpty.optional(),
      archivedAt: isoTime.nullable().default(null),
    }),
  ),
});
export type LinearSection = z.output<typeof linearSectionSchema>;

export const betterStackSectionSchema = z.object({
  incidents: z
    .array(
      z.object({
        id: z.union([nonEmpty, z.number().int().positive()]).transform(String),
        name: nonEmpty,
        startedAt: isoTime,
        resolvedAt: isoTime.nullable().default(null),
        /** Free text, as Better Stack's `cause`. */
        cause: z.string().nullable().default(null),
        /** Login of the commander who acknowledged it. */
        commander: z.string().nullable().default(null),
        /** What the incident names as its cause: `org/repo#123`, a PR URL, a commit SHA. */
        references: z.array(nonEmpty).default([]),
      }),
    )
    .default([]),
  onCall: z
    .array(
      z.object({
        /** The on-call calendar's name, e.g. `Incident Commanders`. */
        calendar: nonEmpty,
        login: nonEmpty,
        from: isoTime,
        to: isoTime,
      }),
    )
    .default([]),
});
export type BetterStackSection = z.output<typeof betterStackSectionSchema>;

/** Cross-checks a schema cannot see; returns the path and message of the first problem. */
export function checkServiceSections(world: {
  linear?: LinearSection | undefined;
  betterStack?: BetterStackSection | undefined;
}): { path: PropertyKey[]; message: string } | undefined {
  const keys = new Set<string>();
  for (const [i, issue] of (world.linear?.issues ?? []).entries()) {
    if (keys.has(issue.identifier)) {
      return { path: ['linear', 'issues', i, 'identifier'], message: `duplicate issue ${issue.identifier}` };
    }
    keys.add(issue.identifier);
  }
  const ids = new Set<string>();
  for (const [i, incident] of (world.betterStack?.incidents ?? []).entries()) {
    if (ids.has(incident.id))
      return { path: ['betterStack', 'incidents', i, 'id'], message: `duplicate id ${incident.id}` };
    ids.add(incident.id);
    if (incident.resolvedAt !== null && Date.parse(incident.resolvedAt) < Date.parse(incident.startedAt)) {
      return { path: ['betterStack', 'incidents', i, 'resolvedAt'], message: 'before startedAt' };
    }
  }
  for (const [i, shift] of (world.betterStack?.onCall ?? []).entries()) {
    if (Date.parse(shift.to) <= Date.parse(shift.from)) {
      return { path: ['betterStack', 'onCall', i, 'to'], message: 'not after from' };
    }
  }
  return undefined;
}
