import { shortSha } from './change.ts';
import type { PeriodFacts } from './facts.ts';
import {
  FAILED_STATES,
  firstAtOrAfter,
  firstStatusTime,
  isCdAutomation,
  isProductionDeployment,
  productionTimeline,
} from './facts.ts';
import type { EvidenceItem } from './period-evidence.ts';
import { compareText } from './population.ts';
import type { ProfileParameters } from './profile.ts';

type Deployment = EvidenceItem<'deployment'>;

/** The time a deployment's failure became final: its latest `failure`/`error` status, if any. */
export function failureTime(item: Deployment): string | undefined {
  const times = item.doc.data.statuses
    .filter((status) => (FAILED_STATES as readonly string[]).includes(status.state))
    .map((status) => status.createdAt)
    .sort(compareText);
  return times[times.length - 1];
}

export function describeDeployment(item: Deployment): string {
  const d = item.doc.data;
  return `deployment ${d.id} of ${shortSha(d.sha)} to ${d.environment} at ${d.createdAt}`;
}

/** Who created a deployment, as a phrase: `deploy-bot (Bot)` or `dave`. */
export function deploymentCreator(item: Deployment): string {
  const d = item.doc.data;
  const creator = d.creator
    ? `${d.creator.login}${d.creator.type === 'Bot' ? ' (Bot)' : ''}`
    : 'an unknown creator';
  return d.performedViaApp ? `${creator} via app ${d.performedViaApp}` : creator;
}

/**
 * The pipeline check of one production deployment: its SHA deployed successfully to staging,
 * then to canary, before the production deployment was created; and created by CD automation.
 */
export function judgePipeline(
  production: Deployment,
  facts: PeriodFacts,
  parameters: ProfileParameters,
): { ok: boolean; text: string } {
  const d = production.doc.data;
  const created = Date.parse(d.createdAt);
  const sameSha = facts.deploymentsOfSha(production.doc.repo, d.sha);
  const successIn = (environment: string, notBefore: number): string | undefined =>
    sameSha
      .filter((item) => item.doc.data.environment === environment)
      .map((item) => firstStatusTime(item, ['success']))
      .filter((time): time is string => time !== undefined)
      .filter((time) => Date.parse(time) >= notBefore && Date.parse(time) <= created)
      .sort(compareText)[0];
  const problems: string[] = [];
  // Staging and canary count within the profile's look-back (14 days by default) before production.
  const lookbackStart = created - parameters.pipelineLookbackDays * 86_400_000;
  const staging = successIn(parameters.environments.staging, lookbackStart);
  const canary = staging ? successIn(parameters.environments.canary, Date.parse(staging)) : undefined;
  if (!staging)
    problems.push(
      `${shortSha(d.sha)} was not deployed successfully to ${parameters.environments.staging} before it`,
    );
  else if (!canary) {
    problems.push(
      `${shortSha(d.sha)} was not deployed successfully to ${parameters.environments.canary} after ${parameters.environments.staging} (${staging}) and before it`,
    );
  }
  if (!isCdAutomation(production, parameters)) {
    problems.push(`it was created by ${deploymentCreator(production)}, not by the CD automation`);
  }
  if (problems.length > 0)
    return { ok: false, text: `${describeDeployment(production)}: ${problems.join('; ')}` };
  return {
    ok: true,
    text:
      `${describeDeployment(production)} by ${deploymentCreator(production)} followed ` +
      `${parameters.environments.staging} (${staging}) and ${parameters.environments.canary} (${canary})`,
  };
}

/** The latest production deployment created before `item` that succeeded and did not fail. */
export function previousGoodDeployment(
  item: Deployment,
  facts: PeriodFacts,
  parameters: ProfileParameters,
): Deployment | undefined {
  const timeline = productionTimeline(facts, parameters, item.doc.repo, 'all');
  for (let i = firstAtOrAfter(timeline, Date.parse(item.doc.data.createdAt)) - 1; i >= 0; i--) {
    const other = timeline.items[i]!;
    if (
      other.doc.data.sha !== item.doc.data.sha &&
      firstStatusTime(other, ['success']) !== undefined &&
      failureTime(other) === undefined
    ) {
      return other;
    }
  }
  return undefined;
}

