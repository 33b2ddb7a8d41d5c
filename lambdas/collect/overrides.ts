import { type GitHubClient, GitHubForbiddenError, GitHubNotFoundError } from '../adapters/github/client.ts';
import {
  checkWindow,
  parseDefaultBranch,
  parseRepoName,
  type RepoName,
} from '../adapters/github/parse-collect-target.ts';
import {
  fullRef,
  OVERRIDE_COMMIT_QUERY,
  OVERRIDE_COMMITS_PER_QUERY,
  type OverrideCommit,
  type OverrideReason,
  type OverrideSighting,
  overrideCommitAt,
  overrideCommitsQuery,
  parseActivity,
  parseAuditLogOverrides,
  parseOverrideCommit,
  parseRuleSuiteBypassedRules,
  parseRuleSuites,
} from '../adapters/github/parse-overrides.ts';
import type { Window } from '../core/window.ts';
import type { OverrideData, OverrideSource } from '../evidence/documents.ts';
import {
  type CollectContext,
  costSince,
  graphqlRequestName,
  provenanceOf,
  type RepoRef,
  shareOfCost,
  storeEvidence,
} from './context.ts';
import { ACTIVITY_ROUTE, activityOnRef, repositoryActivity } from './repository-activity.ts';

/**
 * Collects protected-branch overrides and ruleset bypasses of one repository from every source
 * GitHub offers, each optional:
 * - the organisation audit log, `protected_branch.policy_override` (Enterprise Cloud, 180 days);
 * - rule suites with result `bypass` on the default branch (one month back);
 * - repository activity `push` / `force_push` on the default branch (one month back). A direct
 *   push is only an override when protection required PRs; the evaluation decides that, so every
 *   push is recorded here as a candidate with source `activity` and nothing is lost.
 * Sightings of the same push (same branch and after-SHA) merge into ONE `override` document whose
 * `sources` lists every source that saw it; itemId is the after-SHA, stable across runs and sources.
 * A source the plan, permission or retention cannot serve is a recorded gap, never an empty list.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** The audit log keeps web events for 180 days. */
export const AUDIT_LOG_REACH_MS = 180 * DAY_MS;
const PAGE_SIZE = 100;

const REPO_ROUTE = 'GET /repos/{owner}/{repo}';
const AUDIT_LOG_ROUTE = 'GET /orgs/{org}/audit-log';
const RULE_SUITES_ROUTE = 'GET /repos/{owner}/{repo}/rulesets/rule-suites';
const RULE_SUITE_ROUTE = 'GET /repos/{owner}/{repo}/rulesets/rule-suites/{rule_suite_id}';
const ORG_RULE_SUITES_ROUTE = 'GET /orgs/{org}/rulesets/rule-suites';
const SOURCE_ORDER: readonly OverrideSource[] = ['audit-log', 'rule-suite', 'activity'];

export interface CollectOverridesResult {
  readonly events: number;
  readonly written: number;
}

/**
 * How far back rule suites and repository activity reach: GitHub says "one month"; the later of
 * a calendar month and 30 days is taken so that a window near the edge is reported as a gap
 * rather than silently cut.
 */
export function oneMonthBefore(now: Date): number {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() - 1;
  // The same day of the previous month, clamped to its last day (31 March → 28 February).
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const sameDay = Date.UTC(year, month, Math.min(now.getUTCDate(), lastDay)) + (now.getTime() % DAY_MS);
  return Math.max(sameDay, now.getTime() - 30 * DAY_MS);
}

/** One calendar year before `now`: how far repository activity reaches with `time_period=year`. */
export function oneYearBefore(now: Date): number {
  const date = new Date(now.getTime());
  date.setUTCFullYear(date.getUTCFullYear() - 1);
  return date.getTime();
}

