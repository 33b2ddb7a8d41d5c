import { describeDeployment, failureTime, judgeRollback } from '../deployments.ts';
import { shippingDeployments } from '../facts.ts';
import { type ControlRule, notShippedResult, result, unlessDeploymentsWithheld } from './rule.ts';

/** Clerk §3: automated rollback on failed health checks; Clicki: reverted or mitigated promptly. */
export const rollback: ControlRule = {
  id: 'ROLLBACK',
  title: 'A failed deploy was rolled back automatically',
  howDecided:
    'Judged on the production deployments that shipped the change (as for CD-PIPELINE). Each that ended in failure or ' +
    "error must, within the profile's rollback window after its last failure status, have been set inactive or been " +
    'followed by a successful production deployment of the previous good SHA. Deployed without a failure passes; not ' +
    'deployed to production by the settle time is not applicable ("not shipped in the period"); a failure with no ' +
    'earlier good deployment in the evidence is unknown, and so is a failure while a gap withholds deployments.',
  evaluate(change, { facts, parameters }) {
    const { attempts } = shippingDeployments(change, facts, parameters);
    if (attempts.length === 0) return notShippedResult(change, facts);
    const failed = attempts.filter((attempt) => failureTime(attempt) !== undefined);
    if (failed.length === 0) {
      return result(
        'pass',
        attempts.map((attempt) => `${describeDeployment(attempt)} did not fail: no rollback was needed`),
        attempts.map((attempt) => attempt.ref),
      );
    }
    const outcomes = failed.map((attempt) => ({
      attempt,
      outcome: judgeRollback(attempt, facts, parameters),
    }));
    const evidence = outcomes.flatMap(({ attempt, outcome }) =>
      outcome.kind === 'rolled_back' && outcome.by ? [attempt.ref, outcome.by.ref] : [attempt.ref],
    );
    const notRolledBack = outcomes.filter(({ outcome }) => outcome.kind === 'not_rolled_back');
    if (notRolledBack.length > 0)
      return unlessDeploymentsWithheld(
        result(
          'fail',
          notRolledBack.map(({ outcome }) => outcome.text),
          evidence,
        ),
        change,
        facts,
      );
    const unknown = outcomes.filter(({ outcome }) => outcome.kind === 'unknown');
    if (unknown.length > 0)
      return result(
        'unknown',
        unknown.map(({ outcome }) => outcome.text),
        evidence,
      );
    return result(
      'pass',
      outcomes.map(({ outcome }) => outcome.text),
      evidence,
    );
  },
};
