import { randomBytes } from 'node:crypto';
import { DescribeTableCommand, GetItemCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectRetentionCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEvidenceIndex, expiresAtOf } from '../../lambdas/adapters/dynamo-index.ts';
import {
  type AwsClients,
  createAwsClients,
  openEvidenceStore,
  openStore,
} from '../../lambdas/adapters/open-store.ts';
import type { S3EvidenceStore } from '../../lambdas/adapters/s3-store.ts';
import { storeProvisioner } from '../../lambdas/adapters/store-init.ts';
import { initStore } from '../../lambdas/app/init-store.ts';
import { RetentionError, StoreError } from '../../lambdas/errors.ts';
import { md5Base64, sha256Hex } from '../../lambdas/evidence/canonical-json.ts';
import type { IndexEntry } from '../../lambdas/evidence/ports.ts';
import { describeEvidenceStoreContract } from './evidence-store.contract.ts';

/** S3 on Ceph RGW + the index on DynamoDB Local, both started by the global setup. */

const unique = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;
const bytes = (text: string) => new TextEncoder().encode(text);
const DAY_MS = 86_400_000;

async function initialisedStore(
  options: { lockMode?: 'COMPLIANCE' | 'GOVERNANCE'; retentionDays?: number } = {},
) {
  const url = `s3://${unique('cm01-evidence')}?table=${unique('cm01-index')}`;
  await initStore(storeProvisioner(url), options);
  return { url, ...(await openStore(url, { requireImmutable: true })) };
}

describeEvidenceStoreContract('S3 (Ceph RGW) + DynamoDB Local', () => initialisedStore());