export async function collectOverrides(
  ctx: CollectContext,
  repo: string | RepoRef,
  window: Pick<Window, 'from' | 'to'>,
  options: {
    /** The run's one reading of the audit log; absent: this repository's entries are read here. */
    readonly auditLog?: OrganisationAuditLog;
    /** The run's one reading of the organisation's rule-suite bypasses; absent: this repository's are listed here. */
    readonly ruleSuites?: OrganisationRuleSuites;
  } = {},
): Promise<CollectOverridesResult> {
  const target = parseRepoName(typeof repo === 'string' ? repo : repo.fullName, ctx.org);
  const now = ctx.clock();
  checkWindow(window, now);
  const costAtStart = ctx.github.cost;
  const defaultBranch =
    typeof repo === 'string'
      ? parseDefaultBranch(
          (await ctx.github.rest<unknown>(REPO_ROUTE, { owner: target.owner, repo: target.name })).data,
        )
      : repo.defaultBranch;
  const ref = fullRef(defaultBranch);
  const from = Date.parse(window.from);
  const to = Date.parse(window.to);

  const sightings: OverrideSighting[] = [];
  const requests = new Set<string>(typeof repo === 'string' ? [REPO_ROUTE] : []);
  const parameters: Record<string, unknown> = { owner: target.owner, repo: target.name, ref };

  const orgWide = options.auditLog !== undefined;
  const auditLog = orgWide
    ? (options.auditLog ?? undefined)
    : await readAuditLogEntries(ctx, target.owner, target.fullName, from, to, now);
  if (auditLog) {
    sightings.push(...auditLogSightings(ctx, target, auditLog, orgWide));
    requests.add(AUDIT_LOG_ROUTE);
    parameters.auditLogPhrase = auditLog.phrase;
  }
  const monthReach = oneMonthBefore(now);
  const ruleSuites = await readRuleSuites(ctx, target, ref, from, to, monthReach, options.ruleSuites);
  if (ruleSuites) {
    sightings.push(...ruleSuites);
    requests.add(options.ruleSuites ? ORG_RULE_SUITES_ROUTE : RULE_SUITES_ROUTE).add(RULE_SUITE_ROUTE);
  }
  const activity = await readActivity(ctx, target, ref, from, to, oneYearBefore(now));
  if (activity) {
    sightings.push(...activity);
    requests.add(ACTIVITY_ROUTE);
  }

  const events = mergeSightings(sightings.filter((s) => inRange(s.at, from, to)));
  const listingCost = costSince(costAtStart, ctx.github.cost);
  let written = 0;
  // The commits of all events, 20 per request (aliases), not one request per event.
  const commitsAt = ctx.github.cost;
  const commits = await readOverrideCommits(ctx.github, target, events);
  const commitsCost = costSince(commitsAt, ctx.github.cost);
  for (const [position, event] of events.entries()) {
    const found = commits[position];
    const commitCost = shareOfCost(commitsCost, events.length, position);
    const listingShare = shareOfCost(listingCost, events.length, position);
    const data: OverrideData = {
      branch: shortBranch(event.ref),
      actor: event.actor,
      at: event.at,
      beforeSha: event.beforeSha,
      afterSha: event.afterSha,
      sources: event.sources,
      reasons: event.reasons,
      commit: found?.commit ?? null,
      pullRequest: found?.pullRequest ?? null,
    };
    const itemId = event.ref === ref ? event.afterSha : `${shortBranch(event.ref)}@${event.afterSha}`;
    const recorded = await storeEvidence(ctx, {
      kind: 'override',
      repo: target.fullName,
      itemId,
      occurredAt: event.at,
      provenance: provenanceOf(ctx, {
        source: 'github-rest',
        request: [
          ...requests,
          graphqlRequestName(
            'OverrideCommits',
            overrideCommitsQuery(commitBatchSize(events.length, position)),
          ),
        ].join('; '),
        parameters: { ...parameters, oid: event.afterSha, sources: event.sources },
        apiCost: {
          requests: listingShare.requests + commitCost.requests,
          graphqlPoints: listingShare.graphqlPoints + commitCost.graphqlPoints,
        },
      }),
      data,
    });
    if (recorded.written) written += 1;
    ctx.progress({ type: 'item', repo: target.fullName, kind: 'overrides', itemId });
  }
  return { events: events.length, written };
}

/** Is the plan or the permission missing? Those answers are gaps; anything else is a failure. */
function unavailable(error: unknown): error is GitHubNotFoundError | GitHubForbiddenError {
  return error instanceof GitHubNotFoundError || error instanceof GitHubForbiddenError;
}

/**
 * The organisation audit log as read once for a collection run: the entries of the actions the
 * controls need, for every repository. `null`: not readable (the gaps are recorded, org-wide).
 */
export type OrganisationAuditLog = { readonly entries: readonly unknown[]; readonly phrase: string } | null;

/**
 * Read the audit log once per organisation and run (its rate limit is far below the REST one),
 * paged, filtered by phrase to `protected_branch.policy_override` in the window; each repository
 * then takes its own entries from this one reading.
 */
export async function readOrganisationAuditLog(
  ctx: CollectContext,
  org: string,
  window: Pick<Window, 'from' | 'to'>,
): Promise<OrganisationAuditLog> {
  const reading = await readAuditLogEntries(
    ctx,
    org,
    null,
    Date.parse(window.from),
    Date.parse(window.to),
    ctx.clock(),
  );
  return reading ?? null;
}

