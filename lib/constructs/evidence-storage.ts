import { Duration, Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export type ObjectLockMode = 'COMPLIANCE' | 'GOVERNANCE';

/** Key prefixes of the bucket (see `evidenceKey` and `packKey` in the evidence layer). */
export const EVIDENCE_PREFIX = 'evidence/';
export const PACKS_PREFIX = 'packs/';
export type EvidencePrefix = typeof EVIDENCE_PREFIX | typeof PACKS_PREFIX;

/** Index table layout shared with the DynamoDB adapter. */
export const INDEX_TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  repositoryIndexName: 'byRepo',
  repositoryIndexPartitionKey: 'gsi1pk',
  repositoryIndexSortKey: 'gsi1sk',
  timeToLiveAttribute: 'expiresAt',
} as const;

/** Days between the end of a version's retention and its expiry, by default. */
export const DEFAULT_EXPIRY_MARGIN_DAYS = 30;

/**
 * Actions no evidence function (nor the auditor) may ever perform on the bucket, denied in the
 * bucket policy itself so that a later, broader IAM grant to those roles cannot weaken the
 * store: deleting versions, touching retention or legal holds, and changing the bucket's lock,
 * versioning, lifecycle, encryption, public access, logging or policy.
 */
export const ACTIONS_DENIED_TO_EVIDENCE_ROLES = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:DeleteBucket',
  's3:BypassGovernanceRetention',
  's3:PutObjectLegalHold',
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketVersioning',
  's3:PutLifecycleConfiguration',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutEncryptionConfiguration',
  's3:PutBucketPublicAccessBlock',
  's3:PutBucketOwnershipControls',
  's3:PutBucketAcl',
  's3:PutObjectAcl',
  's3:PutObjectVersionAcl',
  's3:PutBucketLogging',
  's3:PutReplicationConfiguration',
] as const;

/** Key-policy actions denied to the same roles: they can never weaken or destroy the key. */
export const KEY_ACTIONS_DENIED_TO_EVIDENCE_ROLES = [
  'kms:PutKeyPolicy',
  'kms:ScheduleKeyDeletion',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:CreateGrant',
  'kms:RevokeGrant',
] as const;

const OBJECT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectRetention'] as const;
/** What the S3 adapter's `retention()` reads, and the listings `listKeys`/`listVersions` use. */
const BUCKET_READ_ACTIONS = [
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:GetBucketVersioning',
  's3:GetBucketObjectLockConfiguration',
  's3:GetLifecycleConfiguration',
] as const;
/** What the DynamoDB index adapter reads with: Query, and the table checks at open. */
const INDEX_READ_ACTIONS = [
  'dynamodb:Query',
  'dynamodb:DescribeTable',
  'dynamodb:DescribeTimeToLive',
] as const;
/**
 * What the index adapter writes with: conditional PutItem, nothing else. No DeleteItem (rows
 * leave only through TTL, after retention), no UpdateItem, and no BatchWriteItem, which can
 * delete and cannot carry a condition. The index is a cache of the bucket (`cm01 index
 * rebuild` recreates it), so a writer that can only add rows cannot hide evidence the pack
 * reads: the pack cross-checks the index against a listing of the bucket.
 */
export const INDEX_WRITE_ACTIONS = ['dynamodb:PutItem'] as const;

export interface EvidenceStorageProps {
  /**
   * Object Lock mode of the default retention. GOVERNANCE lets privileged users delete
   * locked versions, so it is accepted only with `nonProduction: true`.
   * @default 'COMPLIANCE'
   */
  readonly objectLockMode?: ObjectLockMode;
  /**
   * Default retention of every new object version, in days.
   * @default 365
   */
  readonly retentionDays?: number;
  /**
   * Days after creation (current versions) or after becoming noncurrent (older versions)
   * when the lifecycle expires a version. Must be later than the retention, or the
   * lifecycle would hide still-locked evidence behind delete markers.
   * @default retentionDays + 30
   */
  readonly expirationDays?: number;
  /**
   * True only for a stack that holds no audit evidence; the only way to allow GOVERNANCE.
   * @default false
   */
  readonly nonProduction?: boolean;
}

/**
 * Where evidence lives: an Object-Locked, versioned, KMS-encrypted, TLS-only S3 bucket with
 * server access logs, and the DynamoDB index table, both retained when the stack is deleted.
 * Functions get access only through `grantWriteEvidence` and `grantReadEvidence`, which also
 * put their roles under the bucket policy's explicit deny of every weakening action.
 */
