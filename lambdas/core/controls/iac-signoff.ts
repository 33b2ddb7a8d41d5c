import type { ControlRule } from './rule.ts';
import { judgeSpecialistReview } from './specialist-review.ts';

/** Clerk §3.5: SRE sign-off is required for infrastructure-as-code changes. */
export const iacSignoff: ControlRule = {
  id: 'IAC-SIGNOFF',
  title: 'Infrastructure-as-code changes signed off by SRE',
  howDecided:
    "A PR is an infrastructure change when a changed path matches the profile's IaC globs (Terraform and its .tfvars, " +
    'HCL, cdk.json, CloudFormation, templates, a SAM template.yaml at the root, k8s, Helm, charts, kustomization, ' +
    '.github/workflows: the deploy pipeline is infrastructure), or lib/**/*.ts in a repository whose default branch has a ' +
    'cdk.json at its root (read from the default branch as evidence; not read gives unknown), or CODEOWNERS on the ' +
    'default branch assigns a changed path to the SRE team (last matching line wins), or it ever carried the infrastructure ' +
    'label; it then needs an approval, not dismissed, before the merge, on the merged code, by an independent member ' +
    '(not the author, a bot, or anyone who wrote or pushed a commit of the PR) of the SRE team as snapshotted ' +
    'nearest the merge. Other PRs are not applicable. No membership snapshot, or an incomplete file or review list, ' +
    "gives unknown; so does a direct push, whose files are not collected. When who pushed some of the PR's commits is not known (repository activity out of reach), an approval that would count gives unknown: its author may have pushed code of their own.",
  evaluate(change, context) {
    const { parameters } = context;
    return judgeSpecialistReview(change, context, {
      kind: 'infrastructure-as-code',
      globs: parameters.iacPaths,
      cdkGlobs: parameters.cdkIacPaths,
      label: parameters.iacLabel,
      team: parameters.teams.sre,
      teamTitle: 'SRE',
    });
  },
};
