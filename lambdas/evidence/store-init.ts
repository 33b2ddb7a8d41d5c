import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceNotFoundException,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
} from '@aws-sdk/client-s3';
import { DynamoEvidenceIndex, INDEX_TABLE_DESIGN } from '../adapters/dynamo-index.ts';
import { ensureLocalLayout } from '../adapters/local-store.ts';
import {
  type AwsClients,
  awsProblem,
  checkIndex,
  createAwsClients,
  describeMissingProtection,
  LOCAL_STORE_CONFIG_FILE,
  parseStoreUrl,
  probeBucket,
  readLocalStoreConfig,
} from '../adapters/open-store.ts';
import { S3EvidenceStore } from '../adapters/s3-store.ts';
import { malformedInput, StoreError } from '../errors.ts';

/**
 * `cm01 store init`: make the store a URL names ready for evidence, or check that it is.
 * Creates what is absent (bucket with Object Lock + versioning + default retention, index
 * table with its GSI and TTL; for `local:` the folder layout), checks what is present, and
 * refuses a bucket that exists without Object Lock or versioning. Idempotent. Everything is
 * checked before anything is created, so a refusal leaves nothing half-made.
 */

export interface InitStoreOptions {
  readonly lockMode?: 'COMPLIANCE' | 'GOVERNANCE';
  readonly retentionDays?: number;
}

export interface StoreInitReport {
  readonly store: string;
  /** What was created. */
  readonly created: readonly string[];
  /** What existed and was checked (or found different from the request and left alone). */
  readonly checked: readonly string[];
}

export async function initStore(url: string, options: InitStoreOptions = {}): Promise<StoreInitReport> {
  const lockMode = options.lockMode ?? 'COMPLIANCE';
  const retentionDays = options.retentionDays ?? 365;
  if (lockMode !== 'COMPLIANCE' && lockMode !== 'GOVERNANCE') {
    throw malformedInput('--lock-mode', `"${String(lockMode)}" is not COMPLIANCE or GOVERNANCE`);
  }
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 36_500) {
    throw malformedInput(
      '--retention-days',
      `${retentionDays} is not a whole number of days between 1 and 36500`,
    );
  }
  const location = parseStoreUrl(url);
  if (location.kind === 'local') return initLocal(url, location.dir, retentionDays);
  const clients = await createAwsClients();
  return initS3(url, clients, location.bucket, location.table, lockMode, retentionDays);
}

async function initLocal(url: string, dir: string, retentionDays: number): Promise<StoreInitReport> {
  const created: string[] = [];
  const checked: string[] = [];
  const configPath = join(dir, LOCAL_STORE_CONFIG_FILE);
  const hasConfig = await access(configPath).then(
    () => true,
    () => false,
  );
  const config = await readLocalStoreConfig(dir);
  const layout = await ensureLocalLayout(dir);
  (layout.created ? created : checked).push(`folder ${dir} (objects/, index/)`);
  if (!hasConfig) {
    await writeFile(
      configPath,
      `${JSON.stringify({ format: 'cm01-local-store/1', retentionDays }, null, 2)}\n`,
    );
    created.push(`${configPath}: versions kept at least ${retentionDays} days`);
  } else if (config.retentionDays !== retentionDays) {
    checked.push(`${configPath} keeps ${config.retentionDays} days (asked ${retentionDays}; left unchanged)`);
  } else {
    checked.push(`${configPath}: versions kept at least ${retentionDays} days`);
  }
  checked.push('local directory: not immutable (deletion is refused by this tool only)');
  return { store: url, created, checked };
}

async function initS3(
  url: string,
  clients: AwsClients,
  bucket: string,
  table: string,
  lockMode: 'COMPLIANCE' | 'GOVERNANCE',
  retentionDays: number,
): Promise<StoreInitReport> {
  const created: string[] = [];
  const checked: string[] = [];

  // Look first, create later: a refused bucket must not leave a new table behind.
  const bucketState = await probeBucket(clients.s3, bucket);
  const store = new S3EvidenceStore({ client: clients.s3, bucket });
  if (bucketState === 'exists') {
    const retention = await store.retention();
    if (!retention.immutable) {
      throw new StoreError(
        `bucket "${bucket}" exists but ${describeMissingProtection(retention.versioning, retention.objectLock.enabled)}: ` +
          'refusing to keep evidence there. Enable versioning and Object Lock on it, or choose a new bucket name for cm01 store init to create',
      );
    }
  }
  const tableState = await describeTableState(clients, table);

  if (bucketState === 'missing') {
    await createLockedBucket(clients, bucket, lockMode, retentionDays);
    created.push(
      `bucket ${bucket}: versioning, Object Lock (default ${lockMode} ${retentionDays} days), lifecycle expiring versions ${retentionDays + 30} days after retention starts`,
    );
  } else {
    const retention = await store.retention();
    const { mode, days } = retention.objectLock;
    if (mode === undefined) {
      await putDefaultRetention(clients, bucket, lockMode, retentionDays);
      created.push(`bucket ${bucket}: default retention ${lockMode} ${retentionDays} days`);
    } else if (mode !== lockMode || days !== retentionDays) {
      checked.push(
        `bucket ${bucket}: versioning and Object Lock on; its default retention ${mode} ${days} days differs from the requested ${lockMode} ${retentionDays} and was left unchanged`,
      );
    } else {
      checked.push(`bucket ${bucket}: versioning and Object Lock on, default retention ${mode} ${days} days`);
    }
  }

  if (tableState === 'missing') {
    await createIndexTable(clients, table);
    created.push(
      `table ${table}: keys pk/sk, GSI ${INDEX_TABLE_DESIGN.byRepoIndex}, TTL on ${INDEX_TABLE_DESIGN.ttlAttribute}`,
    );
  } else {
    await enableTimeToLiveIfOff(clients, table, created);
    checked.push(`table ${table}: keys, GSI ${INDEX_TABLE_DESIGN.byRepoIndex} and TTL checked`);
  }
  await checkIndex(new DynamoEvidenceIndex({ client: clients.dynamo, table }), clients.dynamoEndpoint);
  return { store: url, created, checked };
}

