import { canonicalJson, sha256Hex } from '../evidence/canonical-json.ts';
import { GAP_FIXES, WITHHELD_TITLES } from '../evidence/gaps.ts';
import type { RetentionStatus } from '../evidence/ports.ts';
import type { Change } from './change.ts';
import { changeEvidence } from './change.ts';
import { reconcilePopulation } from './completeness.ts';
import { emergencyLabelGrants, judgeEmergency } from './controls/emergency.ts';
import { CONTROL_RULES } from './controls/index.ts';
import { judgeOverride } from './controls/override.ts';
import type { EvaluationContext, PeriodVerdicts, RuleResult } from './controls/rule.ts';
import { labelsOf, result } from './controls/rule.ts';
import { buildPeriodFacts } from './facts.ts';
import { measureIncidentFailureRate } from './incidents.ts';
import {
  type ControlSummary,
  EMPTY_INDEX_CROSS_CHECK,
  type EmergencyRow,
  type ExceptionRow,
  type GapRow,
  type IndexCrossCheck,
  type ManifestEntry,
  type OverrideRow,
  type PackModel,
  type PopulationRow,
  type UnknownCause,
  type UnknownSummary,
  type Verdict,
} from './pack-model.ts';
import type { PeriodEvidence, StoredManifestEntry } from './period-evidence.ts';
import { standingGaps } from './period-gaps.ts';
import { judgeRetention, measureChangeFailureRate, productionDeploymentsInWindow } from './period-metrics.ts';
import { buildPopulation, compareChanges, compareText, isConfirmedOverride } from './population.ts';
import { productionDeployChanges } from './production-deploys.ts';
import {
  type ControlId,
  type Profile,
  profileControlIds,
  profileVersionAt,
  requirementOf,
  versionsInForce,
} from './profile.ts';
import { type SettleTime, settleTimeOf } from './settle.ts';
import type { SourceFacts } from './source-facts.ts';
import { inWindow, type Window } from './window.ts';

export interface PeriodEvaluationInput {
  readonly org: string;
  readonly window: Window;
  readonly profile: Profile;
  /** The profile as text, printed in the pack's appendix. */
  readonly profileSource: string;
  readonly toolVersion: string;
  readonly evidence: PeriodEvidence;
  /** Retention as the store reports it. */
  readonly retention: RetentionStatus;
  /** Every evidence object read for the pack. */
  readonly manifest: readonly StoredManifestEntry[];
  /** The index compared with a listing of the bucket; none when the caller did not list it. */
  readonly indexCrossCheck?: IndexCrossCheck;
  /** Production deployments up to this time after the window ship its changes; default the 3rd, 06:00 UTC. */
  readonly settle?: SettleTime;
}

/** The controls that judge a production deployment of code that never reached the default branch. */
const PRODUCTION_DEPLOY_CONTROLS: ReadonlySet<ControlId> = new Set([
  'PR-REQUIRED',
  'CD-PIPELINE',
  'SEGREGATION',
]);

/** Sources that enter only through enrichers, and are listed when no collector run read them. */
function enrichersNotConfigured(sources: SourceFacts): string[] {
  return [
    ...(sources.linear.configured ? [] : ['Linear (ticket existence and status)']),
    ...(sources.betterStack.configured ? [] : ['Better Stack (incidents and Incident Commander rota)']),
    'a CD system other than GitHub Deployments',
  ];
}

/**
 * Judge a period: build the population from the stored evidence, judge every change against
 * the profile version in force when it was merged, and assemble the pack model. Pure and
 * deterministic: the same input always gives a deep-equal model.
 */
/** SHA-256 of the canonical manifest entries: printed on the cover, re-checked by `cm01 verify`. */
export function manifestDigest(entries: readonly ManifestEntry[]): string {
  return sha256Hex(canonicalJson(entries));
}

