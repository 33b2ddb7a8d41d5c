import { appendFile, mkdir, open, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describeError, StoreError } from '../errors.ts';
import { indexEntryFields, indexEntrySchema } from '../evidence/index-entry.ts';
import {
  type CollectorCursor,
  EVIDENCE_KINDS,
  type EvidenceIndex,
  type EvidenceKind,
  type IndexEntry,
} from '../evidence/ports.ts';
import { isMissing, replaceFile } from './local-store.ts';

/**
 * The index of the local locker, in the same folder as its objects:
 *
 *   DIR/index/period/<kind>/<YYYY-MM>.jsonl   one partition per kind and month (what a pack reads)
 *   DIR/index/repo/<org%2Fname>.jsonl         the same rows by repository
 *   DIR/index/cursors/<collector>.json        collector cursors, replaced atomically
 *
 * Partitions are append-only JSON lines: a row is appended only when it is new or its version
 * or content hash changed (the same condition as the DynamoDB index), and reading folds the
 * lines so the last line of an item wins. Appending keeps a put of one row O(1) however large
 * the partition — rewriting a 50,000-row file per row would be quadratic. Writers take a lock
 * file so two processes never interleave lines; readers fold only the bytes appended since
 * their last read.
 *
 * A crash can cut the last line of a partition (no newline, or half a JSON row). Such a tail is
 * repaired under the writers' lock when the index is opened for writing and before every append,
 * so a new row is never glued to it: a whole row that only lost its newline gets it back, a
 * half row is cut off and kept beside the partition in `<file>.torn` for inspection (its
 * evidence object is still in the store, and is indexed again by the next collection).
 */

const rowSchema = indexEntrySchema;

const cursorsFileSchema = z.record(
  z.string(),
  z.object({ collector: z.string(), repo: z.string(), position: z.string(), updatedAt: z.string() }),
);

interface Partition {
  /** Bytes of the file already folded into `rows`. */
  offset: number;
  readonly rows: Map<string, IndexEntry>;
}

/** Identity of a row within a partition: the item within a period file, kind + item within a repository file. */
const itemKeyInPeriod = (row: IndexEntry) => `${row.repo}#${row.itemId}`;
const itemKeyInRepo = (row: IndexEntry) => `${row.kind}#${row.itemId}`;

const LOCK_WAIT_MS = 30_000;

export class LocalEvidenceIndex implements EvidenceIndex {
  readonly location: string;
  private readonly indexDir: string;
  private readonly partitions = new Map<string, Partition>();
  /** Serialises this process's writers; the lock file serialises processes. */
  private writeQueue: Promise<unknown> = Promise.resolve();

