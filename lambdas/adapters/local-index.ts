import { appendFile, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describeError, StoreError } from '../errors.ts';
import { indexEntryFields, indexEntrySchema } from '../evidence/index-entry.ts';
import type { CollectorCursor, EvidenceIndex, EvidenceKind, IndexEntry } from '../evidence/ports.ts';
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
    const partition = await this.refresh(this.periodFile(kind, period), itemKeyInPeriod);
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

  /** Fold the lines appended to `file` since we last read it. */
  private async refresh(file: string, keyOf: (row: IndexEntry) => string): Promise<Partition> {
    let partition = this.partitions.get(file);
    if (!partition) {
      partition = { offset: 0, rows: new Map() };
      this.partitions.set(file, partition);
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
      const parsed = rowSchema.safeParse(safeJson(line));
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
  await appendFile(file, `${lines.join('\n')}\n`);
}

/**
 * A lock file created exclusively; a lock left by a process that no longer runs is taken over.
 * Waits at most LOCK_WAIT_MS, then names the lock file to remove.
 */
async function withLockFile<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  await mkdir(join(lockPath, '..'), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error: unknown) {
      if (!(error && typeof error === 'object' && 'code' in error && error.code === 'EEXIST')) throw error;
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
