import { z } from 'zod';
import { monthWindow, previousMonth, rangeWindow, type Window } from '../core/window.ts';
import { InputError } from '../errors.ts';

/**
 * The events a job accepts: an EventBridge schedule (whose input the stack fixes), or an
 * on-demand invocation `{ "period": "2026-10" }` / `{ "from": "…", "to": "…" }` with optional
 * `"repos"` and `"profile"`. A bad event is refused with the field named, before anything runs.
 */
const onDemandSchema = z
  .object({
    period: z.string().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
    repos: z.array(z.string().min(1)).optional(),
    profile: z.string().min(1).optional(),
    /** Why the period's pack is issued again (late evidence, a fixed rule); recorded in its seal. */
    reason: z.string().min(1).max(500).optional(),
    /** Set by the stack's schedules: which default window a scheduled run takes. */
    schedule: z.enum(['daily', 'monthly']).optional(),
  })
  .strict();

export interface JobRequest {
  readonly window: Window;
  readonly repos: readonly string[] | undefined;
  readonly profile: string | undefined;
  readonly reason: string | undefined;
  readonly scheduled: boolean;
}

/**
 * `daily` default: from the start of yesterday's month to now, so late data for the month is
 * picked up every day; `monthly`: the whole month before `now`.
 */
export function parseJobEvent(event: unknown, now: Date): JobRequest {
  const parsed = onDemandSchema.safeParse(event ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join('.') : 'event';
    throw new InputError(field, issue?.message ?? 'not a valid event');
  }
  const { period, from, to, repos, profile, reason, schedule } = parsed.data;
  if (period !== undefined && (from !== undefined || to !== undefined)) {
    throw new InputError('period', 'give either "period" or "from"/"to", not both');
  }
  let window: Window;
  if (period !== undefined) window = monthWindow(period, 'period');
  else if (from !== undefined || to !== undefined) {
    if (from === undefined) throw new InputError('from', 'missing: "to" needs "from"');
    if (to === undefined) throw new InputError('to', 'missing: "from" needs "to"');
    window = rangeWindow(from, to, { from: 'from', to: 'to' });
  } else if (schedule === 'daily') {
    const yesterday = new Date(now.getTime() - 86_400_000);
    const start = new Date(Date.UTC(yesterday.getUTCFullYear(), yesterday.getUTCMonth(), 1));
    window = rangeWindow(start.toISOString(), now.toISOString(), { from: 'from', to: 'to' });
  } else {
    window = previousMonth(now);
  }
  if (Date.parse(window.from) > now.getTime()) {
    throw new InputError(
      period !== undefined ? 'period' : 'from',
      `window ${window.label} lies in the future`,
    );
  }
  return { window, repos, profile, reason, scheduled: schedule !== undefined };
}