export class EvidenceStorage extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  readonly table: dynamodb.Table;
  readonly objectLockMode: ObjectLockMode;
  readonly retentionDays: number;
  readonly expirationDays: number;

  /** Role ARNs that the bucket policy and key policy deny every weakening action. */
  private readonly guardedRoleArns: string[] = [];
  private readonly guardedRoleIds = new Set<string>();
  private readonly deniedWritesRoleArns: string[] = [];

  constructor(scope: Construct, id: string, props: EvidenceStorageProps = {}) {
    super(scope, id);
    // Log delivery through a bucket policy rather than the legacy LogDeliveryWrite ACL, which
    // is incompatible with BucketOwnerEnforced; set here so it holds whatever the app's flags.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.objectLockMode = props.objectLockMode ?? 'COMPLIANCE';
    this.retentionDays = props.retentionDays ?? 365;
    this.expirationDays = props.expirationDays ?? this.retentionDays + DEFAULT_EXPIRY_MARGIN_DAYS;
    validateRetention(this.node.path, {
      mode: this.objectLockMode,
      retentionDays: this.retentionDays,
      expirationDays: this.expirationDays,
      nonProduction: props.nonProduction ?? false,
    });

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts CM-01 evidence objects and the evidence index',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Server access log delivery supports SSE-S3 only, never SSE-KMS.
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
      lifecycleRules: [
        {
          id: 'expire-access-logs-after-evidence',
          expiration: Duration.days(this.expirationDays),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket of the evidence bucket; logging it as well would need yet another bucket, without end.',
    });

    const retention = Duration.days(this.retentionDays);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        this.objectLockMode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(retention)
          : s3.ObjectLockRetention.governance(retention),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'evidence-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
      lifecycleRules: [
        {
          id: 'expire-after-retention-lapsed',
          expiration: Duration.days(this.expirationDays),
          noncurrentVersionExpiration: Duration.days(this.expirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    this.table = new dynamodb.Table(this, 'Index', {
      partitionKey: { name: INDEX_TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: INDEX_TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: INDEX_TABLE_KEYS.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: INDEX_TABLE_KEYS.repositoryIndexName,
      partitionKey: {
        name: INDEX_TABLE_KEYS.repositoryIndexPartitionKey,
        type: dynamodb.AttributeType.STRING,
      },
      sortKey: { name: INDEX_TABLE_KEYS.repositoryIndexSortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /** ARN pattern of every object under one prefix. */
  objectsArn(prefix: EvidencePrefix): string {
    return this.bucket.arnForObjects(`${prefix}*`);
  }

  /**
   * Read access to evidence and packs: objects, their versions and retention, listings, the
   * bucket settings `retention()` reports, the index (reads only), and decryption.
   */
  grantReadEvidence(grantee: lambda.IFunction | iam.IRole): void {
    const role = roleOf(grantee);
    this.guard(role);
    allow(role, 'ReadEvidenceObjects', OBJECT_READ_ACTIONS, [
      this.objectsArn(EVIDENCE_PREFIX),
      this.objectsArn(PACKS_PREFIX),
    ]);
    allow(role, 'ReadEvidenceBucketSettings', BUCKET_READ_ACTIONS, [this.bucket.bucketArn]);
    // DynamoDB with a customer-managed key also checks the caller may use the key.
    allow(role, 'DecryptEvidence', ['kms:Decrypt', 'kms:DescribeKey'], [this.key.keyArn]);
    allow(role, 'ReadEvidenceIndex', INDEX_READ_ACTIONS, [this.table.tableArn, this.repositoryIndexArn()]);
    this.acknowledgeObjectWildcards(role, [EVIDENCE_PREFIX, PACKS_PREFIX]);
  }

  /**
   * Everything `grantReadEvidence` gives, plus PutObject under the given prefixes, encryption
   * with the key, and index writes. PutObjectRetention is granted because S3 requires it for a
   * PutObject that carries Object Lock headers (the adapter sets mode and retain-until on every
   * version); the bucket policy denies it, and PutObject, whenever the requested mode differs
   * from the bucket's or the retention is shorter than the bucket's default, and
   * BypassGovernanceRetention is denied, so these roles can only ever lengthen retention.
   * No PutObjectLegalHold and no delete of any kind.
   */
  grantWriteEvidence(
    grantee: lambda.IFunction | iam.IRole,
    options: { readonly prefixes?: readonly EvidencePrefix[] } = {},
  ): void {
    const prefixes = options.prefixes ?? [EVIDENCE_PREFIX, PACKS_PREFIX];
    if (prefixes.length === 0)
      throw new Error(`${this.node.path}: grantWriteEvidence needs at least one prefix`);
    const role = roleOf(grantee);
    this.grantReadEvidence(role);
    allow(
      role,
      'WriteEvidenceObjects',
      ['s3:PutObject', 's3:PutObjectRetention'],
      prefixes.map((prefix) => this.objectsArn(prefix)),
    );
    allow(role, 'EncryptEvidence', ['kms:Encrypt', 'kms:GenerateDataKey'], [this.key.keyArn]);
    allow(role, 'WriteEvidenceIndex', INDEX_WRITE_ACTIONS, [this.table.tableArn]);
  }

  /**
   * Deny the role every write, not only weakening: for read-only principals such as the
   * auditor, so that no later IAM grant can turn them into writers.
   */
  denyAllWrites(role: iam.IRole): void {
    this.guard(role);
    if (this.deniedWritesRoleArns.length === 0) {
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyWritesByReadOnlyRoles',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:Put*', 's3:Delete*', 's3:Replicate*', 's3:RestoreObject', 's3:AbortMultipartUpload'],
          resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
          conditions: {
            ArnEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.deniedWritesRoleArns }) },
          },
        }),
      );
    }
    this.deniedWritesRoleArns.push(role.roleArn);
  }

  private repositoryIndexArn(): string {
    return `${this.table.tableArn}/index/${INDEX_TABLE_KEYS.repositoryIndexName}`;
  }

  /**
   * Put a role under the explicit denies. Deny to these roles only, not to every principal:
   * CloudFormation (the deploying role) must still be able to update the bucket's lifecycle,
   * policy and settings it manages, and a blanket deny on PutBucketPolicy would lock the
   * account out of the bucket policy for good.
   */
  private guard(role: iam.IRole): void {
    const id = role.node.addr;
    if (this.guardedRoleIds.has(id)) return;
    this.guardedRoleIds.add(id);
    if (this.guardedRoleArns.length === 0) {
      const guardedPrincipals = {
        ArnEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.guardedRoleArns }) },
      };
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyWeakeningByEvidenceRoles',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [...ACTIONS_DENIED_TO_EVIDENCE_ROLES],
          resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
          conditions: guardedPrincipals,
        }),
      );
      // Retention set with a write may only be the bucket's mode and at least its default days
      // (one day of slack: S3 counts whole days remaining, rounding down).
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyShortRetentionByEvidenceRoles',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObject', 's3:PutObjectRetention'],
          resources: [this.bucket.arnForObjects('*')],
          conditions: {
            ...guardedPrincipals,
            NumericLessThan: { 's3:object-lock-remaining-retention-days': this.retentionDays - 1 },
          },
        }),
      );
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyOtherLockModeByEvidenceRoles',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObject', 's3:PutObjectRetention'],
          resources: [this.bucket.arnForObjects('*')],
          conditions: {
            ...guardedPrincipals,
            StringNotEqualsIfExists: { 's3:object-lock-mode': this.objectLockMode },
          },
        }),
      );
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyKeyWeakeningByEvidenceRoles',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [...KEY_ACTIONS_DENIED_TO_EVIDENCE_ROLES],
          resources: ['*'],
          conditions: guardedPrincipals,
        }),
      );
    }
    this.guardedRoleArns.push(role.roleArn);
  }

  private acknowledgeObjectWildcards(role: iam.IRole, prefixes: readonly EvidencePrefix[]): void {
    for (const prefix of prefixes) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.bucket)}.Arn>/${prefix}*]`,
        reason: `Evidence keys are created per item under ${prefix} (predictable, unbounded names); the grant is limited to that prefix of this one bucket.`,
      });
    }
  }
}

function logicalIdOf(bucket: s3.Bucket): string {
  const resource = bucket.node.defaultChild as s3.CfnBucket;
  return resource.stack.getLogicalId(resource);
}

function roleOf(grantee: lambda.IFunction | iam.IRole): iam.IRole {
  if ('roleArn' in grantee) return grantee;
  if (!grantee.role) throw new Error(`${grantee.node.path}: the function has no role to grant to`);
  return grantee.role;
}

/**
 * The synth-time rules of retention, kept apart so tests can state them: GOVERNANCE only for
 * non-production, and expiry strictly after retention has lapsed.
 */
export function validateRetention(
  path: string,
  settings: { mode: ObjectLockMode; retentionDays: number; expirationDays: number; nonProduction: boolean },
): void {
  if (
    !Number.isInteger(settings.retentionDays) ||
    settings.retentionDays < 1 ||
    settings.retentionDays > 36_500
  ) {
    throw new Error(
      `${path}: retentionDays must be a whole number of days from 1 to 36500, got ${settings.retentionDays}`,
    );
  }
  if (settings.mode === 'GOVERNANCE' && !settings.nonProduction) {
    throw new Error(
      `${path}: Object Lock GOVERNANCE mode can be bypassed by privileged users and is refused for a production evidence store; use COMPLIANCE, or mark the stack nonProduction if it holds no audit evidence`,
    );
  }
  if (!Number.isInteger(settings.expirationDays) || settings.expirationDays <= settings.retentionDays) {
    throw new Error(
      `${path}: expirationDays (${settings.expirationDays}) must be later than retentionDays (${settings.retentionDays}); expiring earlier would hide still-locked evidence behind delete markers`,
    );
  }
}

/** One allow statement on a role's own policy. */
function allow(role: iam.IRole, sid: string, actions: readonly string[], resources: string[]): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions: [...actions], resources }));
}
