import { GitHubNotFoundError } from '../adapters/github/client.ts';
import { parseTeamMembers } from '../adapters/github/parse-teams.ts';
import { type CollectContext, costSince, provenanceOf } from './context.ts';
import { readRecentSnapshots, storeDatedSnapshot } from './dated-snapshot.ts';

/**
 * Who was on each team the profiles name (Security Champs, SRE, Incident Commanders, override
 * approvers), read every night: the controls judge a review by the team as it stood when the
 * evidence was collected, and GitHub keeps no history of team membership. A team's snapshot is
 * stored when its members changed and restated weekly (dated-snapshot.ts).
 */

export const DEFAULT_TEAM_SLUGS = [
  'security-champs',
  'sre',
  'incident-commanders',
  'override-approvers',
] as const;
export const TEAM_MEMBERS_ROUTE = 'GET /orgs/{org}/teams/{team_slug}/members';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface SnapshotTeamsResult {
  readonly teams: number;
  readonly written: number;
  readonly missing: string[];
}

export async function snapshotTeams(
  ctx: CollectContext,
  org: string,
  slugs: readonly string[] = DEFAULT_TEAM_SLUGS,
  day: string = ctx.clock().toISOString().slice(0, 10),
): Promise<SnapshotTeamsResult> {
  if (!DAY.test(day)) throw new Error(`snapshot day "${day}" is not YYYY-MM-DD`);
  let teams = 0;
  let written = 0;
  const missing: string[] = [];
  // One index query for every team of the organisation, each team's rows picked out in memory.
  const recent = await readRecentSnapshots(ctx, 'team-membership', org, day);
  for (const slug of [...new Set(slugs)].sort()) {
    const fetchedAt = ctx.clock().toISOString();
    const costBefore = ctx.github.cost;
    let members: string[];
    try {
      members = parseTeamMembers(
        await ctx.github.paginate<unknown>(TEAM_MEMBERS_ROUTE, { org, team_slug: slug, per_page: 100 }),
      );
    } catch (error) {
      if (!(error instanceof GitHubNotFoundError)) throw error;
      missing.push(slug);
      ctx.recordGap({
        withholds: 'team-membership',
        repo: null,
        reason: `team "${slug}" does not exist in ${org} (or the credential cannot see it): controls that rely on it cannot pass`,
      });
      continue;
    }
    const recorded = await storeDatedSnapshot(ctx, recent, {
      series: slug,
      provenance: provenanceOf(ctx, {
        source: 'github-rest',
        request: TEAM_MEMBERS_ROUTE,
        parameters: { org, team_slug: slug, per_page: 100 },
        apiCost: costSince(costBefore, ctx.github.cost),
        fetchedAt,
      }),
      data: { team: slug, members },
    });
    teams += 1;
    if (recorded.written) written += 1;
  }
  return { teams, written, missing };
}
