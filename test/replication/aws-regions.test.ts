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
import { createPolicy, createRegistry, executionsOf, logOf, tasksOf } from './support/api.js';
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

async function startRegion(moto: Moto, name: string, extra: Record<string, string> = {}): Promise<Region> {
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
    ...extra,
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
/** Fed by us-east-1 through the deployment's region topology, as the CDK app sets it up. */
let south: Region;
const inboundPassword = 'inbound-password-of-the-topology-0123456789';

beforeAll(async () => {
  moto = await startMoto();
  [west, south] = await Promise.all([startRegion(moto, 'eu-west-1'), startRegion(moto, 'ap-southeast-2', { BERTH_REPLICATION_INBOUND_PASSWORD: inboundPassword })]);
  east = await startRegion(moto, 'us-east-1', {
    BERTH_REPLICATION_TARGETS: JSON.stringify([{ region: 'ap-southeast-2', url: south.url, password: inboundPassword, bucket: south.env.BERTH_BUCKET }]),
  });
});
afterAll(async () => {
  for (const region of [east, west, south]) region?.server.close();
  await moto?.stop();
});

describe('two regions on AWS (moto), replicating through the worker code', () => {
  test('a push in us-east-1 arrives in eu-west-1 with the same digests, in that region\'s bucket', async () => {
    const registry = await createRegistry(asTestBerth(east), { name: 'eu-west-1', url: west.url, credential: { access_key: 'admin', access_secret: adminPassword } });
    const policy = await createPolicy(asTestBerth(east), { dest_registry: { id: registry }, trigger: { type: 'event_based' } });

    const eastClient = new HttpRemoteRegistry({ url: east.url, credential: { username: 'admin', password: adminPassword } });
    const image = await pushImage(eastClient, 'global/app', 'v1', { layers: 2, layerBytes: 6 * 1024 * 1024 });
    await east.work();

    const [execution] = await executionsOf(asTestBerth(east), policy);
    const logs = await Promise.all((await tasksOf(asTestBerth(east), execution!.id)).map((task) => logOf(asTestBerth(east), execution!.id, task.id)));
    expect(execution, logs.join('\n')).toMatchObject({ trigger: 'EVENT_BASED', status: 'Succeed', total: 1 });
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

  test('between two regions of the topology, layers go bucket to bucket (S3 copies, checked by SHA-256) and small blobs stream', async () => {
    const eastClient = new HttpRemoteRegistry({ url: east.url, credential: { username: 'admin', password: adminPassword } });
    const image = await pushImage(eastClient, 'topo/app', 'v1', { layers: 2, layerBytes: 3 * 1024 * 1024 });
    await east.work();

    const policies = (await (await asTestBerth(east).api('/replication/policies')).json()) as { id: number; name: string }[];
    const topology = policies.find((p) => p.name === 'region-ap-southeast-2')!;
    let found: { execution: number; task: number } | undefined;
    for (const execution of await executionsOf(asTestBerth(east), topology.id)) {
      const task = (await tasksOf(asTestBerth(east), execution.id)).find((t) => t.dst_resource === 'topo/app');
      if (task) {
        expect(execution, await logOf(asTestBerth(east), execution.id, task.id)).toMatchObject({ trigger: 'EVENT_BASED', status: 'Succeed' });
        found = { execution: execution.id, task: task.id };
      }
    }
    expect(found).toBeDefined();
    const log = await logOf(asTestBerth(east), found!.execution, found!.task);

    const manifest = JSON.parse(Buffer.from(image.bytes).toString()) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
    for (const layer of manifest.layers) {
      expect(log).toContain(`copied blob ${layer.digest} (${layer.size} bytes) server-side`);
      // Only a server-side copy leaves S3's SHA-256 of the object: what the destination checked.
      expect(await south.deps.blobs.verifiedStat(layer.digest)).toEqual({ size: layer.size });
    }
    // The config (under 1 MiB) was uploaded the ordinary way.
    expect(log).not.toContain(`copied blob ${manifest.config.digest}`);
    expect(await south.deps.blobs.verifiedStat(manifest.config.digest)).toBeNull();
    expect(await south.deps.blobs.stat(manifest.config.digest)).toEqual({ size: manifest.config.size });

    const southClient = new HttpRemoteRegistry({ url: south.url, credential: { username: 'admin', password: adminPassword } });
    expect((await southClient.getManifest('topo/app', 'v1'))?.digest).toBe(image.digest);
    for (const layer of manifest.layers) {
      const blob = await southClient.getBlob('topo/app', layer.digest);
      const hash = (await import('node:crypto')).createHash('sha256');
      for await (const chunk of blob!.body) hash.update(chunk);
      expect(`sha256:${hash.digest('hex')}`).toBe(layer.digest);
    }
  });

  test('bytes in storage are adopted only by a system admin, and only when S3 vouches for them', async () => {
    const eastClient = new HttpRemoteRegistry({ url: east.url, credential: { username: 'admin', password: adminPassword } });
    const image = await pushImage(eastClient, 'adopt/app', 'v1', { layers: 1, layerBytes: 2 * 1024 * 1024 });
    const layer = (JSON.parse(Buffer.from(image.bytes).toString()) as { layers: { digest: string; size: number }[] }).layers[0]!;
    // Copied into the west bucket server-side, as a topology region would: west records nothing yet.
    expect(await east.deps.blobs.copyTo(layer.digest, { bucket: west.env.BERTH_BUCKET!, region: 'eu-west-1' }, layer.size)).toBe(true);
    const mount = (headers: Record<string, string>) => fetch(`${west.url}/v2/adopt/app/blobs/uploads/?mount=${layer.digest}`, { method: 'POST', headers });
    // A user with push rights but no admin does not get stray bytes linked: an ordinary session opens.
    const westApi = asTestBerth(west);
    expect((await westApi.api('/users', { method: 'POST', body: JSON.stringify({ username: 'dev', email: 'dev@example.com', realname: 'Dev', password: 'Dev-Passw0rd' }) })).status).toBe(201);
    expect((await westApi.api('/projects', { method: 'POST', body: JSON.stringify({ project_name: 'adopt' }) })).status).toBe(201);
    expect((await westApi.api('/projects/adopt/members', { method: 'POST', body: JSON.stringify({ role_id: 2, member_user: { username: 'dev' } }) })).status).toBe(201);
    const dev = { authorization: `Basic ${Buffer.from('dev:Dev-Passw0rd').toString('base64')}` };
    const asDev = await mount(dev);
    expect(asDev.status).toBe(202);
    const admin = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
    const asAdmin = await mount(admin);
    expect(asAdmin.status).toBe(201);
    expect((await fetch(`${west.url}/v2/adopt/app/blobs/${layer.digest}`, { method: 'HEAD', headers: admin })).status).toBe(200);
    // Bytes S3 cannot vouch for (uploaded without a checksum, as a stray object would be) stay out.
    const stray = Buffer.alloc(2 * 1024 * 1024, 9);
    const strayDigest = `sha256:${(await import('node:crypto')).createHash('sha256').update(stray).digest('hex')}`;
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const { blobKey } = await import('../../functions/adapters/aws/s3-blob-store.js');
    await west.deps.clients.s3.send(new PutObjectCommand({ Bucket: west.env.BERTH_BUCKET, Key: blobKey(strayDigest), Body: stray }));
    expect((await fetch(`${west.url}/v2/adopt/app/blobs/uploads/?mount=${strayDigest}`, { method: 'POST', headers: admin })).status).toBe(202);
  });
});
