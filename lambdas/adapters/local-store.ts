import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';
import { describeError, InputError, RetentionError, StoreError } from '../errors.ts';
import { sha256Hex } from '../evidence/canonical-json.ts';
import type {
  CurrentVersion,
  EvidenceStore,
  PutObjectInput,
  PutResult,
  RetentionStatus,
  StoredBody,
  StoredObject,
} from '../evidence/ports.ts';
import { assertWritableFolder } from './writable-folder.ts';

/**
 * The local locker: the embedded evidence store for one machine, in a plain directory.
 *
 *   DIR/objects/<key>.v/<versionId>.data   the bytes of one version (made read-only)
 *   DIR/objects/<key>.v/<versionId>.json   its metadata: SHA-256, content hash, retain-until…
 *   DIR/objects/<key>.v/current            the id of the current version
 *
 * Every version of every key is kept; this tool refuses to overwrite a version or delete it
 * before its retain-until, and verifies the SHA-256 on every read. It is *not* immutable: the
 * file system lets anyone with access change or delete the files, and `retention()` says so.
 */

const DAY_MS = 86_400_000;
const VERSIONS_SUFFIX = '.v';
const CURRENT = 'current';

export const LOCAL_NOT_IMMUTABLE_NOTE =
  'local directory: versions are kept and deletion is refused by this tool, but the file system does not enforce it (not immutable)';

const versionMetaSchema = z.object({
  key: z.string(),
  versionId: z.string(),
  sha256: z.string(),
  contentHash: z.string(),
  retainUntil: z.string(),
  size: z.number(),
  lastModified: z.string(),
  contentType: z.string(),
});
type VersionMeta = z.infer<typeof versionMetaSchema>;

export interface LocalEvidenceStoreOptions {
  readonly dir: string;
  /** Default 365. */
  readonly defaultRetentionDays?: number;
  readonly now?: () => Date;
}

export class LocalEvidenceStore implements EvidenceStore {
  readonly location: string;
  readonly defaultRetentionDays: number;
  readonly dir: string;
  private readonly objectsDir: string;
  private readonly now: () => Date;
  /** Orders versions written within one millisecond by this process. */
  private sequence = 0;

  constructor(options: LocalEvidenceStoreOptions) {
    this.dir = options.dir;
    this.objectsDir = join(options.dir, 'objects');
    this.location = `local:${options.dir}`;
    this.defaultRetentionDays = options.defaultRetentionDays ?? 365;
    this.now = options.now ?? (() => new Date());
  }

  async put(input: PutObjectInput): Promise<PutResult> {
    const versionsDir = this.versionsDir(input.key);
    const sha256 = sha256Hex(input.body);
    const contentHash = input.contentHash ?? sha256;
    const current = await this.head(input.key);
    if (current && current.contentHash === contentHash) return { ...current, written: false };

    const now = this.now();
    const floor = new Date(now.getTime() + this.defaultRetentionDays * DAY_MS);
    const retainUntil = input.retainUntil && input.retainUntil > floor ? input.retainUntil : floor;
    const versionId = this.newVersionId(now);
    const meta: VersionMeta = {
      key: input.key,
      versionId,
      sha256,
      contentHash,
      retainUntil: retainUntil.toISOString(),
      size: input.body.byteLength,
      lastModified: now.toISOString(),
      contentType: input.contentType,
    };
    try {
      await mkdir(versionsDir, { recursive: true });
      // Data first, then metadata, then the pointer: a crash leaves at worst an unreferenced
      // version, never a current version without its bytes.
      await writeNewFile(join(versionsDir, `${versionId}.data`), input.body);
      await writeNewFile(join(versionsDir, `${versionId}.json`), JSON.stringify(meta));
      await replaceFile(join(versionsDir, CURRENT), versionId);
    } catch (error: unknown) {
      throw new StoreError(`${this.location}: could not write ${input.key}: ${describeError(error)}`, {
        cause: error,
      });
    }
    return { ...storedObjectOf(meta), written: true };
  }

