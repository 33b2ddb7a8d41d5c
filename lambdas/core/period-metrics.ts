import type { RetentionStatus } from '../evidence/ports.ts';
import { shortSha } from './change.ts';
import { type RuleResult, result, withheld } from './controls/rule.ts';
import { describeDeployment, failureTime, wasRolledBack } from './deployments.ts';
import type { PeriodFacts } from './facts.ts';
import { isProductionDeployment } from './facts.ts';
import type { EvidenceRef, MetricResult, RetentionSummary } from './pack-model.ts';
import type { EvidenceItem, PeriodEvidence, StoredManifestEntry } from './period-evidence.ts';
import type { ProfileParameters } from './profile.ts';
import { inWindow } from './window.ts';

const DAY_MS = 86_400_000;

/**
 * controls.md: without an incident source, the deployment figure is shown and judged, labelled
 * as a proxy. No incident source is read in this version, so the label is always given.
 */
const PROXY_LABEL =
  'proxy: no incident source is configured, so failed or rolled-back production deployments stand in for changes that caused an incident';
const LISTED_OBJECTS = 10;

/** Production deployments created inside the window, oldest first. */
export function productionDeploymentsInWindow(
  evidence: PeriodEvidence,
  facts: PeriodFacts,
  parameters: ProfileParameters,
): EvidenceItem<'deployment'>[] {
  const repos = [...new Set(evidence.deployments.map((item) => item.doc.repo))].sort();
  return repos.flatMap((repo) =>
    facts
      .deploymentsOf(repo)
      .filter(
        (item) => isProductionDeployment(item, parameters) && inWindow(item.doc.data.createdAt, facts.window),
      ),
  );
}

/**
 * CHANGE-FAILURE-RATE for the period: failed or rolled-back production deployments divided by
 * all production deployments, against the profile's threshold.
 */
export function measureChangeFailureRate(
  evidence: PeriodEvidence,
  facts: PeriodFacts,
  parameters: ProfileParameters,
): { metric: MetricResult; verdict: RuleResult } {
  const production = productionDeploymentsInWindow(evidence, facts, parameters);
  const failed: { item: EvidenceItem<'deployment'>; text: string }[] = [];
  for (const item of production) {
    const failedAt = failureTime(item);
    if (failedAt) {
      failed.push({ item, text: `${describeDeployment(item)} failed at ${failedAt}` });
      continue;
    }
    const rolledBackBy = wasRolledBack(item, facts, parameters);
    if (rolledBackBy) {
      failed.push({
        item,
        text: `${describeDeployment(item)} was rolled back by deployment ${rolledBackBy.doc.data.id} of ${shortSha(rolledBackBy.doc.data.sha)}`,
      });
    }
  }
  const denominator = production.length;
  const numerator = failed.length;
  const rate = denominator === 0 ? null : numerator / denominator;
  const threshold = parameters.changeFailureThreshold;
  const gaps = facts.gapsFor(['deployments'], null, facts.window);
  const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
  let verdict: RuleResult;
  const evidenceRefs: EvidenceRef[] = failed.map((entry) => entry.item.ref);
  if (gaps.length > 0) {
    verdict = withheld(gaps, []);
  } else if (rate === null) {
    verdict = result('not_applicable', ['no production deployment was made in the period'], []);
  } else if (rate < threshold) {
    verdict = result(
      'pass',
      [
        `${numerator} of ${denominator} production deployments failed or were rolled back (${percent(rate)} < ${percent(threshold)}; ${PROXY_LABEL})`,
      ],
      evidenceRefs,
    );
  } else {
    verdict = result(
      'fail',
      [
        `${numerator} of ${denominator} production deployments failed or were rolled back (${percent(rate)}, threshold ${percent(threshold)}; ${PROXY_LABEL})`,
        ...failed.map((entry) => entry.text),
      ],
      evidenceRefs,
    );
  }
  return {
    metric: {
      id: 'CHANGE-FAILURE-RATE',
      title: 'Change failure rate — proxy: failed or rolled-back production deployments',
      proxy: PROXY_LABEL,
      numerator,
      denominator,
      rate,
      threshold,
      verdict: verdict.verdict,
      detail: [...verdict.reasons.slice(0, 1), ...failed.map((entry) => entry.text)],
    },
    verdict,
  };
}

