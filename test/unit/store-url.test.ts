import { describe, expect, it } from 'vitest';
import { openStore, parseStoreUrl } from '../../lambdas/adapters/open-store.ts';
import { storeProvisioner } from '../../lambdas/adapters/store-init.ts';
import { initStore } from '../../lambdas/app/init-store.ts';
import { InputError } from '../../lambdas/errors.ts';

describe('parseStoreUrl', () => {
  it('reads a local directory, resolved against the working directory', () => {
    expect(parseStoreUrl('local:./.cm01')).toEqual({ kind: 'local', dir: `${process.cwd()}/.cm01` });
    expect(parseStoreUrl('local:/srv/cm01')).toEqual({ kind: 'local', dir: '/srv/cm01' });
  });

  it('reads a bucket and its index table, decoding the table name', () => {
    expect(parseStoreUrl('s3://cm01-evidence?table=cm01-index')).toEqual({
      kind: 's3',
      bucket: 'cm01-evidence',
      table: 'cm01-index',
    });
    expect(parseStoreUrl(`s3://cm01-evidence?table=${encodeURIComponent('Stack-Index.1')}`)).toMatchObject({
      table: 'Stack-Index.1',
    });
  });

  it.each([
    ['gs://bucket?table=t', /unknown store scheme "gs:"/],
    ['bucket', /not a store URL/],
    ['local:', /names no directory/],
    ['s3://cm01-evidence', /add \?table=TABLE/],
    ['s3://Bad_Bucket?table=index', /not a valid bucket name/],
    ['s3://cm01-evidence?table=a b', /not a valid DynamoDB table name/],
    ['s3://cm01-evidence/prefix?table=index', /has a path/],
  ])('refuses %s with a message naming the problem', (url, message) => {
    expect(() => parseStoreUrl(url)).toThrow(InputError);
    expect(() => parseStoreUrl(url)).toThrow(message);
  });

  it('names the --store option in its errors', () => {
    try {
      parseStoreUrl('ftp://x');
      expect.unreachable();
    } catch (error: unknown) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).field).toBe('--store');
    }
  });
});

describe('initStore input', () => {
  it('refuses a lock mode or retention that makes no sense before touching anything', async () => {
    await expect(initStore(storeProvisioner('s3://cm01-x?table=idx'), { retentionDays: 0 })).rejects.toThrow(
      /--retention-days/,
    );
    await expect(
      initStore(storeProvisioner('s3://cm01-x?table=idx'), {
        lockMode: 'FOREVER' as unknown as 'COMPLIANCE',
      }),
    ).rejects.toThrow(/--lock-mode/);
  });

  it('refuses an unknown scheme when opening', async () => {
    await expect(openStore('mem://x')).rejects.toBeInstanceOf(InputError);
  });
});
