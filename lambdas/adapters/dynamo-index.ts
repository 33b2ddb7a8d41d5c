import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  DescribeTimeToLiveCommand,
  type DescribeTimeToLiveCommandOutput,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { z } from 'zod';
import { describeError, StoreError } from '../errors.ts';
import { indexEntryFields, indexEntrySchema } from '../evidence/index-entry.ts';
import type { CollectorCursor, EvidenceIndex, EvidenceKind, IndexEntry } from '../evidence/ports.ts';

/**
 * The evidence index in one DynamoDB table.
 *
 * - Rows: `pk = <kind>#<period>`, `sk = <repo>#<itemId>` — one partition holds everything the
 *   pack needs for one kind and month, read with one paged Query.
 * - GSI `byRepo`: `gsi1pk = <repo>`, `gsi1sk = <kind>#<occurredAt>#<itemId>` — a repository's
 *   history, optionally one kind and a time range, again a Query.
 * - Cursors: `pk = cursor#<collector>`, `sk = <repo>`; they carry no `gsi1pk`, so the sparse
 *   GSI never sees them.
 * The stack (lib/) declares the same names; `cm01 store init` creates the table from these.
 * - TTL: `expiresAt` (epoch seconds) = retain-until + 30 days, so an index row never outlives
 *   the object it points to by much, and never disappears before it.
 *
 * Nothing reads with Scan: every read the pack and collectors need is a key lookup or a Query.
 *
 * What it sends is all the writer roles hold (`lib/constructs/evidence-storage.ts`): PutItem,
 * Query, DescribeTable, DescribeTimeToLive. Never DeleteItem, UpdateItem or BatchWriteItem (which
 * can delete): a row changes only by a conditional PutItem naming a new version, and the index
 * can always be rebuilt from the bucket (`cm01 index rebuild`). Sending another operation here
 * needs a grant there, and test/infra/permissions.test.ts lists these four.
 */
export const INDEX_TABLE_DESIGN = {
  partitionKey: 'pk',
  sortKey: 'sk',
  byRepoIndex: 'byRepo',
  byRepoPartitionKey: 'gsi1pk',
  byRepoSortKey: 'gsi1sk',
  ttlAttribute: 'expiresAt',
  cursorPrefix: 'cursor#',
  ttlGraceDays: 30,
} as const;

const SECONDS_PER_DAY = 86_400;
/** From this many rows of one partition in one call, reading the partition first is cheaper than writing blind. */
const PREFILTER_MIN_ROWS = 50;

export interface DynamoEvidenceIndexOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** Parallel conditional writes in flight; default 32. */
  readonly writeConcurrency?: number;
}

const indexRowSchema = indexEntrySchema;

const cursorRowSchema = z.object({
  collector: z.string(),
  cursorRepo: z.string(),
  position: z.string(),
  updatedAt: z.string(),
});

export class DynamoEvidenceIndex implements EvidenceIndex {
  readonly location: string;
  readonly table: string;
  /** Requests sent so far, by operation: what the benchmark reports. */
  readonly requestCounts = { put: 0, query: 0 };
  private readonly documents: DynamoDBDocumentClient;
  private readonly raw: DynamoDBClient;
  private readonly writeConcurrency: number;

  constructor(options: DynamoEvidenceIndexOptions) {
    this.raw = options.client;
    this.documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.table = options.table;
    this.location = `dynamodb://${options.table}`;
    this.writeConcurrency = options.writeConcurrency ?? 32;
  }

  async check(): Promise<void> {
    const fix = `create it with "cm01 store init --store s3://BUCKET?table=${this.table}"`;
    let table: DescribeTableCommandOutput;
    try {
      table = await this.raw.send(new DescribeTableCommand({ TableName: this.table }));
    } catch (error: unknown) {
      if (error instanceof ResourceNotFoundException) {
        throw new StoreError(`DynamoDB table "${this.table}" does not exist: ${fix}`, { cause: error });
      }
      throw storeErrorOf(`could not describe DynamoDB table "${this.table}"`, error);
    }
    const keys = Object.fromEntries((table.Table?.KeySchema ?? []).map((k) => [k.KeyType, k.AttributeName]));
    if (keys.HASH !== INDEX_TABLE_DESIGN.partitionKey || keys.RANGE !== INDEX_TABLE_DESIGN.sortKey) {
      throw new StoreError(
        `DynamoDB table "${this.table}" has keys ${keys.HASH}/${keys.RANGE}; the index needs partition key "pk" and sort key "sk" (both strings): ${fix} under a new name`,
      );
    }
    const byRepo = table.Table?.GlobalSecondaryIndexes?.find(
      (g) => g.IndexName === INDEX_TABLE_DESIGN.byRepoIndex,
    );
    const byRepoKeys = Object.fromEntries((byRepo?.KeySchema ?? []).map((k) => [k.KeyType, k.AttributeName]));
    if (
      byRepoKeys.HASH !== INDEX_TABLE_DESIGN.byRepoPartitionKey ||
      byRepoKeys.RANGE !== INDEX_TABLE_DESIGN.byRepoSortKey
    ) {
      throw new StoreError(
        `DynamoDB table "${this.table}" lacks the global secondary index "byRepo" (partition key "gsi1pk", sort key "gsi1sk", projection ALL): add it, or ${fix}`,
      );
    }
    let ttl: DescribeTimeToLiveCommandOutput;
    try {
      ttl = await this.raw.send(new DescribeTimeToLiveCommand({ TableName: this.table }));
    } catch (error: unknown) {
      throw storeErrorOf(`could not read the time to live of DynamoDB table "${this.table}"`, error);
    }
    const description = ttl.TimeToLiveDescription;
    const enabled =
      description?.TimeToLiveStatus === 'ENABLED' || description?.TimeToLiveStatus === 'ENABLING';
    if (!enabled || description?.AttributeName !== INDEX_TABLE_DESIGN.ttlAttribute) {
      throw new StoreError(
        `DynamoDB table "${this.table}" has no time to live on attribute "expiresAt" (status ${description?.TimeToLiveStatus ?? 'unknown'}): enable TimeToLiveSpecification AttributeName=expiresAt (cm01 store init does it)`,
      );
    }
  }

