import {
  DeleteObjectCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  type LifecycleRule,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describeError, RetentionError, StoreError } from '../errors.ts';
import { md5Base64, sha256Hex } from '../evidence/canonical-json.ts';
import type {
  CurrentVersion,
  EvidenceStore,
  PutObjectInput,
  PutResult,
  RetentionStatus,
  StoredBody,
  StoredObject,
} from '../evidence/ports.ts';

/**
 * The evidence store on S3 with versioning and Object Lock. Every version is written with its
 * own lock mode and retain-until date (never shorter than the store's default), a Content-MD5
 * for transport integrity, and its SHA-256 in metadata — S3-compatible servers such as Ceph RGW
 * ignore the flexible checksums, so the store keeps and verifies its own.
 */

export type LockMode = 'COMPLIANCE' | 'GOVERNANCE';

export interface S3EvidenceStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Default 365. */
  readonly defaultRetentionDays?: number;
  /** Default COMPLIANCE; GOVERNANCE only for non-production stores. */
  readonly lockMode?: LockMode;
  /**
   * Whether the bucket has Object Lock (default true). Without it S3 refuses lock headers, so
   * versions are written without them and reported with lock mode `NONE`.
   */
  readonly objectLock?: boolean;
  /** The clock retain-until dates count from; tests pass a fixed one. */
  readonly now?: () => Date;
}

/** Metadata names (S3 sends them as `x-amz-meta-<name>`). */
const META_SHA256 = 'sha256';
const META_CONTENT_HASH = 'content-sha256';
const DAY_MS = 86_400_000;

export class S3EvidenceStore implements EvidenceStore {
  readonly location: string;
  readonly defaultRetentionDays: number;
  readonly lockMode: LockMode;
  readonly bucket: string;
  readonly objectLock: boolean;
  private readonly client: S3Client;
  private readonly now: () => Date;

  constructor(options: S3EvidenceStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.location = `s3://${options.bucket}`;
    this.defaultRetentionDays = options.defaultRetentionDays ?? 365;
    this.lockMode = options.lockMode ?? 'COMPLIANCE';
    this.objectLock = options.objectLock ?? true;
    this.now = options.now ?? (() => new Date());
  }