/** What every change of a period is judged with: the facts, the controls and the period-level verdicts. */
function judgingBasis(input: PeriodEvaluationInput) {
  const { evidence, window, profile } = input;
  const parameters = profile.parameters;
  const gaps = standingGaps(evidence);
  const facts = buildPeriodFacts(
    evidence,
    window,
    gaps,
    parameters.cdkRepositories,
    settleTimeOf(window, input.settle),
  );
  const changes = [
    ...buildPopulation(evidence, window),
    ...productionDeployChanges(evidence, window, facts, parameters),
  ].sort(compareChanges);
  const retention = judgeRetention(input.retention, input.manifest, parameters, fetchTimesByKey(evidence));
  // With an incident source, the rate is of changes that caused incidents; without, the deployment proxy.
  const failureRate = facts.sources.betterStack.configured
    ? measureIncidentFailureRate(changes, facts, parameters)
    : measureChangeFailureRate(evidence, facts, parameters);
  const periodVerdicts: PeriodVerdicts = {
    RETENTION: retention.verdict,
    'CHANGE-FAILURE-RATE': failureRate.verdict,
  };
  return {
    gaps,
    facts,
    changes,
    controlIds: profileControlIds(profile),
    retention,
    failureRate,
    periodVerdicts,
  };
}

export function evaluatePeriod(input: PeriodEvaluationInput): PackModel {
  const { evidence, window, profile } = input;
  const parameters = profile.parameters;
  const { gaps, facts, changes, controlIds, retention, failureRate, periodVerdicts } = judgingBasis(input);

  const population: PopulationRow[] = [];
  const exceptions: ExceptionRow[] = [];
  const tallies = new Map<ControlId, { [V in Verdict]: number } & { exceptions: number }>();
  for (const id of controlIds)
    tallies.set(id, { pass: 0, fail: 0, not_applicable: 0, unknown: 0, exceptions: 0 });
  const emergencies: EmergencyRow[] = [];
  const unknownTally = new UnknownTally();
  const periodFailures = new Map<keyof PeriodVerdicts, RuleResult>();

  for (const change of changes) {
    const version = profileVersionAt(profile, change.mergedAt);
    const context: EvaluationContext = { facts, version, parameters, periodVerdicts };
    const verdicts: Record<string, Verdict> = {};
    for (const id of controlIds) {
      const requirement = requirementOf(version, id);
      const judged: RuleResult =
        requirement === 'off'
          ? result('not_applicable', [`${id} is off in profile version ${version.version}`], [])
          : change.type === 'production_deploy' &&
              !PRODUCTION_DEPLOY_CONTROLS.has(id) &&
              !(id in periodVerdicts)
            ? result(
                'not_applicable',
                [
                  'a production deployment of code that never reached the default branch: judged by PR-REQUIRED, CD-PIPELINE and SEGREGATION',
                ],
                [],
              )
            : CONTROL_RULES[id].evaluate(change, context);
      verdicts[id] = judged.verdict;
      if (judged.verdict === 'unknown') unknownTally.add(id, judged.causes);
      const tally = tallies.get(id)!;
      tally[judged.verdict] += 1;
      if (judged.verdict === 'fail' && requirement === 'required') {
        if (id in periodVerdicts) {
          // A period-level finding is one exception for the period, not one per change.
          periodFailures.set(id as keyof PeriodVerdicts, judged);
          continue;
        }
        tally.exceptions += 1;
        const cited = judged.evidence[0] ?? changeEvidence(change)[0];
        exceptions.push({
          repo: change.repo,
          changeType: change.type,
          prNumber: change.prNumber,
          commitSha: change.commitSha,
          url: change.url,
          control: id,
          reason: judged.reasons.join('; '),
          evidenceKey: cited?.key ?? '',
          evidenceVersion: cited?.versionId ?? '',
        });
      }
    }
    population.push({
      repo: change.repo,
      changeType: change.type,
      prNumber: change.prNumber,
      commitSha: change.commitSha,
      mergedAt: change.mergedAt,
      author: change.author ?? '',
      title: change.title,
      url: change.url,
      profileVersion: version.version,
      verdicts,
    });
    const emergencyRow = emergencyRowOf(change, context);
    if (emergencyRow) emergencies.push(emergencyRow);
  }

  for (const [id, judged] of periodFailures) {
    tallies.get(id)!.exceptions += 1;
    const cited = judged.evidence[0];
    exceptions.push({
      repo: input.org,
      changeType: 'period',
      prNumber: null,
      commitSha: '',
      url: '',
      control: id,
      reason: judged.reasons.join('; '),
      evidenceKey: cited?.key ?? '',
      evidenceVersion: cited?.versionId ?? '',
    });
  }

  const inForce = versionsInForce(profile, window.from, window.to);
  const controls: ControlSummary[] = controlIds.map((id) => {
    const tally = tallies.get(id)!;
    const rule = CONTROL_RULES[id];
    return {
      id,
      title: rule.title,
      requirement: describeRequirement(inForce, id),
      pass: tally.pass,
      fail: tally.fail,
      notApplicable: tally.not_applicable,
      unknown: tally.unknown,
      exceptions: tally.exceptions,
      howDecided: rule.howDecided,
    };
  });

  const production = productionDeploymentsInWindow(evidence, facts, parameters);
  const defaultBranchCommits = evidence.branchCommits.filter((item) =>
    inWindow(item.doc.occurredAt, window),
  ).length;
  const manifest = input.manifest
    .map(
      (entry): ManifestEntry => ({
        key: entry.key,
        versionId: entry.versionId,
        sha256: entry.sha256,
        retainUntil: entry.retainUntil,
      }),
    )
    .sort((a, b) => compareText(a.key, b.key) || compareText(a.versionId, b.versionId));

  return {
    org: input.org,
    period: { label: window.label, from: window.from, to: window.to },
    profile: {
      id: profile.id,
      name: profile.name,
      versions: inForce.map((version) => ({
        version: version.version,
        effectiveFrom: version.effectiveFrom,
      })),
      source: input.profileSource,
    },
    generatedAt: latestFetch(evidence) ?? window.to,
    toolVersion: input.toolVersion,
    controlIds,
    evidenceCounts: evidenceCounts(evidence),
    controls,
    metrics: [failureRate.metric],
    completeness: reconcilePopulation(changes, defaultBranchCommits, production, facts, parameters),
    gaps,
    unknowns: unknownTally.summary(gaps),
    sourcesConsulted: sourcesConsulted(evidence),
    sourcesNotConfigured: enrichersNotConfigured(facts.sources),
    retention: retention.summary,
    population,
    exceptions,
    overrides: overrideRegister(evidence, facts, parameters, window),
    emergencies,
    manifest,
    indexCrossCheck: input.indexCrossCheck ?? EMPTY_INDEX_CROSS_CHECK,
    manifestDigest: manifestDigest(manifest),
  };
}