  /**
   * Conditional PutItems, `writeConcurrency` at a time. BatchWriteItem cannot carry conditions,
   * and a TransactWriteItems chunk fails as a whole when any one row is unchanged (a re-run's
   * normal case), costing a second round trip and twice the capacity; independent conditional
   * puts count written and unchanged rows exactly and stay safe under concurrent runs.
   *
   * Two savings keep re-runs cheap: repeats within one call are settled here, and when a call
   * brings many rows of one partition, one paged Query of that partition first drops the rows
   * already indexed as they are (a 10,000-row month is a few Query pages instead of 10,000
   * failed conditional writes). The condition still guards every write that is sent.
   */
  async put(entries: readonly IndexEntry[]): Promise<{ written: number; unchanged: number }> {
    let unchanged = 0;
    // Round n holds the n-th distinct version of a key in this call: versions of one key are
    // written in the caller's order, never concurrently with each other.
    const rounds: IndexEntry[][] = [];
    const seen = new Map<string, IndexEntry[]>();
    for (const entry of entries) {
      const itemKey = `${partitionKeyOf(entry)}\n${sortKeyOf(entry)}`;
      const versions = seen.get(itemKey) ?? [];
      if (versions.some((v) => sameRow(v, entry))) {
        unchanged++;
        continue;
      }
      const round = rounds[versions.length];
      if (round) round.push(entry);
      else rounds.push([entry]);
      versions.push(entry);
      seen.set(itemKey, versions);
    }
    if (rounds[0]) {
      const before = rounds[0].length;
      rounds[0] = await this.withoutIndexedRows(rounds[0]);
      unchanged += before - rounds[0].length;
    }
    let written = 0;
    const limit = pLimit(this.writeConcurrency);
    for (const round of rounds) {
      await limit.map(round, async (entry) => {
        if (await this.putOne(entry)) written++;
        else unchanged++;
      });
    }
    return { written, unchanged };
  }

  /** Drop rows already indexed with the same version and content, for partitions with many rows. */
  private async withoutIndexedRows(entries: IndexEntry[]): Promise<IndexEntry[]> {
    const byPartition = new Map<string, IndexEntry[]>();
    for (const entry of entries) {
      const pk = partitionKeyOf(entry);
      const list = byPartition.get(pk);
      if (list) list.push(entry);
      else byPartition.set(pk, [entry]);
    }
    const kept: IndexEntry[] = [];
    for (const [pk, list] of byPartition) {
      if (list.length < PREFILTER_MIN_ROWS) {
        kept.push(...list);
        continue;
      }
      const indexed = new Map<string, { versionId: unknown; contentHash: unknown }>();
      const items = await this.queryAll({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ProjectionExpression: 'sk, versionId, contentHash',
        ExpressionAttributeValues: { ':pk': pk },
      });
      for (const item of items)
        indexed.set(String(item.sk), { versionId: item.versionId, contentHash: item.contentHash });
      for (const entry of list) {
        const row = indexed.get(sortKeyOf(entry));
        if (!row || row.versionId !== entry.versionId || row.contentHash !== entry.contentHash)
          kept.push(entry);
      }
    }
    return kept;
  }

