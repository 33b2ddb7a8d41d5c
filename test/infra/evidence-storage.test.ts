import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EvidenceStorage,
  INDEX_TABLE_KEYS,
  validateRetention,
} from '../../lib/constructs/evidence-storage.ts';
import { resourcesOfType, type SynthesizedEvidenceApp, synthesizeEvidenceApp } from './evidence-app.ts';

let synthesized: SynthesizedEvidenceApp;
let bucketId: string;
let logBucketId: string;
let keyId: string;

beforeAll(() => {
  synthesized = synthesizeEvidenceApp({ jobs: [] });
  const buckets = resourcesOfType(synthesized.resources, 'AWS::S3::Bucket');
  const evidence = buckets.find(([, bucket]) => bucket.Properties.ObjectLockEnabled === true);
  const logs = buckets.find(([, bucket]) => bucket.Properties.ObjectLockEnabled !== true);
  if (!evidence || !logs) throw new Error('expected an evidence bucket and an access-log bucket');
  bucketId = evidence[0];
  logBucketId = logs[0];
  const keys = resourcesOfType(synthesized.resources, 'AWS::KMS::Key');
  const evidenceKey = keys.find(([, key]) => String(key.Properties.Description).includes('evidence objects'));
  if (!evidenceKey) throw new Error('expected the evidence key');
  keyId = evidenceKey[0];
});

afterAll(() => synthesized.dispose());

describe('evidence bucket', () => {
  it('is versioned and Object-Locked with COMPLIANCE 365 days by default', () => {
    synthesized.template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
        },
      }),
    });
  });

  it('blocks every kind of public access', () => {
    expect(synthesized.resources[bucketId]?.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('encrypts with the customer-managed, rotating key and a bucket key', () => {
    expect(synthesized.resources[bucketId]?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
          },
        },
      ],
    });
    expect(synthesized.resources[keyId]?.Properties.EnableKeyRotation).toBe(true);
    expect(synthesized.resources[keyId]?.DeletionPolicy).toBe('Retain');
  });

  it('refuses every request not made over TLS, for both buckets', () => {
    for (const id of [bucketId, logBucketId]) {
      synthesized.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('writes server access logs to a separate, encrypted, retained log bucket', () => {
    expect(synthesized.resources[bucketId]?.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logBucketId },
      LogFilePrefix: 'evidence-bucket/',
    });
    const logBucket = synthesized.resources[logBucketId];
    expect(logBucket?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(logBucket?.DeletionPolicy).toBe('Retain');
    expect(logBucket?.UpdateReplacePolicy).toBe('Retain');
  });

  it('expires current and noncurrent versions only after the retention has lapsed', () => {
    const lifecycle = synthesized.resources[bucketId]?.Properties.LifecycleConfiguration as
      | { Rules: Record<string, unknown>[] }
      | undefined;
    const rules = lifecycle?.Rules ?? [];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      if (rule.ExpirationInDays !== undefined) expect(rule.ExpirationInDays).toBeGreaterThan(365);
      const noncurrent = rule.NoncurrentVersionExpiration as { NoncurrentDays: number } | undefined;
      if (noncurrent) expect(noncurrent.NoncurrentDays).toBeGreaterThan(365);
    }
    expect(rules).toContainEqual(
      expect.objectContaining({
        ExpirationInDays: 395,
        NoncurrentVersionExpiration: { NoncurrentDays: 395 },
      }),
    );
  });

  it('is retained on stack deletion and never auto-emptied', () => {
    expect(synthesized.resources[bucketId]?.DeletionPolicy).toBe('Retain');
    expect(synthesized.resources[bucketId]?.UpdateReplacePolicy).toBe('Retain');
    expect(resourcesOfType(synthesized.resources, 'Custom::S3AutoDeleteObjects')).toEqual([]);
  });
});

describe('retention rules at synth', () => {
  const production = {
    mode: 'COMPLIANCE' as const,
    retentionDays: 365,
    expirationDays: 395,
    nonProduction: false,
  };

  it('accepts COMPLIANCE in production', () => {
    expect(() => validateRetention('s', production)).not.toThrow();
  });

  it('refuses GOVERNANCE for a production store, naming the way out', () => {
    expect(() => validateRetention('s', { ...production, mode: 'GOVERNANCE' })).toThrow(
      /GOVERNANCE.*nonProduction/,
    );
  });

  it('accepts GOVERNANCE for a non-production store and synthesises it', () => {
    const stack = new Stack(new App(), 'Dev');
    const storage = new EvidenceStorage(stack, 'Store', {
      objectLockMode: 'GOVERNANCE',
      retentionDays: 7,
      nonProduction: true,
    });
    expect(storage.objectLockMode).toBe('GOVERNANCE');
    expect(storage.expirationDays).toBe(37);
  });

  it('refuses GOVERNANCE through the construct too', () => {
    const stack = new Stack(new App(), 'Prod');
    expect(() => new EvidenceStorage(stack, 'Store', { objectLockMode: 'GOVERNANCE' })).toThrow(/refused/);
  });

  it('refuses a lifecycle expiring on or before the retention', () => {
    expect(() => validateRetention('s', { ...production, expirationDays: 365 })).toThrow(
      /later than retentionDays/,
    );
    expect(() => validateRetention('s', { ...production, expirationDays: 30 })).toThrow(
      /later than retentionDays/,
    );
    expect(() => validateRetention('s', { ...production, expirationDays: 366 })).not.toThrow();
  });

  it('refuses retention outside what Object Lock accepts', () => {
    expect(() => validateRetention('s', { ...production, retentionDays: 0, expirationDays: 30 })).toThrow(
      /1 to 36500/,
    );
    expect(() => validateRetention('s', { ...production, retentionDays: 1.5, expirationDays: 30 })).toThrow(
      /1 to 36500/,
    );
  });

  it('applies mode and days from the context', () => {
    const custom = synthesizeEvidenceApp({ jobs: [], context: { 'cm01:retentionDays': '730' } });
    custom.template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 730 } } },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 760 })]),
      },
    });
    custom.dispose();
  });
});

describe('evidence index table', () => {
  it('has the key schema, repository index and TTL attribute the adapter uses', () => {
    synthesized.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: INDEX_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: INDEX_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byRepo',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('has point-in-time recovery, customer-managed encryption, deletion protection and RETAIN', () => {
    synthesized.template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
        },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('stack outputs', () => {
  it('exports the bucket name, table name and auditor role ARN', () => {
    const outputs = synthesized.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.BucketName?.Value).toEqual({ Ref: bucketId });
    expect(outputs.TableName?.Value).toEqual({ Ref: expect.stringMatching(/^EvidenceStorageIndex/) });
    expect(outputs.AuditorRoleArn?.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^AuditorRole/), 'Arn'],
    });
  });
});