async function readAuditLogEntries(
  ctx: CollectContext,
  org: string,
  /** `org/name` to ask for one repository's entries; null for the whole organisation. */
  repo: string | null,
  from: number,
  to: number,
  now: Date,
): Promise<{ entries: unknown[]; phrase: string } | undefined> {
  const reach = now.getTime() - AUDIT_LOG_REACH_MS;
  if (to <= reach) {
    ctx.recordGap({
      withholds: 'audit-log',
      repo,
      window: { from: iso(from), to: iso(to) },
      reason: `the audit log reaches back 180 days (to ${iso(reach)}); the window ends before that, so its overrides cannot be read`,
    });
    return undefined;
  }
  const start = Math.max(from, reach);
  if (from < reach) {
    ctx.recordGap({
      withholds: 'audit-log',
      repo,
      window: { from: iso(from), to: iso(reach) },
      reason: `the audit log reaches back 180 days (to ${iso(reach)}); overrides between ${iso(from)} and then cannot be read`,
    });
  }
  // `created:` bounds are inclusive and to the second; the window is half-open, so the upper
  // bound is the second before `to`. Results are filtered to the exact window afterwards.
  const phrase =
    `action:protected_branch.policy_override${repo ? ` repo:${repo}` : ''} ` +
    `created:${searchTime(start)}..${searchTime(to - 1)}`;
  try {
    const entries = await ctx.github.paginate<unknown>(AUDIT_LOG_ROUTE, { org, phrase, per_page: PAGE_SIZE });
    return { entries, phrase };
  } catch (error: unknown) {
    if (!unavailable(error)) throw error;
    ctx.recordGap({
      withholds: 'audit-log',
      repo,
      window: { from: iso(from), to: iso(to) },
      reason: `the organisation audit log could not be read (${error.message}); it needs GitHub Enterprise Cloud and an organisation owner's audit-log read permission`,
    });
    return undefined;
  }
}

/** One repository's override sightings out of an audit-log reading. */
function auditLogSightings(
  ctx: CollectContext,
  target: RepoName,
  reading: { entries: readonly unknown[] },
  orgWide: boolean,
): OverrideSighting[] {
  const parsed = parseAuditLogOverrides(reading.entries, target.fullName, { requireRepo: orgWide });
  if (parsed.unattributable.length > 0) {
    const ids = parsed.unattributable.map((u) => u.documentId ?? u.at ?? '?').join(', ');
    ctx.recordGap({
      withholds: 'audit-log',
      repo: target.fullName,
      reason: `${parsed.unattributable.length} protected_branch.policy_override event(s) name no commit (after SHA) and cannot be tied to a change: ${ids}`,
    });
  }
  return parsed.sightings;
}

/**
 * The rule-suite bypasses of the whole organisation, read once for a run of several
 * repositories instead of once per repository: `GET /orgs/{org}/rulesets/rule-suites` with
 * `rule_suite_result=bypass`, every page. Each repository then takes the suites of its own
 * default branch (`repository_name` and `ref`); the rules each bypass skipped are still read per
 * suite.
 */
export interface OrganisationRuleSuites {
  readonly items: readonly unknown[];
}

/**
 * Undefined when the organisation's listing is not to be used: the window is wholly out of the
 * one-month reach (each repository records that gap, asking nothing), or GitHub refused it (403/404:
 * the organisation route needs the organisation's "Administration" read permission, which a token
 * that may list each repository's suites can lack). Each repository then lists its own, as
 * without this reading.
 */
export async function readOrganisationRuleSuites(
  ctx: CollectContext,
  org: string,
  window: Pick<Window, 'from' | 'to'>,
): Promise<OrganisationRuleSuites | undefined> {
  if (Date.parse(window.to) <= oneMonthBefore(ctx.clock())) return undefined;
  try {
    const items = await ctx.github.paginate<unknown>(ORG_RULE_SUITES_ROUTE, {
      org,
      time_period: 'month',
      rule_suite_result: 'bypass',
      per_page: PAGE_SIZE,
    });
    return { items };
  } catch (error: unknown) {
    if (unavailable(error)) return undefined;
    throw error;
  }
}

