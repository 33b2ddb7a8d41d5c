import { z } from 'zod';
import { isoUtc } from './parse-deployments.ts';

/**
 * The light search that finds emergency-change candidates: merged PRs of a window with their
 * current labels and every label ever added. Search has no "was ever labelled" qualifier, and a
 * label removed after merge still marks an emergency change, so the filter runs here.
 */

export const EMERGENCY_CANDIDATES_QUERY = `query EmergencyCandidates($searchQuery: String!, $after: String) {
  search(type: ISSUE, query: $searchQuery, first: 100, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      ... on PullRequest {
        number
        mergedAt
        labels(first: 100) { nodes { name } }
        timelineItems(first: 100, itemTypes: [LABELED_EVENT]) {
          totalCount
          nodes { __typename ... on LabeledEvent { label { name } } }
        }
      }
    }
  }
  rateLimit { cost }
}`;

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

export interface EmergencyCandidatesPage {
  readonly issueCount: number;
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
  readonly candidates: EmergencyCandidate[];
}

/** One page of `EMERGENCY_CANDIDATES_QUERY`; label names compare case-insensitively, as GitHub's do. */
export function parseEmergencyCandidates(json: unknown, label: string): EmergencyCandidatesPage {
  const { search } = candidatesAnswerSchema.parse(json);
  const wanted = label.toLowerCase();
  const candidates: EmergencyCandidate[] = [];
  for (const node of search.nodes) {
    if (!node?.number || !node.mergedAt) continue;
    const current = (node.labels?.nodes ?? []).some((l) => l?.name.toLowerCase() === wanted);
    const timeline = node.timelineItems;
    const everAdded = (timeline?.nodes ?? []).some((event) => event?.label?.name.toLowerCase() === wanted);
    const undecided = !current && !everAdded && (timeline?.totalCount ?? 0) > (timeline?.nodes.length ?? 0);
    candidates.push({
      number: node.number,
      mergedAt: isoUtc(node.mergedAt),
      labelled: current || everAdded,
      undecided,
    });
  }
  return {
    issueCount: search.issueCount,
    hasNextPage: search.pageInfo.hasNextPage,
    endCursor: search.pageInfo.endCursor,
    candidates,
  };
}
