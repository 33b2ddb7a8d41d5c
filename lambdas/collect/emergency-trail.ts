import { checkWindow, parseDefaultBranch, parseRepoName } from '../adapters/github/parse-collect-target.ts';
import {
  EMERGENCY_CANDIDATES_QUERY,
  type EmergencyCandidate,
  parseEmergencyCandidates,
  SEARCH_RESULT_CAP,
} from '../adapters/github/parse-emergency.ts';
import type { Window } from '../core/window.ts';
import { InputError, SourceError } from '../errors.ts';
import type { CollectContext, RepoRef } from './context.ts';
import { collectPullRequests } from './pull-requests.ts';

/**
 * The emergency-change trail. EMERGENCY (and OVERRIDE, which treats an override as an emergency
 * change) judges what happens after the merge: a retrospective record within 24 h and a
 * post-mortem link within 5 days. So every emergency PR merged in `[window.from − 5 days,
 * window.to)` is read again — label events with actors and times, comments, body — and stored as
 * a new version of its `pull-request` document. The content hash makes a re-read that found
 * nothing new write nothing; the store keeps every earlier version.
 *
 * Run daily over a window that ends at the run time, each emergency PR is re-read on every run
 * for at least five days after its merge, also after the month's window has moved on.
 */

export const EMERGENCY_TAIL_MS = 5 * 24 * 60 * 60 * 1000;
export const DEFAULT_EMERGENCY_LABEL = 'emergency-change';

const REPO_ROUTE = 'GET /repos/{owner}/{repo}';
const PULL_REQUESTS_PER_SECOND_PAGE = 5;
/** Search ranges are to the second; below two seconds a range cannot be halved. */
const MIN_SPLIT_MS = 2000;

export interface EmergencyTrailOptions {
  /** The profile's emergency label; default `emergency-change`. */
  readonly label?: string;
  /**
   * PRs merged from this time on were just read (incrementally: every PR updated since the last
   * run, which a new comment makes it) by the pull-request collector; only the tail before it
   * is searched. Default: the whole `[window.from − 5 days, window.to)`.
   */
  readonly readFrom?: string;
}

export interface EmergencyTrailResult {
  /** Emergency PRs found in `[window.from − 5 days, window.to)`. */
  readonly emergencyPullRequests: number;
  /** PRs read again and stored (a re-read search second may hold a non-emergency PR too). */
  readonly pullRequests: number;
  /** Of those, how many produced a new version. */
  readonly written: number;
}

export async function collectEmergencyTrail(
  ctx: CollectContext,
  repo: string | RepoRef,
  window: Pick<Window, 'from' | 'to'>,
  options: EmergencyTrailOptions = {},
): Promise<EmergencyTrailResult> {
  const target = parseRepoName(typeof repo === 'string' ? repo : repo.fullName, ctx.org);
  checkWindow(window, ctx.clock());
  const label = (options.label ?? DEFAULT_EMERGENCY_LABEL).trim();
  if (label === '' || /["\n]/.test(label)) {
    throw new InputError('label', `"${options.label}" is not a label name`);
  }
  const repoRef: RepoRef =
    typeof repo === 'string'
      ? {
          ...target,
          defaultBranch: parseDefaultBranch(
            (await ctx.github.rest<unknown>(REPO_ROUTE, { owner: target.owner, repo: target.name })).data,
          ),
        }
      : repo;

  const from = Date.parse(window.from) - EMERGENCY_TAIL_MS;
  const to = Math.min(
    Date.parse(window.to),
    options.readFrom ? Date.parse(options.readFrom) : Number.POSITIVE_INFINITY,
  );
  if (to <= from) return { emergencyPullRequests: 0, pullRequests: 0, written: 0 };
  const emergencies = (await findMergedCandidates(ctx, repoRef, label, from, to)).filter(
    (c) => c.labelled || c.undecided,
  );
  // The PR is read through the pull-request collector itself, narrowed to the second it merged
  // in, so the trail stores exactly the document that collector writes — never a rival shape —
  // and an unchanged PR writes nothing.
  const seconds = [...new Set(emergencies.map((c) => Math.floor(Date.parse(c.mergedAt) / 1000) * 1000))].sort(
    (a, b) => a - b,
  );
  let pullRequests = 0;
  let written = 0;
  for (const second of seconds) {
    const result = await collectPullRequests(
      ctx,
      repoRef,
      { from: new Date(second).toISOString(), to: new Date(second + 1000).toISOString() },
      // One second rarely holds more than a PR or two; a small page keeps the search's point cost low.
      { pageSize: PULL_REQUESTS_PER_SECOND_PAGE },
    );
    pullRequests += result.pullRequests;
    written += result.written;
  }
  return { emergencyPullRequests: emergencies.length, pullRequests, written };
}

/**
 * Every merged PR into the default branch in `[from, to)`, lightly. Search caps a query at 1,000
 * results, so a window that holds more is halved until each half fits.
 */
async function findMergedCandidates(
  ctx: CollectContext,
  repo: RepoRef,
  label: string,
  from: number,
  to: number,
): Promise<EmergencyCandidate[]> {
  // `merged:A..B` is inclusive and to the second; the window is half-open, so B is the second
  // before `to`. Results are filtered to the exact window afterwards.
  const query = `repo:${repo.fullName} is:pr is:merged base:${repo.defaultBranch} merged:${searchTime(from)}..${searchTime(to - 1)}`;
  const found: EmergencyCandidate[] = [];
  let after: string | null = null;
  for (;;) {
    const page = parseEmergencyCandidates(
      await ctx.github.graphql<unknown>(EMERGENCY_CANDIDATES_QUERY, { searchQuery: query, after }),
      label,
    );
    if (page.issueCount > SEARCH_RESULT_CAP) {
      if (to - from <= MIN_SPLIT_MS) {
        throw new SourceError(
          `${repo.fullName}: more than ${SEARCH_RESULT_CAP} pull requests merged within ${MIN_SPLIT_MS / 1000} s; the search cannot be split further`,
        );
      }
      const middle = from + Math.floor((to - from) / 2000) * 1000;
      return [
        ...(await findMergedCandidates(ctx, repo, label, from, middle)),
        ...(await findMergedCandidates(ctx, repo, label, middle, to)),
      ];
    }
    found.push(
      ...page.candidates.filter((c) => Date.parse(c.mergedAt) >= from && Date.parse(c.mergedAt) < to),
    );
    if (!page.hasNextPage || page.endCursor === null) return found;
    after = page.endCursor;
  }
}

/** Search qualifiers take times to the second: `2026-10-31T23:59:59Z`. */
function searchTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
