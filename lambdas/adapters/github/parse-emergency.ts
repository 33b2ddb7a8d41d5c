import { z } from 'zod';
import { SourceError } from '../../errors.ts';
import { isoUtc } from './parse-deployments.ts';

/**
 * The light search that finds emergency-change candidates: merged PRs of a window with their
 * current labels and every label ever added. Search has no "was ever labelled" qualifier, and a
 * label removed after merge still marks an emergency change, so the filter runs here.
 */

const CANDIDATE_FIELDS = `number
        mergedAt
        labels(first: 100) { nodes { name } }
        timelineItems(first: 100, itemTypes: [LABELED_EVENT]) {
          totalCount
          nodes { __typename ... on LabeledEvent { label { name } } }
        }`;

/** A search of candidates, 100 a page; `fields` are asked of each PR beside the candidate's own. */
function candidatesQuery(operation: string, fields: string): string {
  return `query ${operation}($searchQuery: String!, $after: String) {
  search(type: ISSUE, query: $searchQuery, first: 100, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      ... on PullRequest {
        ${fields}${CANDIDATE_FIELDS}
      }
    }
  }
  rateLimit { cost }
}`;
}

/** One repository's candidates: `repo:ORG/NAME is:pr is:merged base:BRANCH merged:A..B`. */
export const EMERGENCY_CANDIDATES_QUERY = candidatesQuery('EmergencyCandidates', '');

/**
 * The organisation's candidates in one search, `org:ORG is:pr is:merged merged:A..B`: each PR
 * also names its repository and base branch, so every repository of a run takes its own.
 */
export const ORGANISATION_EMERGENCY_CANDIDATES_QUERY = candidatesQuery(
  'OrganisationEmergencyCandidates',
  `repository { nameWithOwner }
        baseRefName
        `,
);

/** GitHub search answers at most this many results per query; longer windows are split. */
export const SEARCH_RESULT_CAP = 1000;

const nameNodes = z.object({ nodes: z.array(z.object({ name: z.string() }).nullable()) });

const candidatesAnswerSchema = z.object({
  search: z.object({
    issueCount: z.number().int().nonnegative(),
    pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
    nodes: z.array(
      z
        .object({
          number: z.number().int().positive().optional(),
          repository: z.object({ nameWithOwner: z.string() }).nullable().optional(),
          baseRefName: z.string().nullable().optional(),
          mergedAt: z.string().nullable().optional(),
          labels: nameNodes.nullable().optional(),
          timelineItems: z
            .object({
              totalCount: z.number().int().nonnegative(),
              nodes: z.array(
                z
                  .object({
                    __typename: z.string(),
                    label: z.object({ name: z.string() }).nullable().optional(),
                  })
                  .nullable(),
              ),
            })
            .nullable()
            .optional(),
        })
        .nullable(),
    ),
  }),
});

export interface EmergencyCandidate {
  readonly number: number;
  readonly mergedAt: string;
  /** Carries the label now, or its timeline shows the label was added at some point. */
  readonly labelled: boolean;
  /** The label timeline had more events than were read: the PR must be read whole to decide. */
  readonly undecided: boolean;
}

/** A candidate of the organisation's search: also where it merged. */
export interface OrganisationEmergencyCandidate extends EmergencyCandidate {
  /** `org/name` as GitHub spells it now. */
  readonly repository: string;
  /** The branch it merged into. */
  readonly baseRefName: string;
}

export interface EmergencyCandidatesPage<Candidate extends EmergencyCandidate = EmergencyCandidate> {
  readonly issueCount: number;
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
  readonly candidates: Candidate[];
}

/** One page of `EMERGENCY_CANDIDATES_QUERY`; label names compare case-insensitively, as GitHub's do. */
export function parseEmergencyCandidates(json: unknown, label: string): EmergencyCandidatesPage {
  return parseCandidates(json, label, (_node, candidate) => candidate);
}

/**
 * One page of `ORGANISATION_EMERGENCY_CANDIDATES_QUERY`. A PR without its repository or base
 * branch cannot be given to a repository: the answer is refused rather than the PR dropped, so
 * no emergency change goes unread.
 */
export function parseOrganisationEmergencyCandidates(
  json: unknown,
  label: string,
): EmergencyCandidatesPage<OrganisationEmergencyCandidate> {
  return parseCandidates(json, label, (node, candidate) => {
    const repository = node.repository?.nameWithOwner;
    const baseRefName = node.baseRefName;
    if (!repository || !baseRefName) {
      throw new SourceError(
        `organisation search: pull request #${candidate.number} came without its repository or base branch`,
      );
    }
    return { ...candidate, repository, baseRefName };
  });
}

type CandidateNode = NonNullable<z.infer<typeof candidatesAnswerSchema>['search']['nodes'][number]>;

function parseCandidates<Candidate extends EmergencyCandidate>(
  json: unknown,
  label: string,
  complete: (node: CandidateNode, candidate: EmergencyCandidate) => Candidate,
): EmergencyCandidatesPage<Candidate> {
  const { search } = candidatesAnswerSchema.parse(json);
  const wanted = label.toLowerCase();
  const candidates: Candidate[] = [];
  for (const node of search.nodes) {
    if (!node?.number || !node.mergedAt) continue;
    const current = (node.labels?.nodes ?? []).some((l) => l?.name.toLowerCase() === wanted);
    const timeline = node.timelineItems;
    const everAdded = (timeline?.nodes ?? []).some((event) => event?.label?.name.toLowerCase() === wanted);
    const undecided = !current && !everAdded && (timeline?.totalCount ?? 0) > (timeline?.nodes.length ?? 0);
    candidates.push(
      complete(node, {
        number: node.number,
        mergedAt: isoUtc(node.mergedAt),
        labelled: current || everAdded,
        undecided,
      }),
    );
  }
  return {
    issueCount: search.issueCount,
    hasNextPage: search.pageInfo.hasNextPage,
    endCursor: search.pageInfo.endCursor,
    candidates,
  };
}
