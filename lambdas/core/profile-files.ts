import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.ts';
import { parseProfile } from './profile.ts';
import { isShippedProfileId, type LoadedProfile, shippedProfile } from './shipped-profiles.ts';

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
  return {
    profile: parseProfile(json, idOrPath),
    source: text.endsWith('\n') ? text : `${text}\n`,
    origin: idOrPath,
  };
}
