import type { ControlRule } from './rule.ts';
import { judgeSpecialistReview } from './specialist-review.ts';

/** Clerk §3.4: auth, crypto, secrets and PII changes need a Security Champ, regardless of peer review. */
export const securityReview: ControlRule = {
  id: 'SECURITY-REVIEW',
  title: 'Security-sensitive changes reviewed by a Security Champ',
  howDecided:
    'A PR is security-sensitive when a changed path has a folder or file name containing auth, oauth, login, session, ' +
    "crypt, secret, token, password, credential or pii (the profile's security globs), or CODEOWNERS on the default " +
    'branch assigns a changed path to the Security Champs team (last matching line wins), or it ever carried the ' +
    'security label; it then needs an approval, not dismissed, before the merge, ' +
    'on the merged code (an approval of an earlier commit no longer counts once code was pushed after it), by an ' +
    'independent person (not the author, a bot, or anyone who wrote or pushed a commit of the PR) ' +
    'who is a member of the Security Champs team as snapshotted nearest the merge. Other PRs are not applicable. No ' +
    'membership snapshot, or an incomplete file or review list, gives unknown; so does a direct push, whose files are ' +
    "not collected. When who pushed some of the PR's commits is not known (repository activity out of reach), an approval that would count gives unknown: its author may have pushed code of their own.",
  evaluate(change, context) {
    const { parameters } = context;
    return judgeSpecialistReview(change, context, {
      kind: 'security-sensitive',
      globs: parameters.securityPaths,
      label: parameters.securityLabel,
      team: parameters.teams.securityChamps,
      teamTitle: 'Security Champs',
    });
  },
};
