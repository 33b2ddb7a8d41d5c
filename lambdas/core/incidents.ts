import type { IncidentData } from '../evidence/documents.ts';
import { type Change, changeCommitShas, describeChange, shortSha } from './change.ts';
import { type RuleResult, result, withheld } from './controls/rule.ts';
import { type PeriodFacts, shippingDeployments } from './facts.ts';
import type { EvidenceRef, MetricResult } from './pack-model.ts';
import type { EvidenceItem } from './period-evidence.ts';
import type { ProfileParameters } from './profile.ts';

/**
 * CHANGE-FAILURE-RATE with an incident source (controls.md): changes with at least one linked
 * incident ÷ changes deployed to production in the period. An incident is linked to a change by
 * what it names as its cause — a PR (`org/repo#123`, a pull-request URL) or a commit SHA
 * (40 characters, or a commit URL) — in its name, cause or metadata. Pure.
 */

export type IncidentReference =
  | { readonly kind: 'pull-request'; readonly repo: string; readonly number: number; readonly text: string }
  | { readonly kind: 'commit'; readonly repo: string | null; readonly sha: string; readonly text: string };

const PR_URL = /https?:\/\/github\.com\/([\w.-]+\/[\w.-]+)\/pull\/(\d+)/gi;
const PR_SHORT = /(?<![\w/.-])([\w.-]+\/[\w.-]+)#(\d+)\b/g;
const COMMIT_URL = /https?:\/\/github\.com\/([\w.-]+\/[\w.-]+)\/commit\/([0-9a-f]{40})/gi;
const SHA = /(?<![0-9a-f])([0-9a-f]{40})(?![0-9a-f])/gi;

/** The references to changes an incident carries, in the order written, without duplicates. */
export function incidentReferences(
  incident: Pick<IncidentData, 'name' | 'cause' | 'metadata'>,
): IncidentReference[] {
  const texts = [incident.name ?? '', incident.cause ?? '', ...Object.values(incident.metadata)];
  const found = new Map<string, IncidentReference>();
  for (const text of texts) {
    for (const m of text.matchAll(PR_URL))
      add({ kind: 'pull-request', repo: m[1]!.toLowerCase(), number: Number(m[2]), text: m[0] });
    for (const m of text.matchAll(PR_SHORT))
      add({ kind: 'pull-request', repo: m[1]!.toLowerCase(), number: Number(m[2]), text: m[0] });
    for (const m of text.matchAll(COMMIT_URL))
      add({ kind: 'commit', repo: m[1]!.toLowerCase(), sha: m[2]!.toLowerCase(), text: m[0] });
    for (const m of text.matchAll(SHA))
      add({ kind: 'commit', repo: null, sha: m[1]!.toLowerCase(), text: m[1]! });
  }
  return [...found.values()];

  function add(reference: IncidentReference): void {
    const id =
      reference.kind === 'pull-request' ? `pr ${reference.repo}#${reference.number}` : `sha ${reference.sha}`;
    // A commit URL and the bare SHA inside it are one reference; the URL (with its repo) wins.
    if (!found.has(id)) found.set(id, reference);
  }
}

/** The population changes a reference names (several when a SHA names a deployment that shipped several). */
function changesNamedBy(
  reference: IncidentReference,
  changes: readonly Change[],
  shippedBySha: ReadonlyMap<string, readonly Change[]>,
): { changes: Change[]; via: string } {
  if (reference.kind === 'pull-request') {
    return {
      changes: changes.filter(
        (change) => change.repo.toLowerCase() === reference.repo && change.prNumber === reference.number,
      ),
      via: reference.text,
    };
  }
  const inRepo = (change: Change) => reference.repo === null || change.repo.toLowerCase() === reference.repo;
  const exact = changes.filter(
    (change) =>
      inRepo(change) &&
      (changeCommitShas(change).has(reference.sha) ||
        change.pullRequest?.doc.data.headSha === reference.sha ||
        change.pullRequest?.doc.data.commits.some((commit) => commit.sha === reference.sha) === true),
  );
  if (exact.length > 0) return { changes: exact, via: `commit ${shortSha(reference.sha)}` };
  const shipped = (shippedBySha.get(reference.sha) ?? []).filter(inRepo);
  return { changes: [...shipped], via: `the production deployment of ${shortSha(reference.sha)}` };
}