/** Unknown verdicts counted per cause and control as the changes are judged. */
class UnknownTally {
  private readonly counts = new Map<UnknownCause, Map<string, number>>();
  private total = 0;

  add(control: string, causes: readonly UnknownCause[] | undefined): void {
    this.total += 1;
    for (const cause of causes && causes.length > 0 ? causes : (['not-collected'] as const)) {
      const perControl = this.counts.get(cause) ?? new Map<string, number>();
      perControl.set(control, (perControl.get(control) ?? 0) + 1);
      this.counts.set(cause, perControl);
    }
  }

  summary(gaps: readonly GapRow[]): UnknownSummary {
    const byCause = [...this.counts.entries()]
      .map(([cause, perControl]) => ({
        cause,
        title: cause === 'not-collected' ? NOT_COLLECTED_TITLE : WITHHELD_TITLES[cause],
        count: [...perControl.values()].reduce((sum, n) => sum + n, 0),
        controls: Object.fromEntries([...perControl.entries()].sort(([a], [b]) => compareText(a, b))),
        fix: cause === 'not-collected' ? NOT_COLLECTED_FIX : GAP_FIXES[cause],
      }))
      .sort((a, b) => b.count - a.count || compareText(a.cause, b.cause));
    const causes = new Set<UnknownCause>([
      ...byCause.map((entry) => entry.cause),
      ...gaps.map((gap) => gap.withholds),
    ]);
    const sourcesToFix = [...causes]
      .sort(compareText)
      .map((cause) =>
        cause === 'not-collected'
          ? `${NOT_COLLECTED_TITLE}: ${NOT_COLLECTED_FIX}`
          : `${WITHHELD_TITLES[cause]}${reposOf(gaps, cause)}: ${GAP_FIXES[cause]}`,
      );
    return {
      total: this.total,
      byCause,
      fullyEvidenced: this.total === 0 && gaps.length === 0,
      sourcesToFix,
    };
  }
}

const NOT_COLLECTED_TITLE =
  "evidence of a change not in the store (no gap recorded), or not collected for its kind (a direct push's changed files)";
const NOT_COLLECTED_FIX =
  'collect the period again (cm01 collect) so every change has its pull request, checks, team and protection ' +
  "snapshots; a direct push's changed files are not collected: review its commit on GitHub by hand";