/**
 * RETENTION for the period, from the store's own configuration and each manifest object's
 * retain-until date. `writtenAtFallback` supplies a write time (the document's fetch time)
 * for manifest entries that do not carry one.
 */
export function judgeRetention(
  status: RetentionStatus,
  manifest: readonly StoredManifestEntry[],
  parameters: ProfileParameters,
  writtenAtFallback: ReadonlyMap<string, string>,
): { summary: RetentionSummary; verdict: RuleResult } {
  const minDays = parameters.minRetentionDays;
  const failures: string[] = [];
  const unknowns: string[] = [];
  if (!status.immutable) failures.push(`the store ${status.location} does not enforce immutability`);
  if (status.versioning !== 'Enabled') failures.push(`bucket versioning is ${status.versioning}`);
  if (!status.objectLock.enabled) failures.push('Object Lock is not enabled');
  else {
    const mode = status.objectLock.mode;
    if (mode === undefined) failures.push('Object Lock has no default retention mode');
    else if (mode === 'GOVERNANCE' && !parameters.allowGovernanceRetention) {
      failures.push(
        'the default retention mode is GOVERNANCE, which the profile does not allow (COMPLIANCE required)',
      );
    }
    const days = status.objectLock.days;
    if (days === undefined) failures.push('Object Lock has no default retention period');
    else if (days < minDays) failures.push(`the default retention is ${days} days, below ${minDays}`);
  }
  const shortRetained: string[] = [];
  const noWriteTime: string[] = [];
  const shortRefs: EvidenceRef[] = [];
  for (const entry of manifest) {
    const written = entry.writtenAt ?? writtenAtFallback.get(entry.key);
    if (!written) {
      noWriteTime.push(entry.key);
      continue;
    }
    const required = Date.parse(written) + minDays * DAY_MS;
    if (Date.parse(entry.retainUntil) < required) {
      shortRetained.push(
        `${entry.key} (version ${entry.versionId}) written ${written} is retained only until ${entry.retainUntil}`,
      );
      shortRefs.push({ key: entry.key, versionId: entry.versionId });
    }
  }
  if (shortRetained.length > 0) {
    failures.push(
      `${shortRetained.length} of ${manifest.length} evidence objects are retained less than ${minDays} days after they were written`,
      ...listSome(shortRetained),
    );
  }
  if (noWriteTime.length > 0) {
    unknowns.push(
      `the write time of ${noWriteTime.length} evidence objects is not known`,
      ...listSome(noWriteTime),
    );
  }
  const settings =
    `Object Lock ${status.objectLock.enabled ? 'on' : 'off'}` +
    (status.objectLock.mode ? `, ${status.objectLock.mode}` : '') +
    (status.objectLock.days !== undefined ? ` ${status.objectLock.days} days` : '') +
    `, versioning ${status.versioning}`;
  let verdict: RuleResult;
  if (failures.length > 0) verdict = result('fail', [...failures, ...unknowns], shortRefs);
  else if (unknowns.length > 0) verdict = result('unknown', unknowns, []);
  else {
    verdict = result(
      'pass',
      [
        `${settings}; all ${manifest.length} evidence objects retained at least ${minDays} days after they were written`,
      ],
      [],
    );
  }
  return {
    summary: {
      location: status.location,
      immutable: status.immutable,
      versioning: status.versioning,
      lockMode: status.objectLock.enabled ? (status.objectLock.mode ?? 'none') : 'none',
      defaultRetentionDays: status.objectLock.days ?? null,
      verdict: verdict.verdict,
      notes: [...status.notes, ...status.lifecycle.map((rule) => `lifecycle: ${rule}`), ...verdict.reasons],
    },
    verdict,
  };
}

function listSome(items: readonly string[]): string[] {
  const shown = items.slice(0, LISTED_OBJECTS);
  return items.length > LISTED_OBJECTS ? [...shown, `… and ${items.length - LISTED_OBJECTS} more`] : shown;
}
