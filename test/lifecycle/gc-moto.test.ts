import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../functions/app-env.js';
import { digestOf } from '../../functions/core/digest.js';
import { loadConfig } from '../../functions/config.js';
import { createAwsDeps } from '../../functions/entry/aws-deps.js';
import { compose } from '../../functions/entry/compose.js';
import { collectGarbage } from '../../functions/lifecycle/gc-sweep.js';
import { QuotaStore } from '../../functions/lifecycle/quota-store.js';
import type { WriteOp } from '../../functions/ports/table.js';
import { type MotoStack, startMotoStack } from '../support/aws-stack.js';
import { bytesOf, pushBlob } from '../support/local-app.js';
import { pushLayers, randomBytes } from './support.js';

/** Garbage collection on the AWS backend: DynamoDB conditions and S3 deletes, on moto. */
let stack: MotoStack;
let deps: AppDeps;
let request: (path: string, init?: RequestInit) => Promise<Response>;

beforeAll(async () => {
  stack = await startMotoStack();
  deps = createAwsDeps(loadConfig({ ...stack.env }));
  const { app } = await compose(deps, loadConfig({}));
  request = async (path, init) => app.request(`http://registry.test${path}`, init);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const now = { dryRun: false, deleteUntagged: true, graceSeconds: 0 };

describe('garbage collection on S3 and DynamoDB', () => {
  it('deletes the S3 objects and table records of what no manifest references, and keeps the rest whole', async () => {
    const kept = await pushLayers({ request }, 'aws/app', 'v1', [randomBytes(2000)]);
    const doomed = await pushLayers({ request }, 'aws/app', 'v2', [randomBytes(3000)]);
    expect(kept.status).toBe(201);
    expect((await request('/v2/aws/app/manifests/v2', { method: 'DELETE' })).status).toBe(202);

    const dry = await collectGarbage(deps, { ...now, dryRun: true });
    expect(dry).toMatchObject({ manifestsDeleted: 1, blobsDeleted: 2 });
    expect(await deps.blobs.stat(doomed.blobs[1]!.digest)).not.toBeNull();

    const result = await collectGarbage(deps, now);
    expect(result).toMatchObject({ manifestsDeleted: 1, blobsDeleted: 2, bytesFreed: doomed.blobs.reduce((sum, blob) => sum + blob.bytes.byteLength, 0) });
    for (const blob of doomed.blobs) {
      expect(await deps.blobs.stat(blob.digest)).toBeNull();
      expect(await deps.table.get({ pk: `blob#${blob.digest}`, sk: 'meta' })).toBeNull();
    }
    for (const blob of kept.blobs) {
      const stream = await deps.blobs.open(blob.digest);
      const chunks: Uint8Array[] = [];
      for await (const chunk of stream!) chunks.push(chunk);
      expect(digestOf(Buffer.concat(chunks))).toBe(blob.digest);
    }
    expect((await request('/v2/aws/app/manifests/v1')).status).toBe(200);
    const counted = await new QuotaStore(deps).counted('aws');
    expect([...counted.keys()].sort()).toEqual(kept.blobs.map((blob) => blob.digest).sort());
  });

  it('refuses a manifest whose links a collection removed after they were checked (DynamoDB conditions)', async () => {
    const layer = randomBytes(300);
    const config = bytesOf('{"architecture":"amd64","os":"linux"}');
    await pushBlob({ request }, 'aws/race', layer);
    await pushBlob({ request }, 'aws/race', config);
    const transact = deps.table.transact.bind(deps.table);
    let done = false;
    deps.table.transact = async (ops: WriteOp[]) => {
      if (!done && ops.some((op) => 'put' in op && op.put.sk.startsWith('manifest#'))) {
        done = true;
        await collectGarbage(deps, now);
      }
      return transact(ops);
    };
    try {
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.byteLength },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(layer), size: layer.byteLength }],
      });
      const response = await request('/v2/aws/race/manifests/v1', { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
      expect(response.status).toBe(400);
      expect(await deps.blobs.stat(digestOf(layer))).toBeNull();
    } finally {
      deps.table.transact = transact;
    }
  });
});