function reposOf(gaps: readonly GapRow[], withholds: UnknownCause): string {
  const repos = [
    ...new Set(
      gaps.filter((gap) => gap.withholds === withholds).map((gap) => gap.repo ?? 'all repositories'),
    ),
  ].sort();
  return repos.length > 0 ? ` (${repos.join(', ')})` : '';
}

/** `required (v1.0) / informational (v1.1)`, or just `required` when all versions agree. */
function describeRequirement(versions: readonly Profile['versions'][number][], id: ControlId): string {
  const requirements = versions.map((version) => requirementOf(version, id));
  if (new Set(requirements).size <= 1) return requirements[0] ?? 'off';
  return versions.map((version, i) => `${requirements[i]} (${version.version})`).join(' / ');
}

function allDocuments(evidence: PeriodEvidence) {
  return [
    ...evidence.pullRequests,
    ...evidence.branchCommits,
    ...evidence.deployments,
    ...evidence.overrides,
    ...evidence.branchProtection,
    ...evidence.teams,
    ...(evidence.linearTickets ?? []),
    ...(evidence.incidents ?? []),
    ...(evidence.onCall ?? []),
    ...evidence.runs,
  ];
}

function latestFetch(evidence: PeriodEvidence): string | undefined {
  let latest: string | undefined;
  let latestTime = 0;
  // Documents of one run share their fetch time: a time like the one before cannot be later.
  let previous: string | undefined;
  for (const item of allDocuments(evidence)) {
    const fetched = item.doc.provenance.fetchedAt;
    if (fetched === previous) continue;
    previous = fetched;
    const time = Date.parse(fetched);
    if (latest === undefined || time > latestTime) {
      latest = fetched;
      latestTime = time;
    }
  }
  return latest === undefined ? undefined : new Date(latest).toISOString();
}

function fetchTimesByKey(evidence: PeriodEvidence): Map<string, string> {
  return new Map(allDocuments(evidence).map((item) => [item.ref.key, item.doc.provenance.fetchedAt]));
}

function evidenceCounts(evidence: PeriodEvidence): Record<string, number> {
  return {
    'pull-request': evidence.pullRequests.length,
    'branch-commit': evidence.branchCommits.length,
    deployment: evidence.deployments.length,
    override: evidence.overrides.length,
    'branch-protection': evidence.branchProtection.length,
    'team-membership': evidence.teams.length,
    ...(evidence.linearTickets ? { 'linear-ticket': evidence.linearTickets.length } : {}),
    ...(evidence.incidents ? { incident: evidence.incidents.length } : {}),
    ...(evidence.onCall ? { 'on-call': evidence.onCall.length } : {}),
    'collection-run': evidence.runs.length,
  };
}

const KIND_TITLES: Readonly<Record<string, string>> = {
  'pull-request': 'merged pull requests',
  'branch-commit': 'default-branch commits',
  deployment: 'deployments',
  override: 'overrides',
  'branch-protection': 'branch protection',
  'team-membership': 'team membership',
  'linear-ticket': 'Linear tickets',
  incident: 'Better Stack incidents',
  'on-call': 'Better Stack on-call calendars',
  'collection-run': 'collector runs',
};

/** One line per kind of evidence read: what was asked of which source. */
function sourcesConsulted(evidence: PeriodEvidence): string[] {
  const requests = new Map<string, Set<string>>();
  for (const item of allDocuments(evidence)) {
    const title = KIND_TITLES[item.doc.kind] ?? item.doc.kind;
    const set = requests.get(title) ?? new Set<string>();
    set.add(
      `${item.doc.provenance.source} ${item.doc.provenance.request}${enricherOrigin(item.doc.provenance)}`,
    );
    requests.set(title, set);
  }
  // A configured source is named even when it had nothing to give (no ticket key, no incident).
  for (const run of evidence.runs) {
    for (const enricher of run.doc.data.enrichers ?? []) {
      const title = enricher.source === 'linear' ? 'Linear' : 'Better Stack';
      const set = requests.get(title) ?? new Set<string>();
      set.add(`${enricher.endpoint} (${enricher.status})`);
      requests.set(title, set);
    }
  }
  for (const item of evidence.overrides) {
    const set = requests.get(KIND_TITLES.override!)!;
    for (const source of item.doc.data.sources) set.add(`override source ${source}`);
  }
  return [...requests.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([title, set]) => `${title}: ${[...set].sort().join('; ')}`);
}