async function readRuleSuites(
  ctx: CollectContext,
  target: RepoName,
  ref: string,
  from: number,
  to: number,
  reach: number,
  orgWide: OrganisationRuleSuites | undefined,
): Promise<OverrideSighting[] | undefined> {
  if (!reportReach(ctx, 'rule-suites', target, from, to, reach)) return undefined;
  const params = { owner: target.owner, repo: target.name };
  try {
    const listed = orgWide
      ? parseRuleSuites(
          orgWide.items.filter((item) => {
            const name = (item as { repository_name?: unknown }).repository_name;
            return typeof name === 'string' && name.toLowerCase() === target.name.toLowerCase();
          }),
        ).filter((suite) => suite.sighting.ref === ref)
      : parseRuleSuites(
          await ctx.github.paginate<unknown>(RULE_SUITES_ROUTE, {
            ...params,
            ref,
            time_period: 'month',
            rule_suite_result: 'bypass',
            per_page: PAGE_SIZE,
          }),
        );
    const suites = listed.filter(
      (suite) => suite.result === 'bypass' && inRange(suite.sighting.at, from, to),
    );
    const sightings: OverrideSighting[] = [];
    for (const suite of suites) {
      const bypassed = await readBypassedRules(ctx.github, params, suite.id);
      sightings.push({ ...suite.sighting, reasons: [...suite.sighting.reasons, ...bypassed] });
    }
    return sightings;
  } catch (error: unknown) {
    if (!unavailable(error)) throw error;
    ctx.recordGap({
      withholds: 'rule-suites',
      repo: target.fullName,
      window: { from: iso(from), to: iso(to) },
      reason: `rule suites could not be read (${error.message}); ruleset bypasses of the window are unknown`,
    });
    return undefined;
  }
}

/** The rules a bypass skipped; a suite whose detail is gone keeps its summary. */
async function readBypassedRules(
  github: GitHubClient,
  params: { owner: string; repo: string },
  id: number,
): Promise<OverrideReason[]> {
  try {
    return parseRuleSuiteBypassedRules(
      (await github.rest<unknown>(RULE_SUITE_ROUTE, { ...params, rule_suite_id: id })).data,
    );
  } catch (error: unknown) {
    if (error instanceof GitHubNotFoundError) return [];
    throw error;
  }
}

async function readActivity(
  ctx: CollectContext,
  target: RepoName,
  ref: string,
  from: number,
  to: number,
  reach: number,
): Promise<OverrideSighting[] | undefined> {
  if (!reportReach(ctx, 'activity', target, from, to, reach)) return undefined;
  try {
    // Every type: pushes and force pushes are candidates, and the PR merges let an override that
    // merged a PR show activity among its sources. The run's one reading of the repository's
    // activity (every branch, newest first, back to the window: see repository-activity.ts), this
    // branch's part.
    const items = activityOnRef(await repositoryActivity(ctx, target, from), ref);
    return parseActivity(items).filter((s) => s.ref === ref && inRange(s.at, from, to));
  } catch (error: unknown) {
    if (!unavailable(error)) throw error;
    ctx.recordGap({
      withholds: 'repository-activity',
      repo: target.fullName,
      window: { from: iso(from), to: iso(to) },
      reason: `repository activity could not be read (${error.message}); direct pushes of the window are unknown`,
    });
    return undefined;
  }
}

/**
 * Record a gap for the part of the window a one-month source cannot reach; false when none of
 * the window is reachable (nothing to ask).
 */
function reportReach(
  ctx: CollectContext,
  source: 'rule-suites' | 'activity',
  target: RepoName,
  from: number,
  to: number,
  reach: number,
): boolean {
  const what =
    source === 'rule-suites'
      ? 'rule suites reach back one month'
      : 'repository activity reaches back one year';
  const withholds = source === 'rule-suites' ? 'rule-suites' : 'repository-activity';
  if (to <= reach) {
    ctx.recordGap({
      withholds,
      repo: target.fullName,
      window: { from: iso(from), to: iso(to) },
      reason: `${what} (to ${iso(reach)}); the window ends before that and cannot be read — collect at least monthly`,
    });
    return false;
  }
  if (from < reach) {
    ctx.recordGap({
      withholds,
      repo: target.fullName,
      window: { from: iso(from), to: iso(reach) },
      reason: `${what} (to ${iso(reach)}); events between ${iso(from)} and then cannot be read`,
    });
  }
  return true;
}

interface MergedEvent {
  readonly ref: string;
  readonly afterSha: string;
  readonly at: string;
  readonly actor: string | null;
  readonly beforeSha: string | null;
  readonly sources: OverrideSource[];
  readonly reasons: OverrideReason[];
}

