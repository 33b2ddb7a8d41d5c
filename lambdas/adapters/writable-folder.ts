import { randomBytes } from 'node:crypto';
import { mkdir, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeError, InputError } from '../errors.ts';

/**
 * That `dir` is (or can become) a folder this process can write, checked before anything is
 * collected or stored, and without leaving anything behind: the probe — a folder made and
 * removed at once — goes in the nearest folder that exists, and `dir` itself is not created.
 * Checked by writing, since permission bits say nothing of read-only mounts, `/proc` or root.
 * (It also spares `mkdir -p` under `/proc`, which fails there with ENOENT and Node retries forever.)
 */
export async function assertWritableFolder(dir: string, field: string): Promise<void> {
  let existing = dir;
  for (;;) {
    try {
      const info = await stat(existing);
      if (!info.isDirectory()) {
        throw new InputError(
          field,
          existing === dir ? `${dir} is not a folder` : `${dir} cannot be made: ${existing} is not a folder`,
        );
      }
      break;
    } catch (error: unknown) {
      if (error instanceof InputError) throw error;
      const missing = error instanceof Error && 'code' in error && error.code === 'ENOENT';
      if (!missing || dirname(existing) === existing) {
        throw new InputError(field, `cannot use ${dir}: ${describeError(error)}`, { cause: error });
      }
      existing = dirname(existing);
    }
  }
  const probe = join(existing, `.cm01-write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(probe);
  } catch (error: unknown) {
    throw new InputError(field, `cannot write in ${existing}: ${describeError(error)}`, { cause: error });
  }
  await rmdir(probe);
}
