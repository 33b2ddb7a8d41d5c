import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { describeError, malformedInput, StoreError } from '../errors.ts';
import type { EvidenceIndex, EvidenceStore } from '../evidence/ports.ts';
import { DynamoEvidenceIndex } from './dynamo-index.ts';
import { LocalEvidenceIndex } from './local-index.ts';
import { isMissing, LocalEvidenceStore } from './local-store.ts';
import { errorName, httpStatusOf, S3EvidenceStore } from './s3-store.ts';
import { assertWritableFolder } from './writable-folder.ts';

/**
 * Store URLs, as the command line and the functions name a store:
 *
 *   local:DIR                  the local locker in DIR (default `local:./.cm01`)
 *   s3://BUCKET?table=TABLE    S3 (versioning + Object Lock) and a DynamoDB index table
 *
 * For S3, region and credentials come from the standard AWS chain and endpoints from
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_DYNAMODB`, which the SDK reads itself.
 */

export const DEFAULT_STORE_URL = 'local:./.cm01';
const STORE_FIELD = '--store';
const URL_FORMS = 'use local:DIR or s3://BUCKET?table=TABLE';
/** Short enough that a wrong endpoint fails in seconds, long enough for a cold real endpoint. */
const CONNECT_TIMEOUT_MS = 3_000;
const PROBE_TIMEOUT_MS = 10_000;

export type StoreLocation =
  | { readonly kind: 'local'; readonly dir: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly table: string };

export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith('local:')) {
    const dir = url.slice('local:'.length);
    if (!dir.trim()) throw malformedInput(STORE_FIELD, `"${url}" names no directory: ${URL_FORMS}`);
    if (dir.includes('\0')) throw malformedInput(STORE_FIELD, 'the directory name holds a NUL byte');
    return { kind: 'local', dir: resolve(dir) };
  }
  if (url.startsWith('s3://')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (error: unknown) {
      throw malformedInput(STORE_FIELD, `"${url}" is not a valid URL: ${URL_FORMS}`, {
        cause: error,
      });
    }
    const bucket = parsed.hostname;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
      throw malformedInput(
        STORE_FIELD,
        `"${bucket}" is not a valid bucket name (3-63 lower-case letters, digits, dots and hyphens)`,
      );
    }
    // Endpoints come from AWS_ENDPOINT_URL_S3, credentials from the AWS chain: a URL that
    // carries either would be silently ignored, so it is refused.
    if (parsed.username || parsed.password || parsed.port) {
      throw malformedInput(
        STORE_FIELD,
        `"${url}" names a user, password or port: set the endpoint with AWS_ENDPOINT_URL_S3 and credentials the AWS way`,
      );
    }
    if (parsed.pathname && parsed.pathname !== '/') {
      throw malformedInput(STORE_FIELD, `"${url}" has a path; ${URL_FORMS}`);
    }
    if (parsed.hash) throw malformedInput(STORE_FIELD, `"${url}" has a #fragment; ${URL_FORMS}`);
    const unknown = [...parsed.searchParams.keys()].find((key) => key !== 'table');
    if (unknown !== undefined) {
      throw malformedInput(STORE_FIELD, `"${url}": unknown parameter "${unknown}" (only ?table=TABLE)`);
    }
    const tables = parsed.searchParams.getAll('table');
    if (tables.length > 1) throw malformedInput(STORE_FIELD, `"${url}" names the table twice`);
    const table = tables[0];
    if (!table) {
      throw malformedInput(
        STORE_FIELD,
        `"${url}" names no index table: add ?table=TABLE (s3://${bucket}?table=TABLE)`,
      );
    }
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
      throw malformedInput(
        STORE_FIELD,
        `"${table}" is not a valid DynamoDB table name (3-255 letters, digits, "_", "-", ".")`,
      );
    }
    return { kind: 's3', bucket, table };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw malformedInput(
    STORE_FIELD,
    scheme
      ? `unknown store scheme "${scheme}:" in "${url}": ${URL_FORMS}`
      : `"${url}" is not a store URL: ${URL_FORMS}`,
  );
}

export interface OpenStoreOptions {
  /** Refuse a store that does not enforce immutability itself (the local locker, S3 without Object Lock). */
  readonly requireImmutable?: boolean;
  /**
   * Only reading objects (verify, packs list/download): skip the bucket probe and the retention
   * read, which need bucket-level permissions an auditor's read-only role does not have.
   */
  readonly readOnly?: boolean;
}

