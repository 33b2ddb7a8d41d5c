import picomatch from 'picomatch';
import { describeGap, type Gap, type WithheldEvidence } from '../../evidence/gaps.ts';
import type { Change } from '../change.ts';
import type { PeriodFacts } from '../facts.ts';
import type { EvidenceRef, Verdict } from '../pack-model.ts';
import type { EvidenceItem } from '../period-evidence.ts';
import type { ControlId, ProfileParameters, ProfileVersion } from '../profile.ts';

/** What a rule decides about one change: a value, never an exception. */
export interface RuleResult {
  readonly verdict: Verdict;
  /** Plain-language reasons naming people, times, checks and SHAs. */
  readonly reasons: readonly string[];
  /** The stored objects that show it; the first is cited in the exceptions list. */
  readonly evidence: readonly EvidenceRef[];
  /** For an unknown verdict: the types of the gaps that withheld its evidence (the pack's count per cause). */
  readonly causes?: readonly WithheldEvidence[];
}

/** Verdicts computed once for the whole period that every change carries. */
export interface PeriodVerdicts {
  readonly RETENTION: RuleResult;
  readonly 'CHANGE-FAILURE-RATE': RuleResult;
}

export interface EvaluationContext {
  readonly facts: PeriodFacts;
  /** The profile version in force when the change was merged. */
  readonly version: ProfileVersion;
  readonly parameters: ProfileParameters;
  readonly periodVerdicts: PeriodVerdicts;
}

export interface ControlRule {
  readonly id: ControlId;
  readonly title: string;
  /** How the verdict is decided, in plain words: the pack's appendix and docs/controls.md. */
  readonly howDecided: string;
  evaluate(change: Change, context: EvaluationContext): RuleResult;
}

export function result(
  verdict: Verdict,
  reasons: readonly string[],
  evidence: readonly EvidenceRef[],
): RuleResult {
  return { verdict, reasons, evidence: dedupeRefs(evidence) };
}

/** An unknown verdict because gaps withheld the evidence: the gaps are its reasons and its causes. */
export function withheld(
  gaps: readonly Gap[],
  evidence: readonly EvidenceRef[],
  moreReasons: readonly string[] = [],
): RuleResult {
  return {
    ...result('unknown', [...gaps.map(describeGap), ...moreReasons], evidence),
    causes: [...new Set(gaps.map((gap) => gap.withholds))].sort(),
  };
}

/** Far enough ahead to cover every later deployment of a change. */
const OPEN_END = '9999-12-31T00:00:00.000Z';

/** Deployment gaps that could hide a deployment of this change: any from its merge on. */
export function deploymentGapsOf(change: Change, facts: PeriodFacts): readonly Gap[] {
  return facts.gapsFor(['deployments'], change.repo, { from: change.mergedAt, to: OPEN_END });
}

/**
 * The verdict of a deployment control (CD-PIPELINE, ROLLBACK) for a change no production
 * deployment shipped in the period: unknown when deployments were not fully collected for its
 * repository, otherwise not applicable ("not shipped in the period").
 */
export function notShippedResult(change: Change, facts: PeriodFacts): RuleResult {
  const gaps = deploymentGapsOf(change, facts);
  if (gaps.length > 0) return withheld(gaps, []);
  return result(
    'not_applicable',
    [
      `not shipped in the period: ${change.commitSha.slice(0, 7)} was not deployed to production by the settle time`,
    ],
    [],
  );
}

/**
 * A deployment verdict other than pass rests on deployments that were not all read when a gap
 * withholds some: a missing staging run or a missing rollback would change it. A pass rests on
 * deployments that were read, and stands.
 */
export function unlessDeploymentsWithheld(
  judged: RuleResult,
  change: Change,
  facts: PeriodFacts,
): RuleResult {
  if (judged.verdict === 'pass') return judged;
  const gaps = deploymentGapsOf(change, facts);
  if (gaps.length === 0) return judged;
  return withheld(gaps, judged.evidence, judged.reasons);
}

export function dedupeRefs(refs: readonly EvidenceRef[]): EvidenceRef[] {
  // Called for every result of every rule of every change, nearly always with a handful of
  // refs: compared field by field, never through a joined string per ref (a month of changes
  // made millions of them, and joining strings read from S3 was most of the judging time).
  const out: EvidenceRef[] = [];
  if (refs.length <= 32) {
    for (const ref of refs) {
      if (!out.some((kept) => kept.key === ref.key && kept.versionId === ref.versionId)) out.push(ref);
    }
    return out;
  }
  const seen = new Map<string, Set<string>>();
  for (const ref of refs) {
    const versions = seen.get(ref.key) ?? new Set<string>();
    if (versions.has(ref.versionId)) continue;
    versions.add(ref.versionId);
    seen.set(ref.key, versions);
    out.push(ref);
  }
  return out;
}

