import type { Profile, TeamReference } from '../core/profile.ts';

/**
 * What the collectors must read for a profile's rules to be decidable, derived from the profile
 * alone: a profile that names its own Security Champs team gets that team snapshotted, and its
 * emergency label is the one the emergency trail searches for. A rule whose inputs were never
 * collected can only say `unknown`.
 */
export interface CollectionPlan {
  /** GitHub team slugs whose membership is snapshotted (sorted, each once). */
  readonly teams: readonly string[];
  /** The label that marks an emergency change. */
  readonly emergencyLabel: string;
}

export function collectionPlanOf(profile: Profile): CollectionPlan {
  const { teams, emergencyLabel } = profile.parameters;
  const references: readonly TeamReference[] = [
    teams.securityChamps,
    teams.sre,
    teams.incidentCommanders,
    teams.overrideApprovers,
  ];
  // A team written into the profile as a list of logins has nothing to snapshot.
  const slugs = references.filter((reference): reference is string => typeof reference === 'string');
  return { teams: [...new Set(slugs)].sort(), emergencyLabel };
}
