import { GitHubForbiddenError, GitHubNotFoundError } from '../adapters/github/client.ts';
import { checkWindow, parseDefaultBranch, parseRepoName } from '../adapters/github/parse-collect-target.ts';
import {
  EMERGENCY_CANDIDATES_QUERY,
  type EmergencyCandidate,
  type EmergencyCandidatesPage,
  ORGANISATION_EMERGENCY_CANDIDATES_QUERY,
  type OrganisationEmergencyCandidate,
  parseEmergencyCandidates,
  parseOrganisationEmergencyCandidates,
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
  /**
   * The run's one search of the organisation (`readOrganisationEmergencyCandidates`); absent,
   * or made for another range or label: this repository searches its own.
   */
  readonly organisation?: OrganisationEmergencyCandidates;
}

/**
 * The emergency candidates of the whole organisation, searched once for a run of several
 * repositories instead of once per repository: `org:ORG is:pr is:merged merged:A..B`. Each
 * repository then takes the PRs of its own name (case-insensitively, as GitHub's names compare)
 * merged into its own default branch, the same PRs its own search would have found.
 */
export interface OrganisationEmergencyCandidates {
  /** The range searched, epoch ms, half-open: a repository whose range differs searches its own. */
  readonly from: number;
  readonly to: number;
  /** The label the candidates were judged by, lower-cased. */
  readonly label: string;
  /** Labelled (or undecided) PRs of every repository and base branch. */
  readonly candidates: readonly OrganisationEmergencyCandidate[];
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
  const label = trailLabel(options.label);
  const repoRef: RepoRef =
    typeof repo === 'string'
      ? {
          ...target,
          defaultBranch: parseDefaultBranch(
            (await ctx.github.rest<unknown>(REPO_ROUTE, { owner: target.owner, repo: target.name })).data,
          ),
        }
      : repo;

  const { from, to } = trailRange(window, options.readFrom);
  if (to <= from) return { emergencyPullRequests: 0, pullRequests: 0, written: 0 };
  const organisation = options.organisation;
  // A fork searches its own: GitHub leaves forks out of some searches, and an `org:` search
  // that skipped one would leave its emergency PRs unread.
  const emergencies =
    organisation &&
    !repoRef.fork &&
    organisation.from === from &&
    organisation.to === to &&
    organisation.label === label.toLowerCase()
      ? organisation.candidates.filter(
          (c) =>
            c.repository.toLowerCase() === repoRef.fullName.toLowerCase() &&
            c.baseRefName === repoRef.defaultBranch,
        )
      : (
          await findMergedCandidates(
            ctx,
            {
              what: repoRef.fullName,
              qualifiers: `repo:${repoRef.fullName} is:pr is:merged base:${repoRef.defaultBranch}`,
              query: EMERGENCY_CANDIDATES_QUERY,
              parse: (json) => parseEmergencyCandidates(json, label),
            },
            from,
            to,
          )
        ).filter((c) => c.labelled || c.undecided);
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
 * Search the organisation's emergency candidates once, over the range each repository of the run
 * would search (`options.readFrom` as each repository is given it). Undefined when there is
 * nothing to search, or GitHub refused the search (403/404, or GraphQL's FORBIDDEN/NOT_FOUND):
 * each repository then searches its own, as without this reading.
 */
export async function readOrganisationEmergencyCandidates(
  ctx: CollectContext,
  org: string,
  window: Pick<Window, 'from' | 'to'>,
  options: Pick<EmergencyTrailOptions, 'label' | 'readFrom'> = {},
): Promise<OrganisationEmergencyCandidates | undefined> {
  checkWindow(window, ctx.clock());
  const label = trailLabel(options.label);
  const { from, to } = trailRange(window, options.readFrom);
  if (to <= from) return undefined;
  try {
    const candidates = await findMergedCandidates(
      ctx,
      {
        what: `organisation ${org}`,
        // No `base:`: each repository's default branch is its own, and is matched afterwards.
        qualifiers: `org:${org} is:pr is:merged`,
        query: ORGANISATION_EMERGENCY_CANDIDATES_QUERY,
        parse: (json) => parseOrganisationEmergencyCandidates(json, label),
      },
      from,
      to,
    );
    return {
      from,
      to,
      label: label.toLowerCase(),
      candidates: candidates.filter((c) => c.labelled || c.undecided),
    };
  } catch (error: unknown) {
    if (error instanceof GitHubForbiddenError || error instanceof GitHubNotFoundError) return undefined;
    throw error;
  }
}

function trailLabel(label: string | undefined): string {
  const trimmed = (label ?? DEFAULT_EMERGENCY_LABEL).trim();
  if (trimmed === '' || /["\n]/.test(trimmed)) {
    throw new InputError('label', `"${label}" is not a label name`);
  }
  return trimmed;
}

/** The searched range, epoch ms, half-open: empty (`to <= from`) when the tail was all just read. */
function trailRange(
  window: Pick<Window, 'from' | 'to'>,
  readFrom: string | undefined,
): { from: number; to: number } {
  return {
    from: Date.parse(window.from) - EMERGENCY_TAIL_MS,
    to: Math.min(Date.parse(window.to), readFrom ? Date.parse(readFrom) : Number.POSITIVE_INFINITY),
  };
}

/** One search of candidates: one repository's default branch, or the whole organisation. */
interface CandidateSearch<Candidate extends EmergencyCandidate> {
  /** Names the search in an error. */
  readonly what: string;
  /** The search qualifiers but the merge time. */
  readonly qualifiers: string;
  readonly query: string;
  readonly parse: (json: unknown) => EmergencyCandidatesPage<Candidate>;
}

/**
 * Every merged PR the search matches in `[from, to)`, lightly. Search caps a query at 1,000
 * results, so a window that holds more is halved until each half fits.
 */
async function findMergedCandidates<Candidate extends EmergencyCandidate>(
  ctx: CollectContext,
  search: CandidateSearch<Candidate>,
  from: number,
  to: number,
): Promise<Candidate[]> {
  // `merged:A..B` is inclusive and to the second; the window is half-open, so B is the second
  // before `to`. Results are filtered to the exact window afterwards.
  const searchQuery = `${search.qualifiers} merged:${searchTime(from)}..${searchTime(to - 1)}`;
  const found: Candidate[] = [];
  let after: string | null = null;
  for (;;) {
    const page = search.parse(await ctx.github.graphql<unknown>(search.query, { searchQuery, after }));
    if (page.issueCount > SEARCH_RESULT_CAP) {
      if (to - from <= MIN_SPLIT_MS) {
        throw new SourceError(
          `${search.what}: more than ${SEARCH_RESULT_CAP} pull requests merged within ${MIN_SPLIT_MS / 1000} s; the search cannot be split further`,
        );
      }
      const middle = from + Math.floor((to - from) / 2000) * 1000;
      return [
        ...(await findMergedCandidates(ctx, search, from, middle)),
        ...(await findMergedCandidates(ctx, search, middle, to)),
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
