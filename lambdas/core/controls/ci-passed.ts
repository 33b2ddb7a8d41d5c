import { z } from 'zod';
import { describeGap } from '../../evidence/gaps.ts';
import { shortSha } from '../change.ts';
import type { EvidenceItem } from '../period-evidence.ts';
import type { ProfileParameters } from '../profile.ts';
import {
  type ControlRule,
  incompleteLists,
  noPullRequest,
  pullRequestEvidenceMissing,
  result,
  withheld,
} from './rule.ts';

type Check = EvidenceItem<'pull-request'>['doc']['data']['checks'][number];

/** The part of a ruleset's `required_status_checks` rule this control reads. */
const requiredStatusChecksParameters = z.object({
  required_status_checks: z.array(z.object({ context: z.string() })),
});

/** Clerk §3: CI executes unit, integration, SCA and SAST; the PR must pass before merge. */
export const ciPassed: ControlRule = {
  id: 'CI-PASSED',
  title: 'Automated tests and scans passed before merge',
  howDecided:
    'On the merged head commit of the PR, every check required by branch protection or an active ruleset, and every ' +
    'check whose name the profile maps to a CI category (unit, integration, SCA, SAST), must have concluded SUCCESS ' +
    'with a completion time at or before the merge (the latest run completed before the merge counts). Each category ' +
    'the profile requires must have at least one such check. No checks collected, an incomplete check list, no ' +
    'branch-protection snapshot to name the required checks, or protection the token could not read (a gap) give ' +
    'unknown. A direct push fails.',
  evaluate(change, { facts, parameters }) {
    if (change.type === 'direct_push') return noPullRequest(change, 'no checks ran before it was merged');
    const pr = change.pullRequest;
    if (!pr) return pullRequestEvidenceMissing(change);
    const data = pr.doc.data;
    const merged = Date.parse(data.mergedAt);
    const onHead = data.checks.filter((check) => check.commitSha === data.headSha);
    const protection = facts.protectionAt(change.repo, data.mergedAt);
    const evidence = protection ? [pr.ref, protection.ref] : [pr.ref];
    const incomplete = incompleteLists(pr, 'checks');
    const atMerge = { from: data.mergedAt, to: new Date(merged + 1).toISOString() };
    const pullRequestGaps = facts.gapsFor(['pull-requests'], change.repo, atMerge);
    if (onHead.length === 0) {
      const why = pullRequestGaps.length > 0 ? ` (${pullRequestGaps.map(describeGap).join('; ')})` : '';
      return result(
        'unknown',
        [
          `no check runs or statuses were collected on head commit ${shortSha(data.headSha)} of PR #${data.number}${why}`,
        ],
        evidence,
      );
    }

    const required = new Set<string>();
    if (protection) {
      for (const name of protection.doc.data.protection?.requiredStatusChecks ?? []) required.add(name);
      for (const ruleset of protection.doc.data.rulesets) {
        if (ruleset.enforcement !== 'active') continue;
        for (const rule of ruleset.rules) {
          if (rule.type !== 'required_status_checks') continue;
          const parsed = requiredStatusChecksParameters.safeParse(rule.parameters);
          if (parsed.success)
            for (const check of parsed.data.required_status_checks) required.add(check.context);
        }
      }
    }
    const categoriesOf = (name: string) => checkCategories(name, parameters);
    const relevant = new Set(required);
    for (const check of onHead) if (categoriesOf(check.name).length > 0) relevant.add(check.name);

    const failures: string[] = [];
    const passed: string[] = [];
    const passedCategories = new Set<string>();
    for (const name of [...relevant].sort()) {
      const runs = onHead.filter((check) => check.name === name);
      const judged = judgeCheck(name, runs, merged, required.has(name));
      if (judged.ok) {
        passed.push(judged.text);
        for (const category of categoriesOf(name)) passedCategories.add(category);
      } else {
        failures.push(judged.text);
      }
    }
    for (const category of parameters.requiredCiCategories) {
      if (
        !passedCategories.has(category) &&
        !onHead.some((check) => categoriesOf(check.name).includes(category))
      ) {
        failures.push(`no ${category} check ran on head commit ${shortSha(data.headSha)}`);
      }
    }

    if (incomplete.length > 0) {
      return result('unknown', [...incomplete, ...failures], evidence);
    }
    if (failures.length > 0) {
      return result(
        'fail',
        failures.map((text) => `PR #${data.number}: ${text}`),
        evidence,
      );
    }
    // Protection the token could not read (404 on a protected branch, a ruleset refused) leaves
    // the required checks unknown: the checks that ran cannot show that none was missing.
    const protectionGaps = facts.gapsFor(['branch-protection', 'rulesets'], change.repo, atMerge);
    if (protectionGaps.length > 0) {
      return withheld(protectionGaps, evidence, [
        `so the required checks of ${change.repo} are not known (checks that ran: ${passed.join('; ') || 'none'})`,
      ]);
    }
    if (!protection) {
      return result(
        'unknown',
        [
          `no branch-protection snapshot of ${change.repo} was collected, so its required checks are not known ` +
            `(checks that ran: ${passed.join('; ')})`,
        ],
        evidence,
      );
    }
    if (passed.length === 0) {
      return result(
        'fail',
        [`PR #${data.number}: no required or categorised check ran on head commit ${shortSha(data.headSha)}`],
        evidence,
      );
    }
    const asOf = protection.takenAfter
      ? ` (required checks as of ${protection.doc.occurredAt}, after the merge: no earlier protection snapshot)`
      : '';
    return result(
      'pass',
      [
        `on head commit ${shortSha(data.headSha)} of PR #${data.number}, before merge at ${data.mergedAt}: ${passed.join('; ')}${asOf}`,
      ],
      evidence,
    );
  },
};

/** Categories a check belongs to: its name contains one of the category's words (any case). */
export function checkCategories(name: string, parameters: ProfileParameters): string[] {
  const lower = name.toLowerCase();
  return Object.entries(parameters.ciCategories)
    .filter(([, words]) => words.some((word) => lower.includes(word.toLowerCase())))
    .map(([category]) => category)
    .sort();
}

function completionTime(check: Check): string | null {
  return (
    check.completedAt ?? (check.kind === 'status' && check.status === 'COMPLETED' ? check.startedAt : null)
  );
}

function judgeCheck(
  name: string,
  runs: readonly Check[],
  merged: number,
  required: boolean,
): { ok: boolean; text: string } {
  const label = required ? `required check ${name}` : `check ${name}`;
  if (runs.length === 0) return { ok: false, text: `${label} did not run on the head commit` };
  const beforeMerge = runs
    .filter((run) => {
      const completed = completionTime(run);
      return completed !== null && Date.parse(completed) <= merged;
    })
    .sort((a, b) => Date.parse(completionTime(a)!) - Date.parse(completionTime(b)!));
  const latest = beforeMerge[beforeMerge.length - 1];
  if (!latest) {
    const after = runs.map(completionTime).find((time) => time !== null);
    return {
      ok: false,
      text: after
        ? `${label} completed only after the merge, at ${after}`
        : `${label} had not completed at merge`,
    };
  }
  const completed = completionTime(latest)!;
  if (latest.conclusion !== 'SUCCESS') {
    return {
      ok: false,
      text: `${label} concluded ${latest.conclusion ?? 'without a conclusion'} at ${completed}`,
    };
  }
  return { ok: true, text: `${name} SUCCESS at ${completed}` };
}
