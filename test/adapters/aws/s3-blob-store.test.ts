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

describeBlobStoreContract('DeferredBlobStore (the Lambda API) over S3BlobStore on moto', async () => {
  const { DeferredBlobStore } = await import('../../../functions/entry/deferred-ports.js');
  const stack = await startMotoStack();
  let loads = 0;
  const blobs = new DeferredBlobStore(async () => {
    loads++;
    return new S3BlobStore(stack.clients.s3, stack.resources.bucket);
  });
  return {
    blobs,
    cleanup: async () => {
      // Loaded once, on first use, however many calls came.
      if (loads !== 1) throw new Error(`the S3 store was loaded ${loads} times`);
      await stack.stop();
    },
  };
});