export type RollbackOutcome =
  | { readonly kind: 'rolled_back'; readonly text: string; readonly by?: Deployment }
  | { readonly kind: 'not_rolled_back'; readonly text: string }
  | { readonly kind: 'unknown'; readonly text: string };

/**
 * A failed production deployment was rolled back when, within the rollback window after its
 * failure, it got an `inactive` status or the previous good SHA was deployed to production
 * again and succeeded.
 */
export function judgeRollback(
  failed: Deployment,
  facts: PeriodFacts,
  parameters: ProfileParameters,
): RollbackOutcome {
  const failedAt = failureTime(failed);
  if (!failedAt) return { kind: 'rolled_back', text: `${describeDeployment(failed)} did not fail` };
  const deadline = Date.parse(failedAt) + parameters.rollbackWindowMinutes * 60_000;
  const within = (time: string) => Date.parse(time) >= Date.parse(failedAt) && Date.parse(time) <= deadline;
  const inactive = failed.doc.data.statuses.find(
    (status) => status.state === 'inactive' && within(status.createdAt),
  );
  if (inactive) {
    return {
      kind: 'rolled_back',
      text: `${describeDeployment(failed)} failed at ${failedAt} and was set inactive at ${inactive.createdAt}`,
    };
  }
  const good = previousGoodDeployment(failed, facts, parameters);
  if (good) {
    const redeploy = facts
      .deploymentsOfSha(failed.doc.repo, good.doc.data.sha)
      .find(
        (other) =>
          other !== failed &&
          isProductionDeployment(other, parameters) &&
          other.doc.data.sha === good.doc.data.sha &&
          Date.parse(other.doc.data.createdAt) >= Date.parse(failed.doc.data.createdAt) &&
          within(other.doc.data.createdAt) &&
          firstStatusTime(other, ['success']) !== undefined,
      );
    if (redeploy) {
      return {
        kind: 'rolled_back',
        by: redeploy,
        text:
          `${describeDeployment(failed)} failed at ${failedAt}; the previous good ${shortSha(good.doc.data.sha)} ` +
          `was redeployed by deployment ${redeploy.doc.data.id} at ${redeploy.doc.data.createdAt}`,
      };
    }
    return {
      kind: 'not_rolled_back',
      text:
        `${describeDeployment(failed)} failed at ${failedAt}, and the previous good ${shortSha(good.doc.data.sha)} was not ` +
        `redeployed (nor the deployment set inactive) within ${parameters.rollbackWindowMinutes} minutes`,
    };
  }
  return {
    kind: 'unknown',
    text:
      `${describeDeployment(failed)} failed at ${failedAt} and was not set inactive within ${parameters.rollbackWindowMinutes} ` +
      'minutes; no earlier successful production deployment is in the evidence to tell a rollback',
  };
}

/**
 * A successful production deployment that was rolled back: the next production deployment
 * after it put the previous good SHA back.
 */
export function wasRolledBack(
  item: Deployment,
  facts: PeriodFacts,
  parameters: ProfileParameters,
): Deployment | undefined {
  if (firstStatusTime(item, ['success']) === undefined) return undefined;
  const created = Date.parse(item.doc.data.createdAt);
  const timeline = productionTimeline(facts, parameters, item.doc.repo, 'all');
  let i = firstAtOrAfter(timeline, created);
  while (i < timeline.items.length && (timeline.times[i]! <= created || timeline.items[i] === item)) i++;
  const next = timeline.items[i];
  if (!next) return undefined;
  const good = previousGoodDeployment(item, facts, parameters);
  return good && next.doc.data.sha === good.doc.data.sha ? next : undefined;
}