  async queryPeriod(kind: EvidenceKind, period: string): Promise<IndexEntry[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${kind}#${period}` },
    });
    return items.map((item) => parseRow(item, this.table));
  }

  async queryRepo(
    repo: string,
    options: { kind?: EvidenceKind; from?: string; to?: string } = {},
  ): Promise<IndexEntry[]> {
    const values: Record<string, string> = { ':repo': repo };
    let keyCondition = 'gsi1pk = :repo';
    const filters: string[] = [];
    if (options.kind) {
      // `<kind>#<occurredAt>#<itemId>`: a time range within one kind is a key range. The upper
      // bound `<kind>#<to>` sorts before every item at exactly `to`, which keeps [from, to) half-open.
      values[':low'] = `${options.kind}#${options.from ?? ''}`;
      values[':high'] = `${options.kind}#${options.to ?? '\uffff'}`;
      keyCondition += ' AND gsi1sk BETWEEN :low AND :high';
    } else {
      if (options.from) {
        values[':from'] = options.from;
        filters.push('occurredAt >= :from');
      }
      if (options.to) {
        values[':to'] = options.to;
        filters.push('occurredAt < :to');
      }
    }
    const items = await this.queryAll({
      TableName: this.table,
      IndexName: INDEX_TABLE_DESIGN.byRepoIndex,
      KeyConditionExpression: keyCondition,
      ExpressionAttributeValues: values,
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
    });
    return items
      .map((item) => parseRow(item, this.table))
      .filter((entry) => !options.to || entry.occurredAt < options.to);
  }

  async getCursor(collector: string, repo: string): Promise<CollectorCursor | undefined> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk = :sk',
      ExpressionAttributeValues: { ':pk': `${INDEX_TABLE_DESIGN.cursorPrefix}${collector}`, ':sk': repo },
    });
    const item = items[0];
    if (!item) return undefined;
    const parsed = cursorRowSchema.safeParse(item);
    if (!parsed.success) {
      throw new StoreError(
        `DynamoDB table "${this.table}" holds a malformed cursor for ${collector} ${repo}`,
        {
          cause: parsed.error,
        },
      );
    }
    const { cursorRepo, ...rest } = parsed.data;
    return { ...rest, repo: cursorRepo };
  }

  async putCursor(cursor: CollectorCursor): Promise<void> {
    try {
      this.requestCounts.put++;
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: `${INDEX_TABLE_DESIGN.cursorPrefix}${cursor.collector}`,
            sk: cursor.repo,
            collector: cursor.collector,
            cursorRepo: cursor.repo,
            position: cursor.position,
            updatedAt: cursor.updatedAt,
          },
        }),
      );
    } catch (error: unknown) {
      throw storeErrorOf(
        `could not save the cursor of ${cursor.collector} for ${cursor.repo} in "${this.table}"`,
        error,
      );
    }
  }

  /** True when written, false when the same version and content were already indexed. */
  private async putOne(entry: IndexEntry): Promise<boolean> {
    try {
      this.requestCounts.put++;
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: rowOf(entry),
          ConditionExpression: 'attribute_not_exists(pk) OR versionId <> :v OR contentHash <> :h',
          ExpressionAttributeValues: { ':v': entry.versionId, ':h': entry.contentHash },
        }),
      );
      return true;
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw storeErrorOf(`could not index ${entry.key} in "${this.table}"`, error);
    }
  }

  /** Every page of a Query: a partition may hold far more than the 1 MB one response carries. */
  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    try {
      do {
        this.requestCounts.query++;
        const page = await this.documents.send(
          new QueryCommand({ ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error: unknown) {
      if (error instanceof ResourceNotFoundException) {
        throw new StoreError(
          `DynamoDB table "${this.table}" does not exist: create it with "cm01 store init --store s3://BUCKET?table=${this.table}"`,
          { cause: error },
        );
      }
      throw storeErrorOf(`could not query "${this.table}"`, error);
    }
    return items;
  }
}

/** Epoch seconds of retain-until + grace; undefined (the row never expires) without a retain-until. */
export function expiresAtOf(retainUntil: string): number | undefined {
  const ms = Date.parse(retainUntil);
  if (Number.isNaN(ms)) return undefined;
  return Math.floor(ms / 1000) + INDEX_TABLE_DESIGN.ttlGraceDays * SECONDS_PER_DAY;
}

const partitionKeyOf = (entry: IndexEntry) => `${entry.kind}#${entry.period}`;
const sortKeyOf = (entry: IndexEntry) => `${entry.repo}#${entry.itemId}`;
const sameRow = (a: IndexEntry, b: IndexEntry) =>
  a.versionId === b.versionId && a.contentHash === b.contentHash;

function rowOf(entry: IndexEntry): Record<string, unknown> {
  return {
    pk: partitionKeyOf(entry),
    sk: sortKeyOf(entry),
    gsi1pk: entry.repo,
    gsi1sk: `${entry.kind}#${entry.occurredAt}#${entry.itemId}`,
    expiresAt: expiresAtOf(entry.retainUntil),
    ...indexEntryFields(entry),
  };
}

function parseRow(item: Record<string, unknown>, table: string): IndexEntry {
  const parsed = indexRowSchema.safeParse(item);
  if (!parsed.success) {
    throw new StoreError(
      `DynamoDB table "${table}" holds a malformed index row ${String(item.pk)} ${String(item.sk)}: ${parsed.error.message}`,
      { cause: parsed.error },
    );
  }
  const { attributes, ...entry } = parsed.data;
  return attributes ? { ...entry, attributes } : entry;
}

function storeErrorOf(what: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  return new StoreError(`${what}: ${describeError(error)}`, { cause: error });
}
