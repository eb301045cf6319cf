import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HttpRemoteRegistry } from '../../functions/adapters/http/http-remote-registry.js';
import { pushImage } from '../replication/support/images.js';
import { startBerthServer } from './support/berth-server.js';
import type { RegistryServer } from './support/registry-server.js';

const password = 'Crash-Passw0rd';
const auth = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`, 'content-type': 'application/json' };

/**
 * The replicating Berth killed with SIGKILL in the middle of a copy (`npm start` processes, the
 * embedded default, auth on both): after a restart on the same data dir the queue hands the task
 * back, it skips what arrived, and the destination ends with the whole image under the same
 * digest, never having shown the tag before its content.
 */
describe('a replicating Berth killed mid-copy', () => {
  let source: RegistryServer;
  let destination: RegistryServer;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startBerthServer({ env: { BERTH_ADMIN_PASSWORD: password } }), startBerthServer({ env: { BERTH_ADMIN_PASSWORD: password } })]);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  const api = async (path: string, body?: unknown) => {
    const response = await fetch(`${source.url}/api/v2.0${path}`, { method: body === undefined ? 'GET' : 'POST', headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    expect(response.status, await response.clone().text()).toBeLessThan(300);
    return response;
  };

  test('restarts cleanly and completes', async () => {
    const client = (server: RegistryServer) => new HttpRemoteRegistry({ url: server.url, credential: { username: 'admin', password } });
    // Small layers first in the manifest, one large one last: the kill lands while it streams.
    const image = await pushImage(client(source), 'crash/app', 'v1', { layers: 1, layerBytes: 150 * 1024 * 1024 });
    const config = (JSON.parse(Buffer.from(image.bytes).toString()) as { config: { digest: string } }).config;

    const registry = Number((await api('/registries', { name: 'dest', type: 'harbor', url: destination.url, insecure: true, credential: { type: 'basic', access_key: 'admin', access_secret: password } })).headers.get('location')!.split('/').pop());
    const policy = Number((await api('/replication/policies', { name: 'crash', dest_registry: { id: registry }, filters: [{ type: 'name', value: 'crash/**' }] })).headers.get('location')!.split('/').pop());
    const execution = Number((await api('/replication/executions', { policy_id: policy })).headers.get('location')!.split('/').pop());

    const target = client(destination);
    await expect.poll(() => target.hasBlob('crash/app', config.digest), { timeout: 60_000, interval: 10 }).toBe(true);
    await source.kill9();
    expect(await target.headManifest('crash/app', 'v1')).toBeNull();

    await source.restart();
    await expect.poll(async () => (await target.headManifest('crash/app', 'v1'))?.digest, { timeout: 120_000, interval: 200 }).toBe(image.digest);
    await expect
      .poll(async () => ((await (await api(`/replication/executions/${execution}`)).json()) as { status: string }).status, { timeout: 30_000, interval: 500 })
      .toBe('Succeed');
    const pulled = await target.getBlob('crash/app', (JSON.parse(Buffer.from(image.bytes).toString()) as { layers: { digest: string }[] }).layers[0]!.digest);
    let size = 0;
    for await (const chunk of pulled!.body) size += chunk.byteLength;
    expect(size).toBe(150 * 1024 * 1024);
  });
});