/**
 * One event per pushed (branch, after-SHA): every source describes the same push by the SHA it
 * left the branch at. A push only corroborated (a PR merge no other source reported) is no event. Fields come from the most authoritative source that has them (audit log,
 * then rule suite, then activity); the time is the earliest sighting. Output is sorted, so the
 * same sightings always produce the same documents.
 */
export function mergeSightings(sightings: readonly OverrideSighting[]): MergedEvent[] {
  const groups = new Map<string, OverrideSighting[]>();
  for (const sighting of sightings) {
    const key = `${sighting.ref}\u0000${sighting.afterSha}`;
    const group = groups.get(key) ?? [];
    group.push(sighting);
    groups.set(key, group);
  }
  const events: MergedEvent[] = [];
  for (const group of groups.values()) {
    if (!group.some((s) => s.candidate)) continue;
    const byAuthority = [...group].sort(
      (a, b) =>
        SOURCE_ORDER.indexOf(a.source) - SOURCE_ORDER.indexOf(b.source) ||
        Date.parse(a.at) - Date.parse(b.at),
    );
    const first = byAuthority[0];
    if (!first) continue;
    const reasons = new Map<string, OverrideReason>();
    for (const sighting of byAuthority) {
      for (const reason of sighting.reasons) reasons.set(`${reason.code}\u0000${reason.message}`, reason);
    }
    events.push({
      ref: first.ref,
      afterSha: first.afterSha,
      at: group.map((s) => s.at).sort((a, b) => Date.parse(a) - Date.parse(b))[0] ?? first.at,
      actor: byAuthority.find((s) => s.actor !== null)?.actor ?? null,
      beforeSha: byAuthority.find((s) => s.beforeSha !== null)?.beforeSha ?? null,
      sources: SOURCE_ORDER.filter((source) => group.some((s) => s.source === source)),
      reasons: [...reasons.values()].sort(
        (a, b) => a.code.localeCompare(b.code) || a.message.localeCompare(b.message),
      ),
    });
  }
  return events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.afterSha.localeCompare(b.afterSha));
}

/** How many commits the request that read the commit of event `position` asked for. */
function commitBatchSize(events: number, position: number): number {
  const start = position - (position % OVERRIDE_COMMITS_PER_QUERY);
  return Math.min(OVERRIDE_COMMITS_PER_QUERY, events - start);
}

/** The commit each event pushed, in order; undefined where GitHub no longer has it. */
async function readOverrideCommits(
  github: GitHubClient,
  target: RepoName,
  events: readonly { afterSha: string; ref: string }[],
): Promise<(OverrideCommit | undefined)[]> {
  const found: (OverrideCommit | undefined)[] = [];
  for (let start = 0; start < events.length; start += OVERRIDE_COMMITS_PER_QUERY) {
    const batch = events.slice(start, start + OVERRIDE_COMMITS_PER_QUERY);
    const variables: Record<string, unknown> = { owner: target.owner, name: target.name };
    for (const [i, event] of batch.entries()) variables[`oid${i}`] = event.afterSha;
    let answer: unknown;
    try {
      answer = await github.graphql<unknown>(overrideCommitsQuery(batch.length), variables);
    } catch (error: unknown) {
      // One unknown SHA fails the whole request: then each commit is asked alone.
      if (!(error instanceof GitHubNotFoundError)) throw error;
      for (const event of batch)
        found.push(await readOverrideCommit(github, target, event.afterSha, shortBranch(event.ref)));
      continue;
    }
    for (const [i, event] of batch.entries())
      found.push(parseOverrideCommit(overrideCommitAt(answer, i), shortBranch(event.ref)));
  }
  return found;
}

/** The commit the override pushed, with its message; undefined when GitHub no longer has it. */
async function readOverrideCommit(
  github: GitHubClient,
  target: RepoName,
  oid: string,
  branch: string,
): Promise<OverrideCommit | undefined> {
  try {
    const answer = await github.graphql<unknown>(OVERRIDE_COMMIT_QUERY, {
      owner: target.owner,
      name: target.name,
      oid,
    });
    return parseOverrideCommit(answer, branch);
  } catch (error: unknown) {
    if (error instanceof GitHubNotFoundError) return undefined;
    throw error;
  }
}

function shortBranch(ref: string): string {
  return ref.replace(/^refs\/heads\//, '');
}

function inRange(isoTime: string, from: number, to: number): boolean {
  const t = Date.parse(isoTime);
  return t >= from && t < to;
}

/** Search qualifiers take times to the second: `2026-10-31T23:59:59Z`. */
function searchTime(ms: number): string {
  return `${iso(ms).slice(0, 19)}Z`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
