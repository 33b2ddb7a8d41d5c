import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.ts';
import { parseProfile } from './profile.ts';
import {
  isShippedProfileId,
  type LoadedProfile,
  SHIPPED_PROFILE_IDS,
  shippedProfile,
} from './shipped-profiles.ts';

/**
 * The one place that reads a profile from disk; everything else in `core` is pure. A value that
 * names a shipped profile id wins over a file of the same name in the working directory.
 */
export async function resolveProfile(idOrPath: string, field = '--profile'): Promise<LoadedProfile> {
  if (isShippedProfileId(idOrPath)) return shippedProfile(idOrPath, field);
  if (!/[/\\.]/.test(idOrPath)) {
    // A bare word that is no shipped id is most likely a typo of one, not a file name.
    return shippedProfile(idOrPath, field);
  }
  let text: string;
  try {
    text = await readFile(idOrPath, 'utf8');
  } catch (error: unknown) {
    throw new InputError(field, `cannot read profile file ${idOrPath}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    throw new InputError(field, `profile file ${idOrPath} is not valid JSON`, { cause: error });
  }
  const profile = parseProfile(json, idOrPath);
  // A file claiming a shipped id would render under that profile's official pack name (and, on a
  // case-insensitive disk, over it): refused, whatever the case.
  const claimed = SHIPPED_PROFILE_IDS.find((id) => id.toLowerCase() === profile.id.toLowerCase());
  if (claimed !== undefined) {
    throw new InputError(
      field,
      `profile file ${idOrPath} claims the id "${profile.id}" of the shipped profile ${claimed}: give your profile its own id (its pack is named after it)`,
    );
  }
  return {
    profile,
    source: text.endsWith('\n') ? text : `${text}\n`,
    origin: idOrPath,
  };
}
