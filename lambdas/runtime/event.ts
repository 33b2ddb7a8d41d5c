import { z } from 'zod';
import { MAX_BUDGET_WAITS, type ResumePoint } from '../app/collect-within-budget.ts';
import { COLLECT_KINDS } from '../collect/context.ts';
import { SHIPPED_PROFILE_IDS } from '../core/shipped-profiles.ts';
import { monthWindow, previousMonth, rangeWindow, type Window } from '../core/window.ts';
import { InputError, malformedInput } from '../errors.ts';

/**
 * The events a job accepts: an EventBridge schedule (whose input the stack fixes), or an
 * on-demand invocation `{ "period": "2026-10" }` / `{ "from": "…", "to": "…" }` with optional
 * `"repos"` and `"profile"`; a collector also takes a fan-out item `{ "repo", "input" }` (one
 * Step Functions Map iteration). A bad event is refused with the field named, before anything
 * runs: unknown fields, wrong types and fields that contradict each other alike — a job never
 * guesses which of two windows or two repository lists was meant.
 */

/** `name` or `org/name`, as GitHub allows them. */
const REPO_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/)?[A-Za-z0-9._-]{1,100}$/;
const repoName = z.string().regex(REPO_NAME, 'is not a repository name (name or org/name)');

const onDemandSchema = z
  .object({
    period: z.string().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
    repos: z
      .array(repoName)
      .min(1, 'names no repository: leave it out to take them all')
      .refine((repos) => new Set(repos).size === repos.length, 'names a repository twice')
      .optional(),
    /**
     * A shipped profile id only: a function has no files of the caller's to read, and a path
     * here would let an event make it read its own file system.
     */
    profile: z
      .string()
      .refine((id) => SHIPPED_PROFILE_IDS.includes(id), {
        message: `is not a shipped profile (shipped: ${SHIPPED_PROFILE_IDS.join(', ')})`,
      })
      .optional(),
    /** The pack job only: render a pack marked INCOMPLETE when the collection failed (default false). */
    allowIncomplete: z.boolean().optional(),
    /** Why the period's pack is issued again (late evidence, a fixed rule); recorded in its seal. */
    reason: z.string().min(1).max(500).optional(),
    /** Set by the stack's schedules: which default window a scheduled run takes. */
    schedule: z.enum(['daily', 'monthly']).optional(),
  })
  .strict();

/**
 * Where a fan-out item or a job goes on after its budget wait (set by the state machine from the
 * last result, never by a person): the kinds still to read, for a job the repositories still to
 * read, and how many waits came before.
 */
const resumeSchema = z
  .object({
    kinds: z
      .array(z.enum(COLLECT_KINDS))
      .min(1, 'names no kind to resume')
      .refine((kinds) => new Set(kinds).size === kinds.length, 'names a kind twice'),
    repos: z
      .array(repoName)
      .min(1, 'names no repository: leave it out to resume them all')
      .refine((repos) => new Set(repos).size === repos.length, 'names a repository twice')
      .optional(),
    attempt: z.number().int().min(1).max(MAX_BUDGET_WAITS),
  })
  .strict();

/** A single-function job called again after its budget wait: the execution's input, and where to go on. */
const resumedJobSchema = z
  .object({
    input: z.record(z.string(), z.unknown()),
    resume: resumeSchema,
  })
  .strict();

const fanOutItemSchema = z
  .object({
    repo: repoName,
    /** The execution's input, passed to every iteration; the window comes from here only. */
    input: z.record(z.string(), z.unknown()).optional(),
    resume: resumeSchema
      .refine((resume) => resume.repos === undefined, {
        message: 'a fan-out item resumes its own repository: leave out "repos"',
        path: ['repos'],
      })
      .optional(),
  })
  .strict();

export interface JobRequest {
  readonly window: Window;
  /** A fan-out item only: true (the handler plans its budget and may hand the wait to Step Functions). */
  readonly fanOutItem?: boolean;
  /** A fan-out item or a job resumed after a budget wait. */
  readonly resume?: ResumePoint;
  readonly repos: readonly string[] | undefined;
  readonly profile: string | undefined;
  readonly reason: string | undefined;
  readonly scheduled: boolean;
  readonly allowIncomplete: boolean;
}

export interface JobEventOptions {
  /** The function's organisation: a repository named `other-org/name` is refused. */
  readonly org?: string;
}

/**
 * `daily` default: from the start of yesterday's month to now, so late data for the month is
 * picked up every day; `monthly`: the whole month before `now`.
 */
