import { S3BlobStore } from '../../../functions/adapters/aws/s3-blob-store.js';
import { describeBlobStoreContract } from '../../ports/blob-store.contract.js';
import { startMotoStack } from '../../support/aws-stack.js';

describeBlobStoreContract('S3BlobStore on moto (5 MiB segments)', async () => {
  const stack = await startMotoStack();
  return {
    blobs: new S3BlobStore(stack.clients.s3, stack.resources.bucket, { partSize: 5 * 1024 * 1024 }),
    cleanup: () => stack.stop(),
  };
});
