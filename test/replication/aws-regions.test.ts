import { serve, type ServerType } from '@hono/node-server';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sweepOutbox } from '../../functions/adapters/aws/outbox.js';
import { createResources } from '../../functions/adapters/aws/create-resources.js';
import { HttpRemoteRegistry } from '../../functions/adapters/http/http-remote-registry.js';
import { createAwsClients } from '../../functions/entry/aws-clients.js';
import { createAwsDeps, type AwsDeps } from '../../functions/entry/aws-deps.js';
import { loadConfig } from '../../functions/config.js';
import { compose } from '../../functions/entry/compose.js';
import { createWorkerHandler } from '../../functions/entry/worker.handler.js';
import { startMoto, type Moto } from '../support/moto.js';
import { SqsEventSource } from '../support/sqs-event-source.js';
import { createPolicy, createRegistry, executionsOf } from './support/api.js';
import { adminPassword, testKey, type TestBerth } from './support/berth.js';
import { pushImage } from './support/images.js';

/**
 * Two `BERTH_BACKEND=aws` Berths on one moto server, in two regions (moto keeps DynamoDB tables
 * and SQS queues per region; each region has its own bucket), as two deployed regions are: the
 * API served over HTTP, and the worker Lambda's own code (createWorkerHandler) fed from each
 * region's queues. A push to us-east-1 reaches eu-west-1 through an event-based policy.
 */
interface Region {
  name: string;
  env: Record<string, string>;
  deps: AwsDeps;
  url: string;
  server: ServerType;
  /** Relays the outbox and runs the worker on both queues until nothing is left to do. */
  work(): Promise<void>;
}

async function startRegion(moto: Moto, name: string): Promise<Region> {
  const regionEnv = { ...moto.env, AWS_REGION: name };
  const clients = createAwsClients(loadConfig(regionEnv));
  const suffix = randomUUID().slice(0, 8);
  const resources = await createResources(clients, { bucket: `berth-${name}-${suffix}`, table: `berth-${suffix}`, queue: `berth-${suffix}` });
  const env = {
    ...regionEnv,
    BERTH_BUCKET: resources.bucket,
    BERTH_TABLE: resources.table,
    BERTH_QUEUE_URL: resources.queueUrl,
    BERTH_LONG_QUEUE_URL: resources.longQueueUrl,
    BERTH_ADMIN_PASSWORD: adminPassword,
    BERTH_REPLICATION_KEY: testKey,
  };
  const deps = createAwsDeps(loadConfig(env));
  const { app } = await compose(deps, loadConfig(env), { notice: () => undefined });
  let server!: ServerType;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port));
  });
  const worker = await createWorkerHandler(env);
  const queues = [resources.queueUrl, resources.longQueueUrl].map((url) => new SqsEventSource(clients.sqs, url, worker));
  return {
    name,
    env,
    deps,
    url: `http://127.0.0.1:${port}`,
    server,
    async work() {
      for (let round = 0; round < 10; round++) {
        const relayed = await sweepOutbox(deps.table, (job) => deps.queue.enqueue(job), 0);
        const batches = (await Promise.all(queues.map((queue) => queue.drain(60_000)))).reduce((sum, r) => sum + r.batches, 0);
        if (relayed === 0 && batches === 0) return;
      }
    },
  };
}

/** The subset of TestBerth the API helpers use. */
function asTestBerth(region: Region): TestBerth {
  const admin = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
  return {
    url: region.url,
    api: (path: string, init: RequestInit = {}) => fetch(`${region.url}/api/v2.0${path}`, { ...init, headers: { ...admin, 'content-type': 'application/json', ...init.headers } }),
    replicator: undefined as never,
  } as unknown as TestBerth;
}

let moto: Moto;
let east: Region;
let west: Region;

beforeAll(async () => {
  moto = await startMoto();
  [east, west] = await Promise.all([startRegion(moto, 'us-east-1'), startRegion(moto, 'eu-west-1')]);
});
afterAll(async () => {
  for (const region of [east, west]) region?.server.close();
  await moto?.stop();
});

describe('two regions on AWS (moto), replicating through the worker code', () => {
  test('a push in us-east-1 arrives in eu-west-1 with the same digests, in that region\'s bucket', async () => {
    const registry = await createRegistry(asTestBerth(east), { name: 'eu-west-1', url: west.url, credential: { access_key: 'admin', access_secret: adminPassword } });
    const policy = await createPolicy(asTestBerth(east), { dest_registry: { id: registry }, trigger: { type: 'event_based' } });

    const eastClient = new HttpRemoteRegistry({ url: east.url, credential: { username: 'admin', password: adminPassword } });
    const image = await pushImage(eastClient, 'global/app', 'v1', { layers: 2, layerBytes: 6 * 1024 * 1024 });
    await east.work();

    const [execution] = await executionsOf({ ...asTestBerth(east) } as TestBerth, policy);
    expect(execution).toMatchObject({ trigger: 'EVENT_BASED', status: 'Succeed', total: 1 });
    const westClient = new HttpRemoteRegistry({ url: west.url, credential: { username: 'admin', password: adminPassword } });
    const copied = await westClient.getManifest('global/app', 'v1');
    expect(copied?.digest).toBe(image.digest);
    const layer = (JSON.parse(Buffer.from(image.bytes).toString()) as { layers: { digest: string; size: number }[] }).layers[1]!;
    // The west Berth serves the layer from its own bucket (a presigned redirect, which fetch follows).
    expect(await west.deps.blobs.stat(layer.digest)).toEqual({ size: layer.size });
    expect(west.env.BERTH_BUCKET).not.toBe(east.env.BERTH_BUCKET);
    const blob = await westClient.getBlob('global/app', layer.digest);
    let size = 0;
    for await (const chunk of blob!.body) size += chunk.byteLength;
    expect(size).toBe(layer.size);
  });
});