export function parseJobEvent(event: unknown, now: Date, options: JobEventOptions = {}): JobRequest {
  if (isRecord(event) && 'resume' in event && !('repo' in event))
    return parseResumedJobEvent(event, now, options);
  const { period, from, to, repos, profile, reason, schedule, allowIncomplete } = strictParse(
    onDemandSchema,
    event ?? {},
    '',
  );
  if (period !== undefined && (from !== undefined || to !== undefined)) {
    throw malformedInput('period', 'give either "period" or "from"/"to", not both');
  }
  if (schedule !== undefined && (period !== undefined || from !== undefined || to !== undefined)) {
    throw malformedInput(
      'schedule',
      'a scheduled event takes its window from the schedule: leave out "period"/"from"/"to", or "schedule"',
    );
  }
  let window: Window;
  if (period !== undefined) window = monthWindow(period, 'period');
  else if (from !== undefined || to !== undefined) {
    if (from === undefined) throw malformedInput('from', 'missing: "to" needs "from"');
    if (to === undefined) throw malformedInput('to', 'missing: "from" needs "to"');
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
  if (repos && options.org)
    for (const [i, repo] of repos.entries()) assertInOrg(repo, options.org, `repos.${i}`);
  return {
    window,
    repos,
    profile,
    reason,
    scheduled: schedule !== undefined,
    allowIncomplete: allowIncomplete ?? false,
  };
}

/**
 * A collector's event: a fan-out item `{ "repo": "org/name", "input": {…} }` collects that one
 * repository for the input's window; anything else is a plain job event. A fan-out item with a
 * window or a repository list beside `input`, or an input whose `repos` leave out the item's
 * `repo`, contradicts itself and is refused.
 */
export function parseCollectorEvent(event: unknown, now: Date, options: JobEventOptions = {}): JobRequest {
  // A job resumed after a budget wait carries `input` too, but no `repo`.
  const resumedJob = isRecord(event) && 'resume' in event && !('repo' in event);
  if (!isRecord(event) || !('repo' in event || 'input' in event) || resumedJob) {
    return parseJobEvent(event, now, options);
  }
  const conflicting = Object.keys(onDemandSchema.shape).find((key) => key in event);
  if (conflicting !== undefined) {
    throw malformedInput(
      'repo',
      `a fan-out item { "repo", "input" } carries its window and options in "input", not "${conflicting}" beside "repo"`,
    );
  }
  const item = strictParse(fanOutItemSchema, event, '');
  if (options.org) assertInOrg(item.repo, options.org, 'repo');
  // Errors in the input name its fields as the person who started the execution wrote them.
  const request = parseJobEvent(item.input ?? {}, now, options);
  // The execution input an on-demand fan-out started with may name its repositories (the lister
  // took its items from them); an item outside that list contradicts it.
  const bare = (repo: string) => repo.slice(repo.indexOf('/') + 1).toLowerCase();
  if (request.repos && !request.repos.some((repo) => bare(repo) === bare(item.repo))) {
    throw malformedInput('repos', `does not name "${item.repo}", the repository of this fan-out item`);
  }
  return {
    ...request,
    repos: [item.repo],
    fanOutItem: true,
    ...(item.resume ? { resume: item.resume } : {}),
  };
}

/**
 * A job called again by its state machine after a budget wait: `{ "input": <execution input>,
 * "resume": { "kinds", "repos"?, "attempt" } }`. The window and options come from the input as at
 * the first call; the repositories left must be among the input's, when it names any.
 */
function parseResumedJobEvent(
  event: Record<string, unknown>,
  now: Date,
  options: JobEventOptions,
): JobRequest {
  const resumed = strictParse(resumedJobSchema, event, '');
  if ('resume' in resumed.input)
    throw malformedInput('input.resume', "a resumed job's input does not resume again");
  const request = parseJobEvent(resumed.input, now, options);
  const { resume } = resumed;
  if (resume.repos) {
    const bare = (repo: string) => repo.slice(repo.indexOf('/') + 1).toLowerCase();
    for (const [i, repo] of resume.repos.entries()) {
      if (options.org) assertInOrg(repo, options.org, `resume.repos.${i}`);
      if (request.repos && !request.repos.some((named) => bare(named) === bare(repo)))
        throw malformedInput(`resume.repos.${i}`, `"${repo}" is not among the repositories of "input"`);
    }
  }
  return { ...request, resume };
}

function assertInOrg(repo: string, org: string, field: string): void {
  const owner = repo.includes('/') ? repo.slice(0, repo.indexOf('/')) : org;
  if (owner.toLowerCase() !== org.toLowerCase()) {
    throw malformedInput(field, `"${repo}" is not a repository of ${org}`);
  }
}

/** Parse with a strict zod schema, naming the first bad field (an unknown key by its own name). */
function strictParse<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  if (!isRecord(value)) {
    throw malformedInput(prefix || 'event', 'must be a JSON object');
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String) ?? [];
  if (issue?.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    throw malformedInput(
      [prefix, ...path, key].filter(Boolean).join('.'),
      'is not a field of this event (unknown fields are refused, not ignored)',
    );
  }
  const field = [prefix, ...path].filter(Boolean).join('.') || 'event';
  throw malformedInput(field, issue?.message ?? 'not a valid event');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