  async put(input: PutObjectInput): Promise<PutResult> {
    const sha256 = sha256Hex(input.body);
    const contentHash = input.contentHash ?? sha256;
    const current = await this.head(input.key);
    if (current && current.contentHash === contentHash) return { ...current, written: false };

    const now = this.now();
    const retainUntil = this.retainUntilFor(now, input.retainUntil);
    const body = Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength);
    try {
      const response = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: input.key,
          Body: body,
          ContentType: input.contentType,
          ContentLength: body.byteLength,
          ContentMD5: md5Base64(input.body),
          Metadata: { [META_SHA256]: sha256, [META_CONTENT_HASH]: contentHash },
          ...(this.objectLock
            ? { ObjectLockMode: this.lockMode, ObjectLockRetainUntilDate: retainUntil }
            : {}),
        }),
      );
      if (!response.VersionId) {
        throw new StoreError(
          `${this.location} returned no version id for ${input.key}: enable versioning on the bucket (cm01 store init)`,
        );
      }
      return {
        key: input.key,
        versionId: response.VersionId,
        sha256,
        contentHash,
        retainUntil: retainUntil.toISOString(),
        lockMode: this.objectLock ? this.lockMode : 'NONE',
        size: body.byteLength,
        lastModified: now.toISOString(),
        written: true,
      };
    } catch (error: unknown) {
      throw this.storeError(`could not write ${input.key}`, error);
    }
  }

  async get(key: string, versionId?: string): Promise<StoredBody> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
      if (!response.Body) throw new StoreError(`${this.location}/${key} has no body`);
      const body = await response.Body.transformToByteArray();
      const object = this.storedObjectOf(key, response);
      const actual = sha256Hex(body);
      if (object.sha256 && actual !== object.sha256) {
        throw new StoreError(
          `${this.location}/${key} version ${object.versionId} is corrupted: its SHA-256 is ${actual}, recorded ${object.sha256}`,
        );
      }
      return { body, object: { ...object, size: body.byteLength }, bodySha256: actual };
    } catch (error: unknown) {
      if (isNotFound(error)) {
        throw new StoreError(
          `${this.location} has no object ${key}${versionId ? ` version ${versionId}` : ''}`,
          { cause: error },
        );
      }
      throw this.storeError(`could not read ${key}`, error);
    }
  }

  async head(key: string, versionId?: string): Promise<StoredObject | undefined> {
    try {
      const response = await this.client.send(
        new HeadObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
      if (response.DeleteMarker) return undefined;
      return this.storedObjectOf(key, response);
    } catch (error: unknown) {
      if (isNotFound(error)) return undefined;
      throw this.storeError(`could not read ${key}`, error);
    }
  }

  async listVersions(key: string): Promise<StoredObject[]> {
    const versionIds: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectVersionsCommand({
            Bucket: this.bucket,
            Prefix: key,
            ...(keyMarker ? { KeyMarker: keyMarker } : {}),
            ...(versionIdMarker ? { VersionIdMarker: versionIdMarker } : {}),
          }),
        );
        for (const version of page.Versions ?? []) {
          if (version.Key === key && version.VersionId) versionIds.push(version.VersionId);
        }
        const more = page.IsTruncated === true;
        keyMarker = more ? page.NextKeyMarker : undefined;
        versionIdMarker = more ? page.NextVersionIdMarker : undefined;
      } while (keyMarker);
    } catch (error: unknown) {
      throw this.storeError(`could not list the versions of ${key}`, error);
    }
    // The listing holds no metadata; the recorded SHA-256 and retention come from each version.
    // S3 lists the versions of a key newest first, which is the order kept (LastModified has
    // only second resolution, so it cannot order versions written within one second).
    const versions = await Promise.all(versionIds.map((id) => this.head(key, id)));
    return versions.filter((v): v is StoredObject => v !== undefined);
  }

  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error: unknown) {
      throw this.storeError(`could not list ${prefix}`, error);
    }
    return keys.sort();
  }

  async listCurrentVersions(prefix: string): Promise<CurrentVersion[]> {
    const current: CurrentVersion[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectVersionsCommand({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(keyMarker ? { KeyMarker: keyMarker } : {}),
            ...(versionIdMarker ? { VersionIdMarker: versionIdMarker } : {}),
          }),
        );
        // A key whose latest entry is a delete marker has no version marked latest here.
        for (const version of page.Versions ?? []) {
          if (version.IsLatest && version.Key && version.VersionId)
            current.push({ key: version.Key, versionId: version.VersionId });
        }
        const more = page.IsTruncated === true;
        keyMarker = more ? page.NextKeyMarker : undefined;
        versionIdMarker = more ? page.NextVersionIdMarker : undefined;
      } while (keyMarker);
    } catch (error: unknown) {
      throw this.storeError(`could not list the versions under ${prefix}`, error);
    }
    return current.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async listFolders(prefix: string): Promise<string[]> {
    const folders: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            Delimiter: '/',
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const common of page.CommonPrefixes ?? []) {
          const name = common.Prefix?.slice(prefix.length, -1);
          if (name) folders.push(name);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error: unknown) {
      throw this.storeError(`could not list the folders under ${prefix}`, error);
    }
    return folders.sort();
  }

  async retention(): Promise<RetentionStatus> {
    try {
      const versioning = await this.client.send(new GetBucketVersioningCommand({ Bucket: this.bucket }));
      const lock = await this.readObjectLock();
      const lifecycle = await this.readLifecycle();
      const versioningStatus =
        versioning.Status === 'Enabled' ? 'Enabled' : versioning.Status === 'Suspended' ? 'Suspended' : 'Off';
      const notes: string[] = [];
      if (!lock.enabled)
        notes.push(`${this.location} has no Object Lock: versions can be deleted (not immutable)`);
      if (lock.enabled && lock.mode === undefined) {
        notes.push(
          'no default retention on the bucket: this tool sets a retention on every version it writes',
        );
      }
      if (lock.mode === 'GOVERNANCE') {
        notes.push(
          'GOVERNANCE mode: principals with s3:BypassGovernanceRetention can shorten retention or delete versions',
        );
      }
      if (versioningStatus !== 'Enabled')
        notes.push(`versioning is ${versioningStatus}: overwrites lose history`);
      return {
        store: 's3',
        location: this.location,
        immutable: lock.enabled && versioningStatus === 'Enabled',
        versioning: versioningStatus,
        objectLock: lock,
        lifecycle,
        notes,
      };
    } catch (error: unknown) {
      throw this.storeError('could not read its retention settings', error);
    }
  }

  async presignGet(key: string, versionId: string, expiresSeconds: number): Promise<string | undefined> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
      {
        expiresIn: expiresSeconds,
      },
    );
  }

  /**
   * Delete one version. Object Lock refuses it before retain-until (S3 answers 403), which this
   * reports as a `RetentionError`. Not part of the port: no use-case deletes evidence; tests and
   * operators use it to prove the lock.
   */
  async deleteVersion(
    key: string,
    versionId: string,
    options: { bypassGovernance?: boolean } = {},
  ): Promise<void> {
    try {
      await this.client.send(
        new DeleteObjectCommand({
          Bucket: this.bucket,
          Key: key,
          VersionId: versionId,
          ...(options.bypassGovernance ? { BypassGovernanceRetention: true } : {}),
        }),
      );
    } catch (error: unknown) {
      if (errorName(error) === 'AccessDenied' || httpStatusOf(error) === 403) {
        throw new RetentionError(
          `${this.location}/${key} version ${versionId} is retained by Object Lock: deletion refused`,
          { cause: error },
        );
      }
      throw this.storeError(`could not delete ${key} version ${versionId}`, error);
    }
  }

  /**
   * Never earlier than now + the default retention, whatever the caller asks; rounded up to a
   * whole second, the precision S3 keeps, so the date returned is the date stored.
   */
  private retainUntilFor(now: Date, requested: Date | undefined): Date {
    const floor = now.getTime() + this.defaultRetentionDays * DAY_MS;
    const wanted = requested && requested.getTime() > floor ? requested.getTime() : floor;
    return new Date(Math.ceil(wanted / 1000) * 1000);
  }

  private async readObjectLock(): Promise<RetentionStatus['objectLock']> {
    try {
      const response = await this.client.send(new GetObjectLockConfigurationCommand({ Bucket: this.bucket }));
      const config = response.ObjectLockConfiguration;
      if (config?.ObjectLockEnabled !== 'Enabled') return { enabled: false };
      const rule = config.Rule?.DefaultRetention;
      const mode = rule?.Mode === 'COMPLIANCE' || rule?.Mode === 'GOVERNANCE' ? rule.Mode : undefined;
      const days = rule?.Days ?? (rule?.Years !== undefined ? rule.Years * 365 : undefined);
      return { enabled: true, ...(mode ? { mode } : {}), ...(days !== undefined ? { days } : {}) };
    } catch (error: unknown) {
      if (errorName(error) === 'ObjectLockConfigurationNotFoundError') return { enabled: false };
      throw error;
    }
  }

  private async readLifecycle(): Promise<string[]> {
    try {
      const response = await this.client.send(
        new GetBucketLifecycleConfigurationCommand({ Bucket: this.bucket }),
      );
      return (response.Rules ?? []).map(describeLifecycleRule);
    } catch (error: unknown) {
      if (errorName(error) === 'NoSuchLifecycleConfiguration') return [];
      throw error;
    }
  }

  private storedObjectOf(
    key: string,
    response: Pick<
      HeadObjectCommandOutput,
      | 'VersionId'
      | 'Metadata'
      | 'ObjectLockMode'
      | 'ObjectLockRetainUntilDate'
      | 'ContentLength'
      | 'LastModified'
    >,
  ): StoredObject {
    const sha256 = response.Metadata?.[META_SHA256] ?? '';
    const mode = response.ObjectLockMode;
    return {
      key,
      versionId: response.VersionId ?? 'null',
      sha256,
      contentHash: response.Metadata?.[META_CONTENT_HASH] ?? sha256,
      retainUntil: response.ObjectLockRetainUntilDate?.toISOString() ?? '',
      lockMode: mode === 'COMPLIANCE' || mode === 'GOVERNANCE' ? mode : 'NONE',
      size: response.ContentLength ?? 0,
      lastModified: response.LastModified?.toISOString() ?? '',
    };
  }

  private storeError(what: string, error: unknown): StoreError {
    if (error instanceof StoreError) return error;
    return new StoreError(`${this.location}: ${what}: ${describeS3Error(error)}`, { cause: error });
  }
}

