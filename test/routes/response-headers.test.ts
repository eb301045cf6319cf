import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nodeStreams } from '../../functions/adapters/node/node-streams.js';
import { type LocalRegistry, localRegistry, pushImage } from '../support/local-app.js';

/**
 * Every v2 answer carries the API version header and the request id (the caller's, else a new
 * one), however it was made: complete at once (manifests), given the headers afterwards (tags,
 * errors), or streamed through the Node fast path (blobs). Served over a real socket by
 * @hono/node-server, as `npm start` serves it.
 */
let registry: LocalRegistry;
let server: ServerType;
let base: string;
let image: { digest: string; body: string };

beforeAll(async () => {
  registry = await localRegistry();
  registry.deps.fastPath = nodeStreams;
  server = serve({ fetch: registry.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  image = await pushImage(registry, 'team/app', 'v1');
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await registry.cleanup();
});

const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };

describe('v2 response headers over HTTP', () => {
  test.each([
    ['GET', '/v2/team/app/manifests/v1'],
    ['HEAD', '/v2/team/app/manifests/v1'],
    ['GET', '/v2/team/app/tags/list'],
    ['GET', '/v2/team/app/manifests/missing'],
    ['GET', 'blob'],
  ])('%s %s', async (method, target) => {
    let path = target;
    if (target === 'blob') path = `/v2/team/app/blobs/${(JSON.parse(image.body) as { layers: { digest: string }[] }).layers[0]!.digest}`;
    const response = await fetch(`${base}${path}`, { method, headers: { ...accept, 'x-request-id': `id-${method}-${target}` } });
    await response.arrayBuffer();
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(response.headers.get('x-request-id')).toBe(`id-${method}-${target}`);
  });

  test('a manifest answer is whole: its bytes, length and digest', async () => {
    for (let round = 0; round < 2; round++) {
      // The second GET is served from the bytes kept for pulls by tag.
      const response = await fetch(`${base}/v2/team/app/manifests/v1`, { headers: accept });
      expect(await response.text()).toBe(image.body);
      expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(image.body)));
      expect(response.headers.get('docker-content-digest')).toBe(image.digest);
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const head = await fetch(`${base}/v2/team/app/manifests/v1`, { method: 'HEAD', headers: accept });
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(image.body)));
  });
});
