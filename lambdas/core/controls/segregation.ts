import { changeEvidence } from '../change.ts';
import { isCdAutomation, shippingDeployments } from '../facts.ts';
import type { EvidenceItem } from '../period-evidence.ts';
import type { ProfileParameters } from '../profile.ts';
import { readApprovals, unverifiedApprovals } from './approvals.ts';
import { emergencyExemption } from './emergency.ts';
import { type ControlRule, incompleteLists, pullRequestEvidenceMissing, result } from './rule.ts';

/** Clicki "reviewer vs deployer"; Clerk §5 keeps the author accountable (informational). */
export const segregation: ControlRule = {
  id: 'SEGREGATION',
  title: 'Reviewer and deployer are not the same person as the author',
  howDecided:
    'Fails when no independent person approved the change before the merge, on the merged code (the PR author, a bot ' +
    'or app account, and anyone who authored, committed, co-authored or pushed a commit of the PR do not count; a ' +
    'direct push, or code deployed to production without reaching the default branch, has no approver), or ' +
    'when the person who deployed it to production is its only approver. The deployer is the human who created the ' +
    'production deployment, or who dispatched the workflow that created it; the CD automation is nobody. An incomplete ' +
    "review list without an approval gives unknown. When who pushed some of the PR's commits is not known (repository activity out of reach), an approval that would count gives unknown: its author may have pushed code of their own. Where the profile lets emergencies bypass approval (Clicki), a " +
    'change whose EMERGENCY verdict is pass is not applicable.',
  evaluate(change, context) {
    const { facts, parameters } = context;
    const emergencyBypass = emergencyExemption(change, context);
    if (emergencyBypass) return emergencyBypass;
    if (change.type === 'production_deploy') {
      return result(
        'fail',
        [
          `${change.commitSha.slice(0, 7)} was deployed to production by ${change.author ?? 'an unknown user'} without anyone reviewing it`,
        ],
        changeEvidence(change),
      );
    }
    if (change.type === 'direct_push') {
      return result(
        'fail',
        [
          `commit ${change.commitSha.slice(0, 7)} was pushed directly by ${change.author ?? 'an unknown user'}: nobody else approved it`,
        ],
        changeEvidence(change),
      );
    }
    const pr = change.pullRequest;
    if (!pr) return pullRequestEvidenceMissing(change);
    const data = pr.doc.data;
    const author = data.author?.login ?? 'an unknown author';
    const { counted, refused, unverified, unverifiedBecause } = readApprovals(pr);
    const approvers = [...new Set(counted.map((review) => review.author!))].sort();
    if (approvers.length === 0 && unverified.length > 0) {
      return unverifiedApprovals(unverified, unverifiedBecause, [pr.ref]);
    }
    if (approvers.length === 0) {
      const incomplete = incompleteLists(pr, 'reviews');
      if (incomplete.length > 0) return result('unknown', incomplete, [pr.ref]);
      return result(
        'fail',
        [
          `PR #${data.number} was approved by nobody other than its author ${author} before the merge`,
          ...refused,
        ],
        [pr.ref],
      );
    }
    const { shipped, attempts } = shippingDeployments(change, facts, parameters);
    const deployment = shipped ?? attempts[attempts.length - 1];
    const deployer = deployment ? humanDeployer(deployment, parameters) : undefined;
    const evidence = deployment ? [pr.ref, deployment.ref] : [pr.ref];
    if (deployer && approvers.length === 1 && approvers[0] === deployer) {
      return result(
        'fail',
        [
          `${deployer} is both the only approver of PR #${data.number} and who deployed it to production (deployment ${deployment!.doc.data.id})`,
        ],
        evidence,
      );
    }
    const deployedBy = deployment ? `; deployed to production by ${deployer ?? 'the CD automation'}` : '';
    return result(
      'pass',
      [`PR #${data.number} by ${author} approved by ${approvers.join(', ')}${deployedBy}`],
      evidence,
    );
  },
};

/** The person behind a deployment, or undefined when the CD automation made it on its own. */
function humanDeployer(item: EvidenceItem<'deployment'>, parameters: ProfileParameters): string | undefined {
  const d = item.doc.data;
  if (!isCdAutomation(item, parameters)) return d.creator?.login;
  const run = d.workflowRun;
  if (run && run.event === 'workflow_dispatch') return run.triggeringActor ?? run.actor ?? undefined;
  return undefined;
}