export function describeLifecycleRule(rule: LifecycleRule): string {
  const parts: string[] = [];
  const scope = rule.Filter?.Prefix ?? rule.Prefix;
  if (rule.Expiration?.Days !== undefined)
    parts.push(`current versions expire after ${rule.Expiration.Days} days`);
  if (rule.NoncurrentVersionExpiration?.NoncurrentDays !== undefined) {
    parts.push(
      `noncurrent versions expire ${rule.NoncurrentVersionExpiration.NoncurrentDays} days after they are replaced`,
    );
  }
  if (rule.Expiration?.ExpiredObjectDeleteMarker) parts.push('expired delete markers are removed');
  if (rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined) {
    parts.push(
      `incomplete uploads are aborted after ${rule.AbortIncompleteMultipartUpload.DaysAfterInitiation} days`,
    );
  }
  const what = parts.length > 0 ? parts.join('; ') : 'no expiration';
  return `${rule.ID ?? 'rule'} (${rule.Status ?? 'unknown'}${scope ? `, prefix ${scope}` : ''}): ${what}`;
}

export function errorName(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'name' in error && typeof error.name === 'string')
    return error.name;
  return undefined;
}

export function httpStatusOf(error: unknown): number | undefined {
  if (error && typeof error === 'object' && '$metadata' in error) {
    const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
    return metadata?.httpStatusCode;
  }
  return undefined;
}

function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchVersion' || httpStatusOf(error) === 404
  );
}

/** One line about an SDK error: its code and HTTP status, or the network failure. */
export function describeS3Error(error: unknown): string {
  const status = httpStatusOf(error);
  const name = errorName(error);
  const code =
    error && typeof error === 'object' && 'code' in error && typeof error.code === 'string'
      ? error.code
      : undefined;
  if (status !== undefined) return `${name ?? 'error'} (HTTP ${status}): ${describeError(error)}`;
  return `${code ?? name ?? 'error'}: ${describeError(error)}`;
}
