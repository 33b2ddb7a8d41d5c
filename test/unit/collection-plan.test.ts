import { describe, expect, it } from 'vitest';
import { collectionPlanOf } from '../../lambdas/app/collection-plan.ts';
import { shippedProfile } from '../../lambdas/core/shipped-profiles.ts';

describe('the collection plan of a profile', () => {
  it('snapshots the teams the shipped profile names and searches its emergency label', () => {
    expect(collectionPlanOf(shippedProfile('clerk-cm01').profile)).toEqual({
      teams: ['incident-commanders', 'override-approvers', 'security-champs', 'sre'],
      emergencyLabel: 'emergency-change',
    });
  });

  it('follows a profile’s own team slugs and label; a team given as logins needs no snapshot', () => {
    const profile = structuredClone(shippedProfile('clicki').profile);
    profile.parameters.teams.securityChamps = 'appsec-guild';
    profile.parameters.teams.sre = 'appsec-guild';
    profile.parameters.teams.overrideApprovers = { logins: ['alice'] };
    profile.parameters.emergencyLabel = 'hotfix';
    expect(collectionPlanOf(profile)).toEqual({
      teams: ['appsec-guild', profile.parameters.teams.incidentCommanders as string].sort(),
      emergencyLabel: 'hotfix',
    });
  });
});
