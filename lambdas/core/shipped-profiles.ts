import { malformedInput } from '../errors.ts';
import { type Profile, parseProfile } from './profile.ts';
import clerkCm01 from './profiles/clerk-cm01.json' with { type: 'json' };
import clicki from './profiles/clicki.json' with { type: 'json' };

/**
 * The profiles that ship with the tool. Imported as JSON modules so that bundlers put them
 * into every Lambda; validated with the same parser as a company's own profile file.
 */
const SHIPPED_SOURCES: Readonly<Record<string, unknown>> = {
  'clerk-cm01': clerkCm01,
  clicki,
};

export const SHIPPED_PROFILE_IDS = Object.keys(SHIPPED_SOURCES).sort();
export const DEFAULT_PROFILE_ID = 'clerk-cm01';

export interface LoadedProfile {
  readonly profile: Profile;
  /** The profile as pretty-printed JSON text, printed in the pack's appendix. */
  readonly source: string;
  /** Where it came from: `shipped:clerk-cm01` or a file path. */
  readonly origin: string;
}

export function isShippedProfileId(id: string): boolean {
  return Object.hasOwn(SHIPPED_SOURCES, id);
}

export function shippedProfile(id: string, field = '--profile'): LoadedProfile {
  const json = SHIPPED_SOURCES[id];
  if (json === undefined) {
    throw malformedInput(
      field,
      `"${id}" is not a shipped profile (shipped: ${SHIPPED_PROFILE_IDS.join(', ')})`,
    );
  }
  return {
    profile: parseProfile(json, `shipped profile ${id}`),
    source: `${JSON.stringify(json, null, 2)}\n`,
    origin: `shipped:${id}`,
  };
}