/** For Linear and Better Stack documents: the endpoint asked and the identity of the credential. */
function enricherOrigin(provenance: PeriodEvidence['runs'][number]['doc']['provenance']): string {
  if (provenance.source !== 'linear-graphql' && provenance.source !== 'better-stack-rest') return '';
  const endpoint = provenance.parameters.endpoint;
  return ` (${typeof endpoint === 'string' ? `${endpoint}, ` : ''}as ${provenance.tokenIdentity})`;
}

function overrideRegister(
  evidence: PeriodEvidence,
  facts: ReturnType<typeof buildPeriodFacts>,
  parameters: Profile['parameters'],
  window: Window,
): OverrideRow[] {
  const commits = new Map(
    evidence.branchCommits.map((item) => [
      `${item.doc.repo}@${item.doc.data.commit.sha}`,
      item.doc.data.commit,
    ]),
  );
  return evidence.overrides
    .filter((item) => isConfirmedOverride(item) && inWindow(item.doc.data.at, window))
    .map((item): OverrideRow => {
      const o = item.doc.data;
      const judged = judgeOverride(item, facts, parameters, commits.get(`${item.doc.repo}@${o.afterSha}`));
      return {
        repo: item.doc.repo,
        at: o.at,
        actor: o.actor ?? '',
        commitSha: o.afterSha,
        sources: [...o.sources].sort(),
        verdict: judged.verdict,
        reasons: judged.reasons,
      };
    })
    .sort(
      (a, b) =>
        compareText(a.repo, b.repo) || compareText(a.at, b.at) || compareText(a.commitSha, b.commitSha),
    );
}

function emergencyRowOf(change: Change, context: EvaluationContext): EmergencyRow | undefined {
  const pr = change.pullRequest;
  if (!pr || change.prNumber === null) return undefined;
  const label = context.parameters.emergencyLabel;
  if (!labelsOf(pr).has(label)) return undefined;
  const judged = judgeEmergency(change, context);
  if (!judged) return undefined;
  return {
    repo: change.repo,
    prNumber: change.prNumber,
    mergedAt: change.mergedAt,
    labelledBy: emergencyLabelGrants(pr, label)[0]?.actor ?? '',
    verdict: judged.verdict,
    reasons: judged.reasons,
  };
}

/** One change with every control's verdict, reasons and evidence: what an audit sample shows. */
export interface ExplainedChange {
  readonly repo: string;
  readonly changeType: Change['type'];
  readonly prNumber: number | null;
  readonly commitSha: string;
  readonly mergedAt: string;
  readonly author: string;
  readonly title: string;
  readonly url: string;
  readonly profileVersion: string;
  /** The objects that describe the change itself (its PR, else its commits). */
  readonly evidence: readonly { readonly key: string; readonly versionId: string }[];
  readonly judgements: readonly {
    readonly control: string;
    readonly verdict: Verdict;
    readonly reasons: readonly string[];
    readonly evidence: readonly { readonly key: string; readonly versionId: string }[];
  }[];
}

/**
 * The verdicts of `evaluatePeriod` with their reasons, for the changes `select` keeps: the same
 * facts, period verdicts and rules, so a sampled change reads exactly as the pack judged it.
 */
export function explainChanges(
  input: PeriodEvaluationInput,
  select: (change: { repo: string; commitSha: string; prNumber: number | null; type: string }) => boolean,
): ExplainedChange[] {
  const { profile } = input;
  const parameters = profile.parameters;
  const { facts, changes, controlIds, periodVerdicts } = judgingBasis(input);
  return changes.filter(select).map((change): ExplainedChange => {
    const version = profileVersionAt(profile, change.mergedAt);
    const context: EvaluationContext = { facts, version, parameters, periodVerdicts };
    return {
      repo: change.repo,
      changeType: change.type,
      prNumber: change.prNumber,
      commitSha: change.commitSha,
      mergedAt: change.mergedAt,
      author: change.author ?? '',
      title: change.title,
      url: change.url,
      profileVersion: version.version,
      evidence: changeEvidence(change),
      judgements: controlIds.map((id) => {
        const judged: RuleResult =
          requirementOf(version, id) === 'off'
            ? result('not_applicable', [`${id} is off in profile version ${version.version}`], [])
            : CONTROL_RULES[id].evaluate(change, context);
        return { control: id, verdict: judged.verdict, reasons: judged.reasons, evidence: judged.evidence };
      }),
    };
  });
}