/** Fail wins over unknown, unknown over pass: a missing piece never turns into a pass. */
export function combine(parts: readonly RuleResult[], whenEmpty: RuleResult): RuleResult {
  if (parts.length === 0) return whenEmpty;
  const order: Verdict[] = ['fail', 'unknown', 'pass', 'not_applicable'];
  const verdict = order.find((v) => parts.some((part) => part.verdict === v)) ?? 'not_applicable';
  const chosen = parts.filter((part) => part.verdict === verdict);
  const causes = [...new Set(chosen.flatMap((part) => part.causes ?? []))].sort();
  return {
    ...result(
      verdict,
      chosen.flatMap((part) => part.reasons),
      parts.flatMap((part) => part.evidence),
    ),
    ...(causes.length > 0 ? { causes } : {}),
  };
}

/** The verdict for a direct push on a control that only a pull request can satisfy. */
export function noPullRequest(change: Change, what: string): RuleResult {
  return result(
    'fail',
    [
      `commit ${change.commitSha.slice(0, 7)} reached ${change.branch ?? 'the default branch'} without a pull request, so ${what}`,
    ],
    change.branchCommits.map((commit) => commit.ref),
  );
}

/** The verdict when a change is a PR but its PR evidence was not collected. */
export function pullRequestEvidenceMissing(change: Change, facts?: PeriodFacts): RuleResult {
  const at = Date.parse(change.mergedAt);
  const gaps =
    facts?.gapsFor(['pull-requests'], change.repo, {
      from: change.mergedAt,
      to: new Date(at + 1).toISOString(),
    }) ?? [];
  return result(
    'unknown',
    [
      change.prNumber !== null
        ? `the evidence of PR #${change.prNumber} was not collected`
        : `commit ${change.commitSha.slice(0, 7)} was merged from a pull request that the evidence does not name`,
      ...gaps.map(describeGap),
    ],
    change.branchCommits.map((commit) => commit.ref),
  );
}

/** Names of lists the collector could not read whole, e.g. `reviews`. */
export function incompleteLists(pr: EvidenceItem<'pull-request'>, field: string): string[] {
  return pr.doc.data.completeness
    .filter((entry) => entry.field === field || entry.field.startsWith(`${field}.`))
    .map(
      (entry) => `only ${entry.collected} of ${entry.total} ${entry.field} were collected (${entry.reason})`,
    );
}

const compiledGlobs = new Map<string, (path: string) => boolean>();
/** The same lists (the profile's) are asked for again and again: found by identity before by content. */
const compiledByList = new WeakMap<readonly string[], (path: string) => boolean>();
const GLOB_OPTIONS = { dot: true, nocase: true } as const;
/** Paths remembered per glob list; forgotten all at once beyond this (the answers never change). */
const ANSWERS_KEPT = 50_000;

/**
 * Compiled once per distinct glob list: every change of a period asks with the same globs.
 * Matches as `picomatch(globs, options)` does (an empty path never; a path equal to a glob, or
 * one its regular expression accepts), but tests the compiled expressions directly: picomatch's
 * own matcher builds a result object per path, and a month's PRs change hundreds of thousands.
 * The answer for a path is remembered: the same paths change in PR after PR, and testing one
 * against every expression of a list was most of SECURITY-REVIEW's time.
 */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  const known = compiledByList.get(globs);
  if (known) return known;
  const key = JSON.stringify(globs);
  let matcher = compiledGlobs.get(key);
  if (!matcher) {
    const literal = new Set(globs);
    const expressions = globs.map((glob) => picomatch.makeRe(glob, GLOB_OPTIONS));
    const answers = new Map<string, boolean>();
    matcher = (path: string) => {
      const answer = answers.get(path);
      if (answer !== undefined) return answer;
      const matches =
        path !== '' && (literal.has(path) || expressions.some((expression) => expression.test(path)));
      if (answers.size >= ANSWERS_KEPT) answers.clear();
      answers.set(path, matches);
      return matches;
    };
    compiledGlobs.set(key, matcher);
  }
  compiledByList.set(globs, matcher);
  return matcher;
}

export type Review = EvidenceItem<'pull-request'>['doc']['data']['reviews'][number];

export function hoursAfter(iso: string, hours: number): number {
  return Date.parse(iso) + hours * 3_600_000;
}

export function labelsOf(pr: EvidenceItem<'pull-request'>): Set<string> {
  const labels = new Set(pr.doc.data.labels);
  for (const event of pr.doc.data.labelEvents) if (event.action === 'added') labels.add(event.name);
  return labels;
}

/** Whether the label was on the PR when it was merged (label events decide; else the current labels). */
export function labelAtMerge(pr: EvidenceItem<'pull-request'>, name: string): boolean {
  const merged = Date.parse(pr.doc.data.mergedAt);
  const events = pr.doc.data.labelEvents.filter(
    (event) => event.name === name && Date.parse(event.at) <= merged,
  );
  const last = events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[events.length - 1];
  if (last) return last.action === 'added';
  return pr.doc.data.labels.includes(name);
}
