import { z } from 'zod';
import { GitHubForbiddenError, GitHubNotFoundError } from '../adapters/github/client.ts';
import {
  parseBranchRules,
  parseClassicProtection,
  parseRuleset,
  type RulesetSummary,
  rulesetsWithRules,
} from '../adapters/github/parse-protection.ts';
import type { BranchProtectionData } from '../evidence/documents.ts';
import { type CollectContext, costSince, graphqlRequestName, provenanceOf, type RepoRef } from './context.ts';
import { type DatedSnapshotOutcome, readRecentSnapshots, storeDatedSnapshot } from './dated-snapshot.ts';
import { DEFAULT_BRANCH_FILES_QUERY, readDefaultBranchFiles } from './default-branch-files.ts';

/**
 * A snapshot of how the default branch is protected on one day: classic branch protection
 * (null when there is none), the active rulesets that apply to it with their bypass actors, and
 * the default branch's CODEOWNERS and cdk.json. GitHub keeps no history of these settings, so
 * the snapshots are the history: read every night, stored when they differ from the one in
 * force and restated weekly (dated-snapshot.ts).
 */

export const PROTECTION_ROUTE = 'GET /repos/{owner}/{repo}/branches/{branch}/protection';
export const BRANCH_RULES_ROUTE = 'GET /repos/{owner}/{repo}/rules/branches/{branch}';
export const RULESET_ROUTE = 'GET /repos/{owner}/{repo}/rulesets/{ruleset_id}';
export const BRANCH_ROUTE = 'GET /repos/{owner}/{repo}/branches/{branch}';

/** The part of `GET /repos/{owner}/{repo}/branches/{branch}` that tells protection hidden from the token apart from none. */
const branchSchema = z.object({ name: z.string(), protected: z.boolean() });

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export async function snapshotBranchProtection(
  ctx: CollectContext,
  repo: RepoRef,
  day: string,
): Promise<DatedSnapshotOutcome | undefined> {
  if (!DAY.test(day)) throw new Error(`snapshot day "${day}" is not YYYY-MM-DD`);
  const fetchedAt = ctx.clock().toISOString();
  const costBefore = ctx.github.cost;
  const params = { owner: repo.owner, repo: repo.name, branch: repo.defaultBranch };

  let protection: BranchProtectionData['protection'] = null;
  try {
    protection = parseClassicProtection((await ctx.github.rest<unknown>(PROTECTION_ROUTE, params)).data);
  } catch (error) {
    if (error instanceof GitHubNotFoundError) {
      // GitHub answers 404 both for "Branch not protected" and to a token without admin rights:
      // the branch itself, readable with read access, tells the two apart.
      const branch = branchSchema.parse((await ctx.github.rest<unknown>(BRANCH_ROUTE, params)).data);
      if (branch.protected) {
        ctx.recordGap({
          withholds: 'branch-protection',
          repo: repo.fullName,
          reason:
            `branch protection of ${repo.defaultBranch} answered 404 although GitHub reports the branch protected: ` +
            'the token lacks admin rights, so the required checks and signing rules are not known',
        });
      }
      protection = null;
    } else if (error instanceof GitHubForbiddenError) {
      // Private repositories on the free plan, or a token without administration:read.
      ctx.recordGap({ withholds: 'branch-protection', repo: repo.fullName, reason: error.message });
      return undefined;
    } else {
      throw error;
    }
  }

  let rulesets: BranchProtectionData['rulesets'] = [];
  try {
    // Every page: a branch under several rulesets can have more rules than one page holds.
    const rules = parseBranchRules(
      await ctx.github.paginate<unknown>(BRANCH_RULES_ROUTE, { ...params, per_page: 100 }),
    );
    const details = new Map<number, RulesetSummary>();
    for (const id of new Set(rules.map((rule) => rule.ruleset_id))) {
      try {
        const answer = await ctx.github.rest<unknown>(RULESET_ROUTE, {
          owner: repo.owner,
          repo: repo.name,
          ruleset_id: id,
        });
        details.set(id, parseRuleset(answer.data));
      } catch (error) {
        // An organisation ruleset is not readable through the repository route: keep its rules.
        if (!(error instanceof GitHubNotFoundError || error instanceof GitHubForbiddenError)) throw error;
        ctx.recordGap({
          withholds: 'rulesets',
          repo: repo.fullName,
          reason: `ruleset ${id} applies to ${repo.defaultBranch} but its details could not be read: ${error.message}`,
        });
      }
    }
    rulesets = rulesetsWithRules(rules, details);
  } catch (error) {
    if (!(error instanceof GitHubForbiddenError || error instanceof GitHubNotFoundError)) throw error;
    ctx.recordGap({ withholds: 'rulesets', repo: repo.fullName, reason: error.message });
  }

  const defaultBranchFiles = await readDefaultBranchFiles(ctx, repo);

  // One index query per repository and run; the snapshot is written only when it says something
  // new or the one in force is a week old (see dated-snapshot.ts).
  const recent = await readRecentSnapshots(ctx, 'branch-protection', repo.fullName, day);
  const recorded = await storeDatedSnapshot(ctx, recent, {
    provenance: provenanceOf(ctx, {
      source: 'github-rest',
      request: `${PROTECTION_ROUTE}; ${BRANCH_ROUTE}; ${BRANCH_RULES_ROUTE}; ${RULESET_ROUTE}; ${graphqlRequestName('DefaultBranchFiles', DEFAULT_BRANCH_FILES_QUERY)}`,
      parameters: params,
      apiCost: costSince(costBefore, ctx.github.cost),
      fetchedAt,
    }),
    data: {
      branch: repo.defaultBranch,
      ...(defaultBranchFiles ? { defaultBranchFiles } : {}),
      protection,
      rulesets,
    },
  });
  ctx.progress({ type: 'item', repo: repo.fullName, kind: 'protection', itemId: day });
  return recorded;
}