  constructor(options: { dir: string }) {
    this.indexDir = join(options.dir, 'index');
    this.location = `local:${options.dir}`;
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.indexDir, { recursive: true });
    } catch (error: unknown) {
      throw new StoreError(
        `${this.location}: cannot create the index folder ${this.indexDir}: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * Repair every partition whose last line a crash cut short (see above). Reads only each file's
   * last byte when nothing is torn; creates nothing when the index does not exist yet.
   */
  async repairTornPartitions(): Promise<{ completed: string[]; cut: string[] }> {
    const torn: string[] = [];
    for (const file of await listPartitionFiles(this.indexDir)) if (await endsTorn(file)) torn.push(file);
    const result = { completed: [] as string[], cut: [] as string[] };
    if (torn.length === 0) return result;
    return this.exclusively(async () => {
      for (const file of torn) {
        const outcome = await repairTornTail(file);
        if (outcome !== 'intact') result[outcome].push(file);
      }
      return result;
    });
  }

  put(entries: readonly IndexEntry[]): Promise<{ written: number; unchanged: number }> {
    return this.exclusively(async () => {
      let written = 0;
      let unchanged = 0;
      const periodLines = new Map<string, string[]>();
      const repoLines = new Map<string, string[]>();
      for (const entry of entries) {
        const periodFile = this.periodFile(entry.kind, entry.period);
        const partition = await this.refresh(periodFile, itemKeyInPeriod);
        const itemKey = itemKeyInPeriod(entry);
        const existing = partition.rows.get(itemKey);
        if (
          existing &&
          existing.versionId === entry.versionId &&
          existing.contentHash === entry.contentHash
        ) {
          unchanged++;
          continue;
        }
        written++;
        const row = rowOf(entry);
        partition.rows.set(itemKey, row);
        const line = JSON.stringify(row);
        pushTo(periodLines, periodFile, line);
        pushTo(repoLines, this.repoFile(entry.repo), line);
      }
      // Period partitions first: they are what packs read; repository files are the secondary view.
      for (const [file, lines] of [...periodLines, ...repoLines]) await appendLines(file, lines);
      // Our own appends are already folded into the period partitions.
      for (const file of periodLines.keys()) {
        const partition = this.partitions.get(file);
        if (partition) partition.offset = (await stat(file)).size;
      }
      return { written, unchanged };
    });
  }

  async queryPeriod(kind: EvidenceKind, period: string): Promise<IndexEntry[]> {
    // Kept only when this instance writes to it (its rows decide what a put appends): a pack
    // queries each of a month's partitions once, and keeping them all would hold every row of
    // the month (a quarter of a gigabyte for five times a 10,000-PR month) until the pack is stored.
    const partition = await this.refresh(this.periodFile(kind, period), itemKeyInPeriod, {
      keep: false,
    });
    return [...partition.rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => row);
  }

  async queryRepo(
    repo: string,
    options: { kind?: EvidenceKind; from?: string; to?: string } = {},
  ): Promise<IndexEntry[]> {
    const partition = await this.refresh(this.repoFile(repo), itemKeyInRepo);
    const sortKey = (e: IndexEntry) => `${e.kind}#${e.occurredAt}#${e.itemId}`;
    return [...partition.rows.values()]
      .filter(
        (e) =>
          (!options.kind || e.kind === options.kind) &&
          (!options.from || e.occurredAt >= options.from) &&
          (!options.to || e.occurredAt < options.to),
      )
      .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  }

  async getCursor(collector: string, repo: string): Promise<CollectorCursor | undefined> {
    return (await this.readCursors(collector))[repo];
  }

  putCursor(cursor: CollectorCursor): Promise<void> {
    return this.exclusively(async () => {
      const cursors = await this.readCursors(cursor.collector);
      cursors[cursor.repo] = { ...cursor };
      await mkdir(join(this.indexDir, 'cursors'), { recursive: true });
      await replaceFile(this.cursorFile(cursor.collector), JSON.stringify(cursors));
    });
  }

  private async readCursors(collector: string): Promise<Record<string, CollectorCursor>> {
    let text: string;
    try {
      text = await readFile(this.cursorFile(collector), 'utf8');
    } catch (error: unknown) {
      if (isMissing(error)) return {};
      throw new StoreError(`${this.location}: cannot read the cursors of ${collector}`, { cause: error });
    }
    const parsed = cursorsFileSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new StoreError(`${this.location}: the cursor file of ${collector} is malformed`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /**
   * Fold the lines appended to `file` since we last read it. A partition not held yet is read
   * whole, and held from then on unless `keep` is false.
   */
  private async refresh(
    file: string,
    keyOf: (row: IndexEntry) => string,
    options: { readonly keep: boolean } = { keep: true },
  ): Promise<Partition> {
    let partition = this.partitions.get(file);
    if (!partition) {
      partition = { offset: 0, rows: new Map() };
      if (options.keep) this.partitions.set(file, partition);
    }
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (error: unknown) {
      if (isMissing(error)) return partition;
      throw new StoreError(`${this.location}: cannot read ${file}`, { cause: error });
    }
    if (size <= partition.offset) return partition;
    const handle = await open(file, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(size - partition.offset);
      await handle.read(buffer, 0, buffer.length, partition.offset);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
    // A line without its newline is still being written (or was cut by a crash): fold it later.
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    let lineNumber = 0;
    for (const line of complete.split('\n')) {
      lineNumber++;
      if (!line) continue;
      const json = safeJson(line);
      const checked = checkedRow(json);
      const parsed = checked ? { success: true as const, data: checked } : rowSchema.safeParse(json);
      if (!parsed.success) {
        throw new StoreError(
          `${this.location}: ${file} has a malformed row near line ${lineNumber} after byte ${partition.offset}`,
          {
            cause: parsed.error,
          },
        );
      }
      partition.rows.set(keyOf(parsed.data), parsed.data);
    }
    partition.offset += Buffer.byteLength(complete, 'utf8');
    return partition;
  }

  private periodFile(kind: EvidenceKind, period: string): string {
    if (!/^\d{4}-\d{2}$/.test(period)) throw new StoreError(`index: period "${period}" is not YYYY-MM`);
    return join(this.indexDir, 'period', kind, `${period}.jsonl`);
  }

  private repoFile(repo: string): string {
    return join(this.indexDir, 'repo', `${encodeURIComponent(repo)}.jsonl`);
  }

  private cursorFile(collector: string): string {
    return join(this.indexDir, 'cursors', `${encodeURIComponent(collector)}.json`);
  }

  private exclusively<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(() => withLockFile(join(this.indexDir, '.lock'), work));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }
}

function rowOf(entry: IndexEntry): IndexEntry {
  // A fixed member order keeps the files diffable and the rows free of extra members.
  return indexEntryFields(entry);
}

function pushTo(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

async function appendLines(file: string, lines: readonly string[]): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  // Under the writers' lock: a torn tail here is a crash's, never a write in progress.
  await repairTornTail(file);
  await appendFile(file, `${lines.join('\n')}\n`);
}

const KINDS: ReadonlySet<string> = new Set(EVIDENCE_KINDS);
const ROW_TEXT_FIELDS = [
  'period',
  'repo',
  'itemId',
  'occurredAt',
  'key',
  'versionId',
  'sha256',
  'contentHash',
  'retainUntil',
] as const;

/**
 * A row as `indexEntrySchema` gives it (its fields in order, nothing else), when it is one; else
 * undefined, and the schema says what is wrong. Checked by hand first: a pack reads every row of
 * the month's partitions (270,000 for five times a 10,000-PR month), and the schema's parse of
 * each was a visible part of it.
 */
function checkedRow(value: unknown): IndexEntry | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const row = value as Record<string, unknown>;
  if (typeof row.kind !== 'string' || !KINDS.has(row.kind)) return undefined;
  for (const name of ROW_TEXT_FIELDS) if (typeof row[name] !== 'string') return undefined;
  let copied: Record<string, string | number | boolean> | undefined;
  const attributes = row.attributes;
  if (attributes !== undefined) {
    if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) return undefined;
    const given = attributes as Record<string, unknown>;
    copied = {};
    // By name, without an [name, value] array per attribute: a month's partitions hold 100,000+ rows.
    for (const name of Object.keys(given)) {
      const attribute = given[name];
      const scalar =
        typeof attribute === 'string' ||
        typeof attribute === 'boolean' ||
        (typeof attribute === 'number' && Number.isFinite(attribute)); // JSON's 1e999 is Infinity
      if (!scalar) return undefined;
      copied[name] = attribute;
    }
  }
  const fields = row as unknown as IndexEntry;
  const entry: { -readonly [F in keyof IndexEntry]: IndexEntry[F] } = {
    kind: fields.kind,
    period: fields.period,
    repo: fields.repo,
    itemId: fields.itemId,
    occurredAt: fields.occurredAt,
    key: fields.key,
    versionId: fields.versionId,
    sha256: fields.sha256,
    contentHash: fields.contentHash,
    retainUntil: fields.retainUntil,
  };
  // Set on the entry itself rather than spread into a second copy of it.
  if (copied !== undefined) entry.attributes = copied;
  return entry;
}