describe('S3 evidence store on Ceph RGW: Object Lock proofs', () => {
  let clients: AwsClients;
  let bucket: string;
  let table: string;
  let store: S3EvidenceStore;

  beforeAll(async () => {
    clients = await createAwsClients();
    const opened = await initialisedStore();
    bucket = opened.url.slice('s3://'.length, opened.url.indexOf('?'));
    table = new URL(opened.url).searchParams.get('table') ?? '';
    store = opened.store as S3EvidenceStore;
  });

  it('reads COMPLIANCE, 365 days, versioning and lifecycle from the bucket itself', async () => {
    const retention = await store.retention();

    expect(retention).toMatchObject({
      store: 's3',
      location: `s3://${bucket}`,
      immutable: true,
      versioning: 'Enabled',
      objectLock: { enabled: true, mode: 'COMPLIANCE', days: 365 },
    });
    expect(retention.lifecycle.join('\n')).toMatch(/noncurrent versions expire 395 days/);
  });

  it('writes each version with its lock mode, retain-until, Content-MD5-checked bytes and SHA-256 metadata', async () => {
    const body = bytes('{"evidence":true}');

    const put = await store.put({
      key: 'evidence/acme/api/pull-request/2026/10/1.json',
      body,
      contentType: 'application/json',
    });
    const retention = await clients.s3.send(
      new GetObjectRetentionCommand({ Bucket: bucket, Key: put.key, VersionId: put.versionId }),
    );
    const head = await clients.s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: put.key, VersionId: put.versionId }),
    );

    expect(put.lockMode).toBe('COMPLIANCE');
    expect(retention.Retention?.Mode).toBe('COMPLIANCE');
    expect(retention.Retention?.RetainUntilDate?.toISOString()).toBe(put.retainUntil);
    expect(head.Metadata?.sha256).toBe(sha256Hex(body));
    expect(head.Metadata?.['content-sha256']).toBe(sha256Hex(body));
    expect(head.ETag).toBe(`"${Buffer.from(md5Base64(body), 'base64').toString('hex')}"`);
  });

  it('refuses to delete a locked version, also with BypassGovernanceRetention', async () => {
    const put = await store.put({
      key: 'evidence/acme/api/deployment/2026/10/7.json',
      body: bytes('d'),
      contentType: 'text/plain',
    });

    await expect(store.deleteVersion(put.key, put.versionId)).rejects.toBeInstanceOf(RetentionError);
    await expect(
      clients.s3.send(
        new DeleteObjectCommand({
          Bucket: bucket,
          Key: put.key,
          VersionId: put.versionId,
          BypassGovernanceRetention: true,
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect(Buffer.from((await store.get(put.key, put.versionId)).body).toString()).toBe('d');
  });

  it('keeps the old version when an object is overwritten by a plain PutObject', async () => {
    const put = await store.put({
      key: 'evidence/acme/api/override/2026/10/e1.json',
      body: bytes('first'),
      contentType: 'text/plain',
    });

    await clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: put.key, Body: Buffer.from('second') }),
    );

    expect(Buffer.from((await store.get(put.key)).body).toString()).toBe('second');
    expect(Buffer.from((await store.get(put.key, put.versionId)).body).toString()).toBe('first');
  });

  it('refuses to shorten the retention of a version', async () => {
    const put = await store.put({
      key: 'evidence/acme/api/pull-request/2026/10/2.json',
      body: bytes('p'),
      contentType: 'text/plain',
    });

    const shorten = clients.s3.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: put.key,
        VersionId: put.versionId,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() + DAY_MS) },
      }),
    );

    await expect(shorten).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect((await store.head(put.key, put.versionId))?.retainUntil).toBe(put.retainUntil);
  });

  it('refuses an upload whose bytes do not match its Content-MD5, and stores nothing', async () => {
    const key = 'evidence/acme/api/pull-request/2026/10/corrupt.json';

    const upload = clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: Buffer.from('what arrived'),
        ContentMD5: md5Base64(bytes('what was sent')),
      }),
    );

    await expect(upload).rejects.toMatchObject({ name: 'BadDigest' });
    expect(await store.head(key)).toBeUndefined();
  });

  it('refuses to return an object whose bytes do not match its recorded SHA-256', async () => {
    const key = 'evidence/acme/api/pull-request/2026/10/mislabelled.json';
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: Buffer.from('real'),
        Metadata: { sha256: sha256Hex('claimed') },
      }),
    );

    await expect(store.get(key)).rejects.toThrow(/corrupted/);
  });

  it('hands out a presigned URL for one version that works, and fails when tampered with', async () => {
    const put = await store.put({
      key: 'packs/2026-10/cm01-acme-2026-10.pdf',
      body: bytes('%PDF-1.7'),
      contentType: 'application/pdf',
    });

    const url = await store.presignGet(put.key, put.versionId, 300);
    const tampered = url?.replace(
      /X-Amz-Signature=[0-9a-f]/,
      (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`,
    );

    expect(url).toContain(`versionId=${put.versionId}`);
    expect(await (await fetch(url ?? '')).text()).toBe('%PDF-1.7');
    expect((await fetch(tampered ?? '')).status).toBe(403);
  });

  it('stores the TTL attribute on every index row: retain-until plus 30 days, in epoch seconds', async () => {
    const index = new DynamoEvidenceIndex({ client: clients.dynamo, table });
    const entry: IndexEntry = {
      kind: 'pull-request',
      period: '2026-10',
      repo: 'acme/api',
      itemId: '42',
      occurredAt: '2026-10-03T00:00:00Z',
      key: 'evidence/acme/api/pull-request/2026/10/42.json',
      versionId: 'v',
      sha256: 's',
      contentHash: 'h',
      retainUntil: '2027-10-03T12:00:00.000Z',
    };

    await index.put([entry]);
    const item = await clients.dynamo.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: 'pull-request#2026-10' }, sk: { S: 'acme/api#42' } },
      }),
    );

    expect(item.Item?.expiresAt?.N).toBe(String(Date.parse('2027-11-02T12:00:00.000Z') / 1000));
    expect(expiresAtOf(entry.retainUntil)).toBe(Date.parse('2027-11-02T12:00:00.000Z') / 1000);
  });

  it('initialises idempotently: a second init creates nothing and checks everything', async () => {
    const url = `s3://${bucket}?table=${table}`;

    const again = await initStore(storeProvisioner(url));

    expect(again.created).toEqual([]);
    expect(again.checked.join('\n')).toMatch(/COMPLIANCE 365 days/);
    expect(again.checked.join('\n')).toMatch(/GSI byRepo/);
  });

  it('reports GOVERNANCE mode and its weakness when the bucket was made with it', async () => {
    const opened = await initialisedStore({ lockMode: 'GOVERNANCE', retentionDays: 30 });

    const retention = await opened.store.retention();
    const put = await opened.store.put({ key: 'x/1.json', body: bytes('g'), contentType: 'text/plain' });

    expect(retention.objectLock).toEqual({ enabled: true, mode: 'GOVERNANCE', days: 30 });
    expect(retention.notes.join('\n')).toMatch(/BypassGovernanceRetention/);
    expect(opened.store.defaultRetentionDays).toBe(30);
    expect(put.lockMode).toBe('GOVERNANCE');
  });
});

