import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { assertWritableFolder as assertWritableFolderAdapter } from '../../lambdas/adapters/writable-folder.ts';
import { describeError, InputError, malformedInput } from '../../lambdas/errors.ts';

/**
 * The command line's own files: the output folder checked writable before any work, pack files
 * written under temporary names then renamed (nothing half-written), and folders a failed
 * command created removed again when they hold nothing.
 */

/** Folders that did not exist when the command started; removed on failure if still empty. */
export class CreatedFolders {
  private readonly roots: string[] = [];

  /** Remember `dir` when it does not exist yet (it, or the folders it will be made in). */
  async watch(dir: string): Promise<void> {
    let missing: string | undefined;
    let current = resolve(dir);
    while (!(await exists(current))) {
      missing = current;
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
    if (missing !== undefined) this.roots.push(missing);
  }

  /** Remove every watched folder that holds no file (only empty folders are ever removed). */
  async sweep(): Promise<void> {
    for (const root of this.roots.reverse()) await removeEmptyFolders(root);
  }
}

async function removeEmptyFolders(dir: string): Promise<boolean> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (!(await removeEmptyFolders(join(dir, entry.name)))) empty = false;
    } else empty = false;
  }
  if (!empty) return false;
  try {
    await rmdir(dir);
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Check before any work that files can be written into `dir` (a folder, or the nearest existing
 * folder it would be created in), without creating anything; the folder, resolved.
 */
export async function assertWritableFolder(dir: string, field: string): Promise<string> {
  if (dir.trim() === '') throw malformedInput(field, 'is empty: name a folder');
  const target = resolve(dir);
  await assertWritableFolderAdapter(target, field);
  return target;
}

/** Write every file under a temporary name first, then rename: nothing half-written on failure. */
export async function writeFilesAtomically(
  dir: string,
  files: readonly { name: string; bytes: Uint8Array }[],
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const temps: string[] = [];
  try {
    for (const file of files) {
      const temp = join(dir, `.${file.name}.${process.pid}.tmp`);
      temps.push(temp);
      await writeFile(temp, file.bytes);
    }
  } catch (error: unknown) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw new InputError('--out', `cannot write into ${dir}: ${describeError(error)}`, { cause: error });
  }
  const paths: string[] = [];
  for (const [i, file] of files.entries()) {
    const path = join(dir, file.name);
    await rename(temps[i] as string, path);
    paths.push(path);
  }
  return paths;
}