/** The `.jsonl` partitions under the index folder (none when it does not exist). */
async function listPartitionFiles(indexDir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error: unknown) {
      if (isMissing(error)) return;
      throw new StoreError(`cannot read the index folder ${dir}: ${describeError(error)}`, { cause: error });
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && entry.name.endsWith('.jsonl')) files.push(path);
    }
  };
  await walk(join(indexDir, 'period'));
  await walk(join(indexDir, 'repo'));
  return files;
}

/** Whether a non-empty file's last byte is not a newline. */
async function endsTorn(file: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error: unknown) {
    if (isMissing(error)) return false;
    throw new StoreError(`cannot read ${file}: ${describeError(error)}`, { cause: error });
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}

/**
 * Make a partition end at a line boundary again. Call only under the writers' lock.
 * `completed`: the last row was whole and got its newline; `cut`: a half row was removed and
 * appended to `<file>.torn`.
 */
export async function repairTornTail(file: string): Promise<'intact' | 'completed' | 'cut'> {
  if (!(await endsTorn(file))) return 'intact';
  const bytes = await readFile(file);
  const start = bytes.lastIndexOf(0x0a) + 1;
  const tail = bytes.subarray(start);
  if (rowSchema.safeParse(safeJson(tail.toString('utf8'))).success) {
    await appendFile(file, '\n');
    return 'completed';
  }
  await appendFile(`${file}.torn`, Buffer.concat([tail, Buffer.from('\n')]));
  await truncate(file, start);
  return 'cut';
}

/**
 * A lock file created exclusively; a lock left by a process that no longer runs is taken over.
 * Waits at most LOCK_WAIT_MS, then names the lock file to remove.
 */
async function withLockFile<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  try {
    await mkdir(join(lockPath, '..'), { recursive: true });
  } catch (error: unknown) {
    throw new StoreError(`cannot create the index folder for ${lockPath}: ${describeError(error)}`, {
      cause: error,
    });
  }
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error: unknown) {
      if (!(error && typeof error === 'object' && 'code' in error && error.code === 'EEXIST')) {
        throw new StoreError(`cannot take the index lock ${lockPath}: ${describeError(error)}`, {
          cause: error,
        });
      }
      const owner = Number(await readFile(lockPath, 'utf8').catch(() => ''));
      if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new StoreError(
          `the local index is locked by ${lockPath} (pid ${owner || 'unknown'}); remove that file if no cm01 runs`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return error !== null && typeof error === 'object' && 'code' in error && error.code === 'EPERM';
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