export async function openStore(
  url: string = DEFAULT_STORE_URL,
  options: OpenStoreOptions = {},
): Promise<{ store: EvidenceStore; index: EvidenceIndex }> {
  const location = parseStoreUrl(url);
  if (location.kind === 'local') {
    const store = await openLocalStore(url, location.dir, options);
    const index = new LocalEvidenceIndex({ dir: location.dir });
    // A crash may have cut a partition's last line: mend it before anything reads or appends.
    if (!options.readOnly) await index.repairTornPartitions();
    return { store, index };
  }
  const clients = await createAwsClients();
  const store = await openS3Store(url, location.bucket, clients, options);
  const index = new DynamoEvidenceIndex({ client: clients.dynamo, table: location.table });
  await checkIndex(index, clients.dynamoEndpoint);
  return { store, index };
}

/**
 * The store alone, for commands that read objects and never the index (`verify`, `packs`): the
 * bucket is checked, the table is not.
 */
export async function openEvidenceStore(
  url: string = DEFAULT_STORE_URL,
  options: OpenStoreOptions = {},
): Promise<EvidenceStore> {
  const location = parseStoreUrl(url);
  if (location.kind === 'local') return openLocalStore(url, location.dir, options);
  return openS3Store(url, location.bucket, await createAwsClients(), options);
}

async function openLocalStore(
  url: string,
  dir: string,
  options: OpenStoreOptions,
): Promise<LocalEvidenceStore> {
  if (options.requireImmutable) {
    throw new StoreError(
      `${url} is a local directory, which is not immutable: use s3://BUCKET?table=TABLE with Object Lock for this`,
    );
  }
  // Nothing is created here: the folders appear with the first object or index row, so a
  // command refused later leaves no empty store behind.
  if (!options.readOnly) await assertWritableFolder(dir, STORE_FIELD);
  const config = await readLocalStoreConfig(dir);
  return new LocalEvidenceStore({ dir, defaultRetentionDays: config.retentionDays });
}

async function openS3Store(
  url: string,
  bucket: string,
  clients: AwsClients,
  options: OpenStoreOptions,
): Promise<S3EvidenceStore> {
  if (options.readOnly) return new S3EvidenceStore({ client: clients.s3, bucket });
  if ((await probeBucket(clients.s3, bucket)) === 'missing') {
    throw new StoreError(
      `bucket "${bucket}" does not exist at ${clients.s3Endpoint}: create it with "cm01 store init --store ${url}"`,
    );
  }
  // Mode and days come from the bucket itself, so objects are written with what it promises.
  const retention = await new S3EvidenceStore({ client: clients.s3, bucket }).retention();
  if (options.requireImmutable && !retention.immutable) {
    throw new StoreError(
      `bucket "${bucket}" ${describeMissingProtection(retention.versioning, retention.objectLock.enabled)}: ` +
        'evidence there is not immutable. Use a bucket made by "cm01 store init" (Object Lock must be enabled on the bucket)',
    );
  }
  return new S3EvidenceStore({
    client: clients.s3,
    bucket,
    objectLock: retention.objectLock.enabled,
    ...(retention.objectLock.mode ? { lockMode: retention.objectLock.mode } : {}),
    ...(retention.objectLock.days ? { defaultRetentionDays: retention.objectLock.days } : {}),
  });
}

export function describeMissingProtection(versioning: string, objectLock: boolean): string {
  const missing = [
    ...(versioning === 'Enabled' ? [] : [`versioning is ${versioning}`]),
    ...(objectLock ? [] : ['Object Lock is not enabled']),
  ];
  return `has ${missing.join(' and ')}`;
}

export interface AwsClients {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly region: string;
  /** The endpoint as a person would set it, for error messages. */
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
}

/** Clients for S3 and DynamoDB from the standard AWS chain, with `us-east-1` when no region is set. */
export async function createAwsClients(): Promise<AwsClients> {
  const region = await resolveRegion();
  const s3EndpointOverride = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const dynamoEndpointOverride = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL;
  const requestHandler = { connectionTimeout: CONNECT_TIMEOUT_MS };
  const s3 = new S3Client({
    region,
    // S3-compatible servers (Ceph RGW) address buckets by path, and ignore the flexible
    // checksums: the store sends Content-MD5 and keeps its own SHA-256 instead.
    forcePathStyle: s3EndpointOverride !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler,
  });
  const dynamo = new DynamoDBClient({ region, requestHandler });
  return {
    s3,
    dynamo,
    region,
    s3Endpoint: s3EndpointOverride
      ? `${s3EndpointOverride} (AWS_ENDPOINT_URL_S3)`
      : `https://s3.${region}.amazonaws.com (region ${region})`,
    dynamoEndpoint: dynamoEndpointOverride
      ? `${dynamoEndpointOverride} (AWS_ENDPOINT_URL_DYNAMODB)`
      : `https://dynamodb.${region}.amazonaws.com (region ${region})`,
  };
}

