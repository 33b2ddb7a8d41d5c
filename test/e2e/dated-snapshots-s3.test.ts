import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import { openStore } from '../../lambdas/adapters/open-store.ts';
import { storeProvisioner } from '../../lambdas/adapters/store-init.ts';
import { initStore } from '../../lambdas/app/init-store.ts';
import { datedSnapshotCases } from '../collect/dated-snapshots.scenario.ts';

/**
 * Dated snapshots on S3 with Object Lock (Ceph RGW) and the index on DynamoDB Local: the index's
 * key-range query by repository and day, the bucket's HEAD of the current version. The local
 * store runs every case (test/collect/dated-snapshots.test.ts); here, one change of each kind.
 */

const unique = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

async function openS3() {
  const bucket = unique('cm01-dated');
  const url = `s3://${bucket}?table=${unique('cm01-dated')}`;
  await initStore(storeProvisioner(url), {});
  const opened = await openStore(url, { requireImmutable: true });
  return {
    ...opened,
    async emptyIndexOver() {
      // A new, empty table over the same bucket: an index lost, or not yet rebuilt.
      const other = `s3://${bucket}?table=${unique('cm01-dated')}`;
      await initStore(storeProvisioner(other), {});
      return (await openStore(other, { requireImmutable: true })).index;
    },
  };
}

describe('dated snapshots on S3 (Ceph RGW) + DynamoDB Local', () => {
  datedSnapshotCases(openS3, { everyChange: false });
});