  async get(key: string, versionId?: string): Promise<StoredBody> {
    // The key's folder, checked and joined once for the metadata and the bytes.
    const versionsDir = this.versionsDir(key);
    const id = versionId ?? this.currentVersionIn(versionsDir, key);
    const meta = id ? this.readMetaIn(versionsDir, key, id) : undefined;
    if (!id || !meta) {
      throw new StoreError(
        `${this.location} has no object ${key}${versionId ? ` version ${versionId}` : ''}`,
      );
    }
    let body: Uint8Array;
    try {
      // A Buffer is a Uint8Array: no second copy of every object a pack reads.
      body = readSmallBytes(`${versionsDir}${sep}${id}.data`);
    } catch (error: unknown) {
      throw new StoreError(`${this.location}: the bytes of ${key} version ${id} are missing`, {
        cause: error,
      });
    }
    const actual = sha256Hex(body);
    if (actual !== meta.sha256) {
      throw new StoreError(
        `${this.location}/${key} version ${id} is corrupted: its SHA-256 is ${actual}, recorded ${meta.sha256}`,
      );
    }
    return { body, object: storedObjectOf(meta), bodySha256: actual };
  }

  async head(key: string, versionId?: string): Promise<StoredObject | undefined> {
    const id = versionId ?? (await this.currentVersionId(key));
    if (!id) return undefined;
    const meta = await this.readMeta(key, id);
    return meta ? storedObjectOf(meta) : undefined;
  }

  async listVersions(key: string): Promise<StoredObject[]> {
    const versionsDir = this.versionsDir(key);
    let names: string[];
    try {
      names = await readdir(versionsDir);
    } catch {
      return [];
    }
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
    const metas = await Promise.all(ids.map((id) => this.readMeta(key, id)));
    // Version ids sort by write time (see newVersionId): newest first.
    return metas
      .filter((m): m is VersionMeta => m !== undefined)
      .sort((a, b) => (a.versionId < b.versionId ? 1 : -1))
      .map(storedObjectOf);
  }

  async listKeys(prefix: string): Promise<string[]> {
    return (await this.listCurrentVersions(prefix)).map((current) => current.key);
  }

  async listCurrentVersions(prefix: string): Promise<CurrentVersion[]> {
    const current: CurrentVersion[] = [];
    const folder = this.folderOf(prefix);
    // The key of that folder, as its path below the objects folder spells it.
    const below = relative(this.objectsDir, folder).split(sep).filter(Boolean).join('/');
    walkVersionDirs(folder, below === '' ? '' : `${below}/`, (versionsDir, key) => {
      if (!key.startsWith(prefix)) return;
      const versionId = this.currentVersionIn(versionsDir, key);
      if (versionId) current.push({ key, versionId });
    });
    return current.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async listFolders(prefix: string): Promise<string[]> {
    if (!prefix.endsWith('/'))
      throw new StoreError(`listFolders needs a prefix ending in "/", got "${prefix}"`);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(this.folderOf(prefix), { withFileTypes: true });
    } catch (error: unknown) {
      if (isMissing(error)) return [];
      throw new StoreError(`${this.location}: could not list ${prefix}: ${describeError(error)}`, {
        cause: error,
      });
    }
    return entries
      .filter((entry) => entry.isDirectory() && !entry.name.endsWith(VERSIONS_SUFFIX))
      .map((entry) => entry.name)
      .sort();
  }

  /** The deepest folder a prefix names: a prefix of one repository or month does not walk the whole store. */
  private folderOf(prefix: string): string {
    const prefixDir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const segments = prefixDir.split('/').filter(Boolean);
    if (prefix.includes('\\') || segments.some((s) => s === '.' || s === '..')) {
      throw new InputError('key', `"${prefix}" is not a valid key prefix (no ".", ".." or "\\")`);
    }
    return join(this.objectsDir, ...segments);
  }

  async retention(): Promise<RetentionStatus> {
    return {
      store: 'local',
      location: this.dir,
      immutable: false,
      versioning: 'Enabled',
      objectLock: { enabled: false },
      lifecycle: [],
      notes: [
        LOCAL_NOT_IMMUTABLE_NOTE,
        `every version is kept for at least ${this.defaultRetentionDays} days; nothing expires automatically`,
      ],
    };
  }

  async presignGet(): Promise<string | undefined> {
    return undefined;
  }