async function describeTableState(clients: AwsClients, table: string): Promise<'exists' | 'missing'> {
  try {
    await clients.dynamo.send(new DescribeTableCommand({ TableName: table }));
    return 'exists';
  } catch (error: unknown) {
    if (error instanceof ResourceNotFoundException) return 'missing';
    throw awsProblem('DynamoDB', clients.dynamoEndpoint, `table "${table}"`, error);
  }
}

async function createLockedBucket(
  clients: AwsClients,
  bucket: string,
  lockMode: 'COMPLIANCE' | 'GOVERNANCE',
  retentionDays: number,
): Promise<void> {
  try {
    await clients.s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // Object Lock can only be switched on reliably when the bucket is created.
        ObjectLockEnabledForBucket: true,
        ...(clients.region === 'us-east-1'
          ? {}
          : {
              CreateBucketConfiguration: { LocationConstraint: clients.region as BucketLocationConstraint },
            }),
      }),
    );
    await clients.s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await putDefaultRetention(clients, bucket, lockMode, retentionDays);
    await clients.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'expire-after-retention',
              Status: 'Enabled',
              Filter: { Prefix: '' },
              // Object Lock refuses any deletion before retain-until; these only tidy up after it.
              Expiration: { Days: retentionDays + 30 },
              NoncurrentVersionExpiration: { NoncurrentDays: retentionDays + 30 },
            },
          ],
        },
      }),
    );
  } catch (error: unknown) {
    throw awsProblem('S3', clients.s3Endpoint, `creating bucket "${bucket}"`, error);
  }
}

async function putDefaultRetention(
  clients: AwsClients,
  bucket: string,
  lockMode: 'COMPLIANCE' | 'GOVERNANCE',
  retentionDays: number,
): Promise<void> {
  await clients.s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: lockMode, Days: retentionDays } },
      },
    }),
  );
}

async function createIndexTable(clients: AwsClients, table: string): Promise<void> {
  const design = INDEX_TABLE_DESIGN;
  try {
    await clients.dynamo.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: design.partitionKey, AttributeType: 'S' },
          { AttributeName: design.sortKey, AttributeType: 'S' },
          { AttributeName: design.byRepoPartitionKey, AttributeType: 'S' },
          { AttributeName: design.byRepoSortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: design.partitionKey, KeyType: 'HASH' },
          { AttributeName: design.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: design.byRepoIndex,
            KeySchema: [
              { AttributeName: design.byRepoPartitionKey, KeyType: 'HASH' },
              { AttributeName: design.byRepoSortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await waitUntilTableExists({ client: clients.dynamo, maxWaitTime: 300 }, { TableName: table });
    await clients.dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { Enabled: true, AttributeName: design.ttlAttribute },
      }),
    );
  } catch (error: unknown) {
    throw awsProblem('DynamoDB', clients.dynamoEndpoint, `creating table "${table}"`, error);
  }
  try {
    await clients.dynamo.send(
      new UpdateContinuousBackupsCommand({
        TableName: table,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
  } catch {
    // Point-in-time recovery is a safety net, not a requirement of the index; local emulators
    // may not offer it, and the stack enables it on AWS.
  }
}

async function enableTimeToLiveIfOff(clients: AwsClients, table: string, created: string[]): Promise<void> {
  const ttl = await clients.dynamo.send(new DescribeTimeToLiveCommand({ TableName: table }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'DISABLED' || status === undefined) {
    await clients.dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { Enabled: true, AttributeName: INDEX_TABLE_DESIGN.ttlAttribute },
      }),
    );
    created.push(`table ${table}: TTL on ${INDEX_TABLE_DESIGN.ttlAttribute}`);
  }
}
