import { judgePipeline } from '../deployments.ts';
import { shippingDeployments } from '../facts.ts';
import { type ControlRule, notShippedResult, result, unlessDeploymentsWithheld } from './rule.ts';

/** Clerk §3/§5: CD auto-rolls staging ⇒ canary ⇒ prod; engineers cannot push to production by hand. */
export const cdPipeline: ControlRule = {
  id: 'CD-PIPELINE',
  title: 'Production deploys go through the pipeline, in order',
  howDecided:
    "The change's production deployments are those created from the start of the period up to its settle time (by " +
    "default the 3rd of the next month, 06:00 UTC, when the monthly pack is built) whose SHA is the change's commit or a later " +
    'default-branch commit containing it, up to the first that succeeded: a change merged on the 31st and deployed on the ' +
    '1st is judged by that deployment. Each must have had its SHA deployed ' +
    'successfully to staging, then to canary, before the production deployment was created (staging and canary are ' +
    "read up to the profile's look-back, 14 days, before it; the canary stage is the environment named canary even " +
    'where GitHub flags it a production environment), and must have been created ' +
    'by the CD automation (a Bot account or the github-actions app). A change not deployed to production by the ' +
    'settle time is not applicable ("not shipped in the period"); when a gap withholds the repository\'s deployments ' +
    'from the merge on, a verdict other than pass is unknown, naming the gap.',
  evaluate(change, { facts, parameters }) {
    const { attempts } = shippingDeployments(change, facts, parameters);
    if (attempts.length === 0) return notShippedResult(change, facts);
    const judged = attempts.map((attempt) => judgePipeline(attempt, facts, parameters));
    const evidence = attempts.map((attempt) => attempt.ref);
    const failures = judged.filter((entry) => !entry.ok);
    if (failures.length > 0)
      return unlessDeploymentsWithheld(
        result(
          'fail',
          failures.map((entry) => entry.text),
          evidence,
        ),
        change,
        facts,
      );
    return result(
      'pass',
      judged.map((entry) => entry.text),
      evidence,
    );
  },
};
