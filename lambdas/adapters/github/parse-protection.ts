import { z } from 'zod';
import type { BranchProtectionData } from '../../evidence/documents.ts';

/**
 * Parsers of classic branch protection (`GET /repos/{o}/{r}/branches/{b}/protection`), the
 * active rules of a branch (`GET /repos/{o}/{r}/rules/branches/{b}`) and a ruleset
 * (`GET /repos/{o}/{r}/rulesets/{id}`), in GitHub's REST field names.
 */

const enabledSchema = z.object({ enabled: z.boolean() }).nullable().optional();

const classicProtectionSchema = z.object({
  required_status_checks: z
    .object({
      contexts: z.array(z.string()).optional(),
      checks: z
        .array(z.object({ context: z.string(), app_id: z.number().int().nullable().optional() }))
        .optional(),
    })
    .nullable()
    .optional(),
  required_pull_request_reviews: z
    .object({ required_approving_review_count: z.number().int().optional() })
    .nullable()
    .optional(),
  required_signatures: enabledSchema,
  enforce_admins: enabledSchema,
});

export function parseClassicProtection(json: unknown): NonNullable<BranchProtectionData['protection']> {
  const protection = classicProtectionSchema.parse(json);
  const checks = protection.required_status_checks;
  const contexts = new Set([
    ...(checks?.contexts ?? []),
    ...(checks?.checks ?? []).map((check) => check.context),
  ]);
  const appBound = (checks?.checks ?? [])
    .filter((check) => typeof check.app_id === 'number')
    .map((check) => ({ context: check.context, appId: check.app_id as number }))
    .sort((a, b) => (a.context < b.context ? -1 : a.context > b.context ? 1 : a.appId - b.appId));
  return {
    ...(appBound.length > 0 ? { requiredCheckApps: appBound } : {}),
    requiredStatusChecks: [...contexts].sort(),
    requiredApprovingReviewCount:
      protection.required_pull_request_reviews?.required_approving_review_count ?? 0,
    requireSignedCommits: protection.required_signatures?.enabled ?? false,
    enforceAdmins: protection.enforce_admins?.enabled ?? false,
  };
}

const branchRuleSchema = z.object({
  type: z.string(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  ruleset_id: z.number().int(),
});
export type BranchRule = z.infer<typeof branchRuleSchema>;

/** The rules that apply to a branch now (active rulesets only), each naming its ruleset. */
export function parseBranchRules(json: unknown): BranchRule[] {
  return z.array(branchRuleSchema).parse(json);
}

const rulesetSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  enforcement: z.string(),
  bypass_actors: z
    .array(
      z.object({
        actor_id: z.number().int().nullable().optional(),
        actor_type: z.string(),
        bypass_mode: z.string().optional(),
        // Not in GitHub's answer (ids only), but kept when a source adds who the id is.
        actor_login: z.string().optional(),
        actor_slug: z.string().optional(),
      }),
    )
    .optional(),
});

export interface RulesetSummary {
  readonly id: number;
  readonly name: string;
  readonly enforcement: string;
  readonly bypassActors: { actor: string; mode: string }[];
}

export function parseRuleset(json: unknown): RulesetSummary {
  const ruleset = rulesetSchema.parse(json);
  return {
    id: ruleset.id,
    name: ruleset.name,
    enforcement: ruleset.enforcement,
    bypassActors: (ruleset.bypass_actors ?? []).map((actor) => ({
      actor:
        actor.actor_login ??
        actor.actor_slug ??
        (actor.actor_id === null || actor.actor_id === undefined
          ? actor.actor_type
          : `${actor.actor_type}:${actor.actor_id}`),
      mode: actor.bypass_mode ?? 'always',
    })),
  };
}

/** Active rules grouped under their rulesets, in ruleset id order. */
export function rulesetsWithRules(
  rules: readonly BranchRule[],
  rulesets: ReadonlyMap<number, RulesetSummary>,
): BranchProtectionData['rulesets'] {
  const ids = [...new Set(rules.map((rule) => rule.ruleset_id))].sort((a, b) => a - b);
  return ids.map((id) => {
    const ruleset = rulesets.get(id);
    return {
      id,
      name: ruleset?.name ?? `ruleset ${id}`,
      enforcement: ruleset?.enforcement ?? 'active',
      rules: rules
        .filter((rule) => rule.ruleset_id === id)
        .map((rule) => ({ type: rule.type, ...(rule.parameters ? { parameters: rule.parameters } : {}) })),
      bypassActors: ruleset?.bypassActors ?? [],
    };
  });
}