async function resolveRegion(): Promise<string> {
  // The SDK's own chain (AWS_REGION, AWS_DEFAULT_REGION isn't read by it, profile config).
  const fromEnv = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  const probe = new S3Client({});
  try {
    return await probe.config.region();
  } catch {
    return 'us-east-1';
  } finally {
    probe.destroy();
  }
}

/** HeadBucket; any answer but "exists" or "missing" becomes a `StoreError` naming what to fix. */
export async function probeBucket(s3: S3Client, bucket: string): Promise<'exists' | 'missing'> {
  const endpoint = await describeS3Endpoint(s3);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }), {
      abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    return 'exists';
  } catch (error: unknown) {
    const status = httpStatusOf(error);
    if (status === 404 || errorName(error) === 'NotFound' || errorName(error) === 'NoSuchBucket')
      return 'missing';
    throw awsProblem('S3', endpoint, `bucket "${bucket}"`, error);
  }
}

/** The index's check, with an unreachable endpoint or missing credentials named as such. */
export async function checkIndex(index: DynamoEvidenceIndex, endpoint: string): Promise<void> {
  try {
    await index.check();
  } catch (error: unknown) {
    if (error instanceof StoreError && httpStatusOf(error.cause) !== undefined) throw error;
    if (error instanceof StoreError && error.cause === undefined) throw error;
    throw awsProblem(
      'DynamoDB',
      endpoint,
      `table "${index.table}"`,
      error instanceof StoreError ? error.cause : error,
    );
  }
}

/** One message for the ways a call fails before the service answers, or with 403. */
export function awsProblem(
  service: 'S3' | 'DynamoDB',
  endpoint: string,
  what: string,
  error: unknown,
): StoreError {
  const status = httpStatusOf(error);
  const name = errorName(error);
  const variable = service === 'S3' ? 'AWS_ENDPOINT_URL_S3' : 'AWS_ENDPOINT_URL_DYNAMODB';
  if (name === 'CredentialsProviderError') {
    return new StoreError(
      `no AWS credentials for ${service}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE`,
      { cause: error },
    );
  }
  if (
    status === 403 ||
    name === 'AccessDenied' ||
    name === 'InvalidAccessKeyId' ||
    name === 'SignatureDoesNotMatch'
  ) {
    return new StoreError(
      `${service} at ${endpoint} refused access to ${what} (${name ?? status}): check the AWS credentials (AWS_ACCESS_KEY_ID / AWS_PROFILE) and their permissions`,
      { cause: error },
    );
  }
  if (status === undefined) {
    return new StoreError(
      `cannot reach the ${service} endpoint ${endpoint}: ${describeError(error)}. Check ${variable} (or the region) and that the server runs`,
      { cause: error },
    );
  }
  return new StoreError(
    `${service} at ${endpoint} failed on ${what}: ${name ?? 'error'} (HTTP ${status}): ${describeError(error)}`,
    {
      cause: error,
    },
  );
}

async function describeS3Endpoint(s3: S3Client): Promise<string> {
  const override = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  if (override) return `${override} (AWS_ENDPOINT_URL_S3)`;
  const region = await s3.config.region();
  return `https://s3.${region}.amazonaws.com (region ${region})`;
}

const localStoreConfigSchema = z.object({
  format: z.literal('cm01-local-store/1'),
  retentionDays: z.number().int().positive(),
});
export type LocalStoreConfig = z.infer<typeof localStoreConfigSchema>;
export const LOCAL_STORE_CONFIG_FILE = 'store.json';

/** `DIR/store.json`, written by `cm01 store init`; a folder without one keeps 365 days. */
export async function readLocalStoreConfig(dir: string): Promise<LocalStoreConfig> {
  const path = join(dir, LOCAL_STORE_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    if (isMissing(error)) return { format: 'cm01-local-store/1', retentionDays: 365 };
    throw new StoreError(`cannot read ${path}: ${describeError(error)}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    throw new StoreError(`${path} is not JSON: fix or remove it`, { cause: error });
  }
  const parsed = localStoreConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new StoreError(`${path} is not a cm01 local store configuration: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