  /**
   * Delete one version, refused with `RetentionError` before its retain-until. Not part of the
   * port (no use-case deletes evidence); it exists so the refusal can be shown and tested.
   */
  async deleteVersion(key: string, versionId: string): Promise<void> {
    const meta = await this.readMeta(key, versionId);
    if (!meta) throw new StoreError(`${this.location} has no object ${key} version ${versionId}`);
    if (Date.parse(meta.retainUntil) > this.now().getTime()) {
      throw new RetentionError(
        `${this.location}/${key} version ${versionId} is retained until ${meta.retainUntil}: deletion refused`,
      );
    }
    const versionsDir = this.versionsDir(key);
    await rm(join(versionsDir, `${versionId}.data`), { force: true });
    await rm(join(versionsDir, `${versionId}.json`), { force: true });
    if ((await this.currentVersionId(key)) === versionId) {
      const [newest] = await this.listVersions(key);
      if (newest) await replaceFile(join(versionsDir, CURRENT), newest.versionId);
      else await rm(join(versionsDir, CURRENT), { force: true });
    }
  }

  private versionsDir(key: string): string {
    const segments = key.split('/');
    const folders = segments.slice(0, -1);
    if (
      key.length === 0 ||
      key.includes('\\') ||
      segments.some((s) => s === '' || s === '.' || s === '..') ||
      // A folder named like a version folder would be mistaken for one when listing.
      folders.some((s) => s.endsWith(VERSIONS_SUFFIX))
    ) {
      throw new InputError(
        'key',
        `"${key}" is not a valid object key (no empty, ".", ".." or "*.v" folder segments)`,
      );
    }
    // The segments are checked above, so joining them by hand is what `path.join` would make,
    // without normalising the path again on each of a pack's 100,000+ reads.
    return `${this.objectsDir}${sep}${segments.join(sep)}${VERSIONS_SUFFIX}`;
  }

  private async currentVersionId(key: string): Promise<string | undefined> {
    return this.currentVersionIn(this.versionsDir(key), key);
  }

