import { Aws, Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVIDENCE_PREFIX, type EvidenceStorage, PACKS_PREFIX } from './evidence-storage.ts';

/** Everything the auditor role may do: reads, never a write, delete, or index access. */
export const AUDITOR_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectRetention',
] as const;
export const AUDITOR_LIST_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions'] as const;
export const AUDITOR_BUCKET_SETTING_ACTIONS = [
  's3:GetBucketVersioning',
  's3:GetBucketObjectLockConfiguration',
  's3:GetLifecycleConfiguration',
] as const;

export interface AuditorAccessProps {
  /** The store whose packs the auditor reads. */
  readonly storage: EvidenceStorage;
  /**
   * Who may assume the role: an account (any of its IAM identities that is itself allowed
   * `sts:AssumeRole` on this role) or a single role or user.
   * @default - the deploying account
   */
  readonly assumedBy?: iam.IPrincipal;
  /**
   * Longest session an auditor gets from one AssumeRole.
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;
}

/**
 * An IAM role for auditors. It reads the packs under `packs/` and — because `cm01 verify`
 * re-reads every evidence version a pack's manifest names and compares its hash — the
 * object versions under `evidence/`. It can list only `packs/`, cannot write, delete, change
 * retention, or read the DynamoDB index. The bucket policy additionally denies this role
 * every write, so a later IAM change cannot turn it into a writer.
 */
export class AuditorAccess extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AuditorAccessProps) {
    super(scope, id);
    const { storage } = props;
    const bucket: s3.IBucket = storage.bucket;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: props.assumedBy ?? new iam.AccountRootPrincipal(),
      description:
        'Read-only access for auditors to CM-01 evidence packs and, for verification, evidence versions',
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
    });

    const policy = new iam.Policy(this, 'ReadPacksPolicy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadPacks',
          actions: [...AUDITOR_OBJECT_ACTIONS],
          resources: [storage.objectsArn(PACKS_PREFIX)],
        }),
        // cm01 verify recomputes the hash of every evidence version listed in a pack's
        // manifest, so it must read those versions; reading only, by key and version.
        new iam.PolicyStatement({
          sid: 'ReadEvidenceVersionsForVerify',
          actions: [...AUDITOR_OBJECT_ACTIONS],
          resources: [storage.objectsArn(EVIDENCE_PREFIX)],
        }),
        new iam.PolicyStatement({
          sid: 'ListPacksOnly',
          actions: [...AUDITOR_LIST_ACTIONS],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [PACKS_PREFIX, `${PACKS_PREFIX}*`] } },
        }),
        new iam.PolicyStatement({
          sid: 'ReadBucketRetentionSettings',
          actions: [...AUDITOR_BUCKET_SETTING_ACTIONS],
          resources: [bucket.bucketArn],
        }),
        // Decrypt through S3 only: the same key protects the index, which the auditor must not read.
        new iam.PolicyStatement({
          sid: 'DecryptThroughS3Only',
          actions: ['kms:Decrypt'],
          resources: [storage.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
        }),
      ],
    });
    policy.attachToRole(this.role);
    storage.denyAllWrites(this.role);

    for (const prefix of [PACKS_PREFIX, EVIDENCE_PREFIX]) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOfBucket(storage)}.Arn>/${prefix}*]`,
        reason: `Auditors read every object version under ${prefix} (packs, and the evidence versions verify re-reads); read actions only, on this one bucket.`,
      });
    }
  }
}

function logicalIdOfBucket(storage: EvidenceStorage): string {
  const resource = storage.bucket.node.defaultChild as s3.CfnBucket;
  return resource.stack.getLogicalId(resource);
}
