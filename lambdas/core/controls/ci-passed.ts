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
  required_status_checks: z.array(
    z.object({ context: z.string(), integration_id: z.number().int().nullable().optional() }),
  ),
});

/** A required check, and the app it is tied to (null: any source may report it). */
interface RequiredCheck {
  readonly name: string;
  readonly appIds: ReadonlySet<number>;
}

/** Clerk §3: CI executes unit, integration, SCA and SAST; the PR must pass before merge. */
export const ciPassed: ControlRule = {
  id: 'CI-PASSED',
  title: 'Automated tests and scans passed before merge',
  howDecided:
    'Every run of every check on the merged head commit of the PR is read (re-runs and every check suite, not only the ' +
    'latest). A check passed before the merge when some run of it concluded SUCCESS at or before the merge; a run ' +
    'after the merge neither erases nor rescues that. Every check required by branch protection or an active ruleset ' +
    'must have passed (SKIPPED or NEUTRAL satisfy a required check, as on GitHub); a required check that protection ties ' +
    "to an app is met only by that app's check run. Each CI category the profile requires (unit, integration, SCA, SAST) " +
    "must be met by a check whose name contains one of the category's words as a whole word (scala-compile is not SCA), " +
    'run by an app or posted as a status by a bot or app (never a status a person posted), that concluded SUCCESS before ' +
    'the merge. No checks collected, an incomplete check list, no branch-protection snapshot to name the required ' +
    'checks, or protection the token could not read (a gap) give unknown. A direct push fails.',
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

    const required = new Map<string, Set<number>>();
    const requireCheck = (name: string, appId: number | null | undefined) => {
      const apps = required.get(name) ?? new Set<number>();
      if (typeof appId === 'number') apps.add(appId);
      required.set(name, apps);
    };
    if (protection) {
      const classic = protection.doc.data.protection;
      for (const name of classic?.requiredStatusChecks ?? []) requireCheck(name, null);
      for (const bound of classic?.requiredCheckApps ?? []) requireCheck(bound.context, bound.appId);
      for (const ruleset of protection.doc.data.rulesets) {
        if (ruleset.enforcement !== 'active') continue;
        for (const rule of ruleset.rules) {
          if (rule.type !== 'required_status_checks') continue;
          const parsed = requiredStatusChecksParameters.safeParse(rule.parameters);
          if (parsed.success)
            for (const check of parsed.data.required_status_checks)
              requireCheck(check.context, check.integration_id);
        }
      }
    }
    const categoriesOf = (name: string) => checkCategories(name, parameters);

    const failures: string[] = [];
    const passed: string[] = [];
    const failedNames = new Set<string>();
    for (const [name, appIds] of [...required.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const judged = judgeRequiredCheck(
        { name, appIds },
        onHead.filter((check) => check.name === name),
        merged,
      );
      (judged.ok ? passed : failures).push(judged.text);
      if (!judged.ok) failedNames.add(name);
    }
    // Every other check the profile maps to a category must have passed too, if it ran.
    const categorised = new Set(
      onHead
        .filter((check) => !required.has(check.name) && categoriesOf(check.name).length > 0)
        .map((check) => check.name),
    );
    for (const name of [...categorised].sort()) {
      const runs = onHead.filter((check) => check.name === name);
      const automatic = runs.filter(ranAutomatically);
      const passedRun = firstPassingRun(automatic, merged, ['SUCCESS']);
      if (passedRun) passed.push(`${name} SUCCESS at ${completionTime(passedRun)} (${source(passedRun)})`);
      else if (automatic.length > 0) {
        failures.push(whyNotPassed(`check ${name}`, automatic, merged));
        failedNames.add(name);
      }
    }
    for (const category of parameters.requiredCiCategories) {
      const runs = onHead.filter((check) => categoriesOf(check.name).includes(category));
      const judged = judgeCategory(category, runs, merged, data.headSha);
      // A category whose checks already failed above needs no second line saying so.
      const saidAlready = runs.some((run) => ranAutomatically(run) && failedNames.has(run.name));
      if (!judged.ok && !saidAlready) failures.push(judged.text);
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

/**
 * Categories a check belongs to: one of the category's words is a whole word of its name, split
 * on anything that is not a letter or digit (`scala-compile` is not `sca`; `npm-audit` is `audit`).
 */
export function checkCategories(name: string, parameters: ProfileParameters): readonly string[] {
  // A month's PRs run the same few check names thousands of times: decided once per name.
  let known = categoriesByName.get(parameters);
  if (!known) {
    known = new Map();
    categoriesByName.set(parameters, known);
  }
  let categories = known.get(name);
  if (!categories) {
    categories = categoriesOfName(name, parameters);
    known.set(name, categories);
  }
  return categories;
}

const categoriesByName = new WeakMap<ProfileParameters, Map<string, readonly string[]>>();

function categoriesOfName(name: string, parameters: ProfileParameters): readonly string[] {
  const words = new Set(
    name
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean),
  );
  return Object.entries(parameters.ciCategories)
    .filter(([, categoryWords]) =>
      categoryWords.some((word) => {
        const parts = word
          .toLowerCase()
          .split(/[^a-z0-9]+/)
          .filter(Boolean);
        return parts.length > 0 && parts.every((part) => words.has(part));
      }),
    )
    .map(([category]) => category)
    .sort();
}

function completionTime(check: Check): string | null {
  return (
    check.completedAt ?? (check.kind === 'status' && check.status === 'COMPLETED' ? check.startedAt : null)
  );
}

/** A check run (by an app) or a status a bot or app posted: something that ran, not a person's say-so. */
function ranAutomatically(check: Check): boolean {
  if (check.kind === 'check_run') return check.app !== null;
  return check.creatorType === 'Bot' || /\[bot\]$/i.test(check.app ?? '');
}

function source(check: Check): string {
  return check.kind === 'check_run'
    ? `check run by ${check.app ?? 'an unknown app'}`
    : `status posted by ${check.app ?? 'an unknown user'}`;
}

/** The first run that concluded one of `conclusions` at or before the merge. */
function firstPassingRun(runs: readonly Check[], merged: number, conclusions: readonly string[]) {
  return runs
    .filter((run) => {
      const completed = completionTime(run);
      return (
        completed !== null && Date.parse(completed) <= merged && conclusions.includes(run.conclusion ?? '')
      );
    })
    .sort((a, b) => Date.parse(completionTime(a)!) - Date.parse(completionTime(b)!))[0];
}

/** Why no run passed before the merge, from the runs there are. */
function whyNotPassed(label: string, runs: readonly Check[], merged: number): string {
  if (runs.length === 0) return `${label} did not run on the head commit`;
  const before = runs.filter((run) => {
    const completed = completionTime(run);
    return completed !== null && Date.parse(completed) <= merged;
  });
  const last = before.sort((a, b) => Date.parse(completionTime(a)!) - Date.parse(completionTime(b)!))[
    before.length - 1
  ];
  if (last)
    return `${label} concluded ${last.conclusion ?? 'without a conclusion'} at ${completionTime(last)}`;
  const after = runs.map(completionTime).find((time) => time !== null);
  return after
    ? `${label} completed only after the merge, at ${after}`
    : `${label} had not completed at merge`;
}

const REQUIRED_CHECK_CONCLUSIONS = ['SUCCESS', 'SKIPPED', 'NEUTRAL'];

function judgeRequiredCheck(
  required: RequiredCheck,
  runs: readonly Check[],
  merged: number,
): { ok: boolean; text: string } {
  const label = `required check ${required.name}`;
  const eligible =
    required.appIds.size === 0
      ? runs
      : runs.filter(
          (run) => run.kind === 'check_run' && run.appId !== undefined && required.appIds.has(run.appId),
        );
  const passedRun = firstPassingRun(eligible, merged, REQUIRED_CHECK_CONCLUSIONS);
  if (passedRun) {
    return {
      ok: true,
      text: `${required.name} ${passedRun.conclusion} at ${completionTime(passedRun)} (${source(passedRun)})`,
    };
  }
  if (required.appIds.size > 0 && eligible.length === 0 && runs.length > 0) {
    const apps = [...required.appIds].sort((a, b) => a - b).join(', ');
    return {
      ok: false,
      text: `${label} is tied to app ${apps}, and only ${runs.map(source).join(', ')} reported it`,
    };
  }
  return { ok: false, text: whyNotPassed(label, eligible, merged) };
}

function judgeCategory(
  category: string,
  runs: readonly Check[],
  merged: number,
  headSha: string,
): { ok: boolean; text: string } {
  const automatic = runs.filter(ranAutomatically);
  const passedRun = firstPassingRun(automatic, merged, ['SUCCESS']);
  if (passedRun) {
    return {
      ok: true,
      text: `${category}: ${passedRun.name} SUCCESS at ${completionTime(passedRun)} (${source(passedRun)})`,
    };
  }
  if (runs.length === 0)
    return { ok: false, text: `no ${category} check ran on head commit ${shortSha(headSha)}` };
  if (automatic.length === 0) {
    return {
      ok: false,
      text: `the only ${category} check${runs.length > 1 ? 's are' : ' is'} ${[...new Set(runs.map((run) => `${run.name} (${source(run)})`))].join(', ')}: a status a person posted is not a test that ran`,
    };
  }
  const names = [...new Set(automatic.map((run) => run.name))].sort();
  return {
    ok: false,
    text: names
      .map((name) =>
        whyNotPassed(
          `${category} check ${name}`,
          automatic.filter((run) => run.name === name),
          merged,
        ),
      )
      .join('; '),
  };
}