  private currentVersionIn(versionsDir: string, key: string): string | undefined {
    try {
      const id = readSmallText(`${versionsDir}${sep}${CURRENT}`).trim();
      return id || undefined;
    } catch (error: unknown) {
      if (isMissing(error)) return undefined;
      throw new StoreError(`${this.location}: could not read ${key}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  private async readMeta(key: string, versionId: string): Promise<VersionMeta | undefined> {
    return this.readMetaIn(this.versionsDir(key), key, versionId);
  }

  private readMetaIn(versionsDir: string, key: string, versionId: string): VersionMeta | undefined {
    if (!/^[0-9a-f-]+$/.test(versionId)) return undefined;
    let text: string;
    try {
      text = readSmallText(`${versionsDir}${sep}${versionId}.json`);
    } catch (error: unknown) {
      if (isMissing(error)) return undefined;
      throw new StoreError(`${this.location}: could not read ${key}: ${describeError(error)}`, {
        cause: error,
      });
    }
    const meta = versionMetaOf(safeJson(text));
    if (typeof meta === 'string') {
      throw new StoreError(`${this.location}/${key} version ${versionId} has unreadable metadata`, {
        cause: new Error(meta),
      });
    }
    return meta;
  }

  /** `<ms since epoch, 14 digits>-<sequence>-<random>`: sorts by write time, unique across processes. */
  private newVersionId(now: Date): string {
    this.sequence = (this.sequence + 1) % 1_000_000;
    return `${now.getTime().toString().padStart(14, '0')}-${this.sequence.toString().padStart(6, '0')}-${randomBytes(6).toString('hex')}`;
  }
}

const VERSION_META_TEXT_FIELDS = [
  'key',
  'versionId',
  'sha256',
  'contentHash',
  'retainUntil',
  'lastModified',
  'contentType',
] as const;

/**
 * A version's metadata as `versionMetaSchema` accepts it (every field of its type, others
 * dropped), or what is wrong with it. Checked by hand: a pack reads the metadata of every
 * evidence object (250,000+ for five times a 10,000-change month), and the schema's parse was a
 * visible part of that.
 */
function versionMetaOf(value: unknown): VersionMeta | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const fields = value as Record<string, unknown>;
  for (const name of VERSION_META_TEXT_FIELDS) {
    if (typeof fields[name] !== 'string') return `${name}: expected a string`;
  }
  if (typeof fields.size !== 'number') return 'size: expected a number';
  const meta = fields as VersionMeta;
  return {
    key: meta.key,
    versionId: meta.versionId,
    sha256: meta.sha256,
    contentHash: meta.contentHash,
    retainUntil: meta.retainUntil,
    size: meta.size,
    lastModified: meta.lastModified,
    contentType: meta.contentType,
  };
}

function storedObjectOf(meta: VersionMeta): StoredObject {
  return {
    key: meta.key,
    versionId: meta.versionId,
    sha256: meta.sha256,
    contentHash: meta.contentHash,
    retainUntil: meta.retainUntil,
    lockMode: 'NONE',
    size: meta.size,
    lastModified: meta.lastModified,
  };
}

/** Create a file that must not exist yet (a version is never overwritten), read-only once written. */
async function writeNewFile(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx', 0o644);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
  await chmod(path, 0o444);
}

/** Replace a small file atomically: readers see the old or the new content, never half. */
export async function replaceFile(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, data);
  await rename(temp, path);
}

/**
 * Visit every version folder below `dir`, with the key it holds (`keyPrefix`, the key of `dir`
 * itself, ends in `/` or is empty). Synchronous for the reason `readSmallFile` gives: a month's
 * prefix holds thousands of folders.
 */
function walkVersionDirs(
  dir: string,
  keyPrefix: string,
  visit: (versionsDir: string, key: string) => void,
): void {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error: unknown) {
    if (isMissing(error)) return;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const path = `${dir}${sep}${entry.name}`;
    if (entry.name.endsWith(VERSIONS_SUFFIX))
      visit(path, `${keyPrefix}${entry.name.slice(0, -VERSIONS_SUFFIX.length)}`);
    else walkVersionDirs(path, `${keyPrefix}${entry.name}/`, visit);
  }
}

/**
 * Read a whole small file (an object, its metadata, a version pointer) synchronously. A pack
 * reads three such files per evidence object, 60,000+ objects for a 10,000-change month; the
 * promise API costs an open, a stat, a read and a close, each a round trip through the thread
 * pool, and was most of the pack's time. A synchronous read of a few kilobytes from the local
 * disk blocks for microseconds.
 */
function readSmallFile(path: string): Buffer {
  return readFileSync(path);
}

/** Where `readSmall` reads: one buffer for the process, reused by every read (they are synchronous). */
const scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Read a small file into `scratch` without a stat (an object's bytes, its metadata, a version
 * pointer): its length there, or undefined when it fills the buffer (read it whole with
 * `readSmallFile` then). A short read is the end of a regular file; were it ever not, the content
 * would be cut short, and a cut pointer or cut metadata is refused, cut bytes fail their SHA-256.
 */
function readSmall(path: string): number | undefined {
  const fd = openSync(path, 'r');
  let length = 0;
  try {
    for (;;) {
      const wanted = scratch.length - length;
      if (wanted === 0) return undefined;
      const read = readSync(fd, scratch, length, wanted, null);
      length += read;
      if (read < wanted) return length;
    }
  } finally {
    closeSync(fd);
  }
}

/** A small file's text (a version pointer, a version's metadata), read through `scratch`. */
function readSmallText(path: string): string {
  const length = readSmall(path);
  return length === undefined ? readSmallFile(path).toString('utf8') : scratch.toString('utf8', 0, length);
}

/** A small file's bytes (an object's), read through `scratch` and copied out once: no stat per read. */
function readSmallBytes(path: string): Buffer {
  const length = readSmall(path);
  return length === undefined ? readSmallFile(path) : Buffer.from(scratch.subarray(0, length));
}

export function isMissing(error: unknown): boolean {
  return error !== null && typeof error === 'object' && 'code' in error && error.code === 'ENOENT';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Make the folder layout of a local store (idempotent). */
export async function ensureLocalLayout(dir: string): Promise<{ created: boolean }> {
  await assertWritableFolder(dir, '--store');
  const existed = await stat(join(dir, 'objects')).then(
    () => true,
    () => false,
  );
  await mkdir(join(dir, 'objects'), { recursive: true });
  await mkdir(join(dir, 'index'), { recursive: true });
  return { created: !existed };
}
