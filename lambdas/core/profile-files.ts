import { open } from 'node:fs/promises';
import { describeError, InputError, malformedInput } from '../errors.ts';
import { parseProfile } from './profile.ts';
import {
  isShippedProfileId,
  type LoadedProfile,
  SHIPPED_PROFILE_IDS,
  shippedProfile,
} from './shipped-profiles.ts';

/**
 * A profile is a few kilobytes of JSON; a file far larger is a wrong path (a log, a data dump, a
 * device), refused by its size before it is read into memory.
 */
export const MAX_PROFILE_FILE_BYTES = 1 << 20;

/**
 * The one place that reads a profile from disk; everything else in `core` is pure. A value that
 * names a shipped profile id wins over a file of the same name in the working directory.
 */
export async function resolveProfile(idOrPath: string, field = '--profile'): Promise<LoadedProfile> {
  if (idOrPath.trim() === '') throw malformedInput(field, 'is empty: name a shipped profile or a file');
  if (isShippedProfileId(idOrPath)) return shippedProfile(idOrPath, field);
  if (!/[/\\.]/.test(idOrPath)) {
    // A bare word that is no shipped id is most likely a typo of one, not a file name.
    return shippedProfile(idOrPath, field);
  }
  const text = await readProfileFile(idOrPath, field);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    throw new InputError(field, `profile file ${idOrPath} is not valid JSON: ${describeError(error)}`, {
      cause: error,
    });
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

/** A regular file of at most MAX_PROFILE_FILE_BYTES, read through one handle (no swap between check and read). */
async function readProfileFile(path: string, field: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error: unknown) {
    throw new InputError(field, `cannot read profile file ${path}: ${describeError(error)}`, {
      cause: error,
    });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new InputError(field, `${path} is not a regular file`);
    if (info.size > MAX_PROFILE_FILE_BYTES) {
      throw new InputError(
        field,
        `profile file ${path} is ${info.size} bytes; a profile is at most ${MAX_PROFILE_FILE_BYTES} bytes (is it the right file?)`,
      );
    }
    // Read at most one byte past the limit: a file that grows after the check is still refused.
    const buffer = Buffer.alloc(MAX_PROFILE_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_PROFILE_FILE_BYTES) {
        throw new InputError(field, `profile file ${path} is larger than ${MAX_PROFILE_FILE_BYTES} bytes`);
      }
    }
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    try {
      return text.decode(buffer.subarray(0, length));
    } catch (error: unknown) {
      throw new InputError(field, `profile file ${path} is not UTF-8 text`, { cause: error });
    }
  } catch (error: unknown) {
    if (error instanceof InputError) throw error;
    throw new InputError(field, `cannot read profile file ${path}: ${describeError(error)}`, {
      cause: error,
    });
  } finally {
    await handle.close();
  }
}