export function measureIncidentFailureRate(
  changes: readonly Change[],
  facts: PeriodFacts,
  parameters: ProfileParameters,
): { metric: MetricResult; verdict: RuleResult } {
  // Deployed = a production deployment of it was made in the period, whether or not it
  // succeeded: a failed deployment left in production is the likeliest cause of an incident.
  const deployed = changes.filter(
    (change) => shippingDeployments(change, facts, parameters).attempts.length > 0,
  );
  const deployedIds = new Set(deployed.map((change) => change.id));
  const shippedBySha = new Map<string, Change[]>();
  for (const change of deployed) {
    for (const attempt of shippingDeployments(change, facts, parameters).attempts) {
      const sha = attempt.doc.data.sha;
      const list = shippedBySha.get(sha) ?? [];
      if (!list.includes(change)) shippedBySha.set(sha, [...list, change]);
    }
  }
  const failedChanges = new Map<string, Change>();
  const lines: string[] = [];
  const refs: EvidenceRef[] = [];
  for (const incident of facts.sources.incidents) {
    refs.push(incident.ref);
    lines.push(describeIncidentLink(incident, changes, shippedBySha, deployedIds, failedChanges));
  }
  const numerator = failedChanges.size;
  const denominator = deployed.length;
  const rate = denominator === 0 ? null : numerator / denominator;
  const threshold = parameters.changeFailureThreshold;
  const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
  const summary =
    rate === null
      ? ''
      : `${numerator} of ${denominator} changes deployed to production are named as the cause of a Better Stack incident (${percent(rate)}`;
  // Either side of the fraction withheld: an incident not read, or a deployment not read.
  const incidentGaps = facts.gapsFor(['better-stack-incidents'], null, facts.window);
  const deploymentGaps = facts.gapsFor(['deployments'], null, facts.window);
  let verdict: RuleResult;
  if (incidentGaps.length > 0 || deploymentGaps.length > 0) {
    verdict = withheld([...incidentGaps, ...deploymentGaps], refs);
  } else if (rate === null) {
    verdict = result('not_applicable', ['no change was deployed to production in the period'], refs);
  } else if (rate < threshold) {
    verdict = result('pass', [`${summary} < ${percent(threshold)})`], refs);
  } else {
    verdict = result('fail', [`${summary}, threshold ${percent(threshold)})`, ...lines], refs);
  }
  return {
    metric: {
      id: 'CHANGE-FAILURE-RATE',
      title: 'Change failure rate (changes named as the cause of a Better Stack incident)',
      numerator,
      denominator,
      rate,
      threshold,
      verdict: verdict.verdict,
      detail: [
        ...verdict.reasons.slice(0, 1),
        facts.sources.incidents.length === 0
          ? 'Better Stack recorded no incident that started in the period'
          : `${facts.sources.incidents.length} Better Stack incident(s) started in the period:`,
        ...lines,
      ],
    },
    verdict,
  };
}

function describeIncidentLink(
  incident: EvidenceItem<'incident'>,
  changes: readonly Change[],
  shippedBySha: ReadonlyMap<string, readonly Change[]>,
  deployedIds: ReadonlySet<string>,
  failedChanges: Map<string, Change>,
): string {
  const data = incident.doc.data;
  const title = `incident ${data.id} "${data.name ?? data.cause ?? ''}" started ${data.startedAt}`;
  const references = incidentReferences(data);
  if (references.length === 0) return `${title}: names no change as its cause (not counted)`;
  const parts: string[] = [];
  for (const reference of references) {
    const named = changesNamedBy(reference, changes, shippedBySha);
    if (named.changes.length === 0) {
      parts.push(`${reference.text} is no change of the period (not counted)`);
      continue;
    }
    for (const change of named.changes) {
      const what = `${change.repo} ${describeChange(change)}`;
      if (deployedIds.has(change.id)) {
        failedChanges.set(change.id, change);
        parts.push(`caused by ${what} (named as ${named.via})`);
      } else {
        parts.push(`names ${what}, which was not deployed to production in the period (not counted)`);
      }
    }
  }
  return `${title}: ${parts.join('; ')}`;
}
