import type { ControlRule } from './rule.ts';
import { judgeSpecialistReview } from './specialist-review.ts';

/** Clerk §3.5: SRE sign-off is required for infrastructure-as-code changes. */
export const iacSignoff: ControlRule = {
  id: 'IAC-SIGNOFF',
  title: 'Infrastructure-as-code changes signed off by SRE',
  howDecided:
    "A PR is an infrastructure change when a changed path matches the profile's IaC globs (Terraform, cdk.json, " +
    'CloudFormation, templates, k8s, Helm; lib/**/*.ts in the repositories the profile counts as CDK ones) or it ever carried the infrastructure ' +
    'label; it then needs an approval, not dismissed, before the merge, on the merged code, by an independent member ' +
    '(not the author, a bot, or anyone who wrote or pushed a commit of the PR) of the SRE team as snapshotted ' +
    'nearest the merge. Other PRs are not applicable. No membership snapshot, or an incomplete file or review list, ' +
    'gives unknown; so does a direct push, whose files are not collected.',
  evaluate(change, context) {
    const { parameters, facts } = context;
    const cdk = facts.isCdkRepository(change.repo) ? parameters.cdkIacPaths : [];
    return judgeSpecialistReview(change, context, {
      kind: 'infrastructure-as-code',
      globs: [...parameters.iacPaths, ...cdk],
      label: parameters.iacLabel,
      team: parameters.teams.sre,
      teamTitle: 'SRE',
    });
  },
};