describe('openStore and initStore: bad settings get one clear error', () => {
  let clients: AwsClients;
  const savedEndpoint = process.env.AWS_ENDPOINT_URL_S3;
  const savedDynamo = process.env.AWS_ENDPOINT_URL_DYNAMODB;

  beforeAll(async () => {
    clients = await createAwsClients();
  });
  afterEach(() => {
    process.env.AWS_ENDPOINT_URL_S3 = savedEndpoint;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = savedDynamo;
  });

  it('names an unreachable S3 endpoint and the variable that sets it', async () => {
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:9';
    const started = Date.now();

    const opening = openStore('s3://cm01-anything?table=cm01-index');

    await expect(opening).rejects.toBeInstanceOf(StoreError);
    await expect(opening).rejects.toThrow(
      /cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:9 \(AWS_ENDPOINT_URL_S3\)/,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('names an unreachable DynamoDB endpoint and the variable that sets it', async () => {
    const { url } = await initialisedStore();
    process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:9';

    await expect(openStore(url)).rejects.toThrow(
      /cannot reach the DynamoDB endpoint http:\/\/127\.0\.0\.1:9 \(AWS_ENDPOINT_URL_DYNAMODB\)/,
    );
  });

  it('names a missing bucket and how to create it', async () => {
    const url = `s3://${unique('cm01-missing')}?table=cm01-index`;

    await expect(openStore(url)).rejects.toThrow(
      /bucket "cm01-missing-[0-9a-f]+" does not exist .*"cm01 store init --store s3:\/\//,
    );
  });

  it('refuses a bucket without Object Lock where immutability is required', async () => {
    const bucket = unique('cm01-plain');
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));

    await expect(openStore(`s3://${bucket}?table=whatever`, { requireImmutable: true })).rejects.toThrow(
      /has versioning is Off and Object Lock is not enabled: evidence there is not immutable/,
    );
  });

  it('refuses to initialise over a bucket without Object Lock, and leaves no table behind', async () => {
    const bucket = unique('cm01-plain');
    const table = unique('cm01-index');
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));

    await expect(initStore(storeProvisioner(`s3://${bucket}?table=${table}`))).rejects.toThrow(
      /exists but has versioning is Off and Object Lock is not enabled: refusing/,
    );
    await expect(clients.dynamo.send(new DescribeTableCommand({ TableName: table }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('names a missing index table and how to create it', async () => {
    const { url } = await initialisedStore();
    const otherTable = unique('cm01-absent');
    const withoutTable = url.replace(/table=.*/, `table=${otherTable}`);

    await expect(openStore(withoutTable)).rejects.toThrow(
      new RegExp(`DynamoDB table "${otherTable}" does not exist: create it with "cm01 store init`),
    );
  });

  it('opens the store alone for object-only commands, without needing the table', async () => {
    const { url } = await initialisedStore();
    const withoutTable = url.replace(/table=.*/, `table=${unique('cm01-absent')}`);

    const store = await openEvidenceStore(withoutTable, { requireImmutable: true });

    expect(store.location).toBe(url.slice(0, url.indexOf('?')));
    expect((await store.retention()).immutable).toBe(true);
  });
});
