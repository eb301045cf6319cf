import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { bytesOf, localRegistry, pushBlob, type LocalRegistry } from '../support/local-app.js';

let registry: LocalRegistry;
beforeEach(async () => {
  registry = await localRegistry();
});
afterEach(async () => {
  await registry.cleanup();
});

async function open(repository = 'lib/app'): Promise<string> {
  const response = await registry.request(`/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  expect(response.status).toBe(202);
  expect(response.headers.get('range')).toBe('0-0');
  expect(response.headers.get('docker-upload-uuid')).toMatch(/^[0-9a-f-]{36}$/);
  return response.headers.get('location')!;
}

describe('uploads', () => {
  test('a streamed PATCH then PUT ?digest= makes the blob visible', async () => {
    const content = bytesOf('hello streamed world');
    const digest = digestOf(content);
    const location = await open();
    const patched = await registry.request(location, { method: 'PATCH', body: content });
    expect(patched.status).toBe(202);
    expect(patched.headers.get('range')).toBe(`0-${content.byteLength - 1}`);
    expect((await registry.request(`/v2/lib/app/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    const put = await registry.request(`${patched.headers.get('location')}?digest=${digest}`, { method: 'PUT' });
    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(digest);
    expect(put.headers.get('location')).toBe(`/v2/lib/app/blobs/${digest}`);
    const get = await registry.request(`/v2/lib/app/blobs/${digest}`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-length')).toBe(String(content.byteLength));
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(content);
  });

  test('ordered Content-Range chunks, a status check, and a final chunk in the PUT', async () => {
    const content = bytesOf('0123456789abcdefghij');
    const digest = digestOf(content);
    let location = await open();
    for (const [start, end] of [
      [0, 4],
      [5, 9],
    ] as const) {
      const response = await registry.request(location, {
        method: 'PATCH',
        body: content.slice(start, end + 1),
        headers: { 'content-range': `${start}-${end}`, 'content-length': String(end - start + 1) },
      });
      expect(response.status).toBe(202);
      expect(response.headers.get('range')).toBe(`0-${end}`);
      location = response.headers.get('location')!;
    }
    const status = await registry.request(location);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-9');
    const separator = location.includes('?') ? '&' : '?';
    const put = await registry.request(`${location}${separator}digest=${encodeURIComponent(digest)}`, {
      method: 'PUT',
      body: content.slice(10),
      headers: { 'content-range': '10-19', 'content-length': '10' },
    });
    expect(put.status).toBe(201);
    expect(new Uint8Array(await (await registry.request(`/v2/lib/app/blobs/${digest}`)).arrayBuffer())).toEqual(content);
  });

  test('a whole blob in the PUT (containerd) and a monolithic POST', async () => {
    const a = bytesOf('put carries the body');
    const location = await open();
    const put = await registry.request(`${location}?digest=${digestOf(a)}`, { method: 'PUT', body: a });
    expect(put.status).toBe(201);
    const b = bytesOf('post carries the body');
    expect(await pushBlob(registry, 'lib/app', b)).toBe(digestOf(b));
    expect((await registry.request(`/v2/lib/app/blobs/${digestOf(b)}`, { method: 'HEAD' })).status).toBe(200);
  });

  test('sha512 digests are verified too', async () => {
    const content = bytesOf('sha512 content');
    const digest = digestOf(content, 'sha512');
    const location = await open();
    await registry.request(location, { method: 'PATCH', body: content });
    const put = await registry.request(`${location}?digest=${digest}`, { method: 'PUT' });
    expect(put.status).toBe(201);
    const monolithic = await registry.request(`/v2/lib/other/blobs/uploads/?digest=${digest}`, { method: 'POST', body: content });
    expect(monolithic.status).toBe(201);
  });

  test('an upload continued after the process lost its running hash is re-hashed at commit', async () => {
    const content = bytesOf('first half|second half');
    const digest = digestOf(content);
    const location = await open();
    await registry.request(location, { method: 'PATCH', body: content.slice(0, 11), headers: { 'content-range': '0-10' } });
    const restarted = await localRegistryOnSameData();
    const patched = await restarted.request(location, { method: 'PATCH', body: content.slice(11), headers: { 'content-range': `11-${content.byteLength - 1}` } });
    expect(patched.status).toBe(202);
    expect((await restarted.request(`${location}?digest=${digest}`, { method: 'PUT' })).status).toBe(201);
  });

  test('cross-repository mount answers 201 with from, and without from for a visible blob', async () => {
    const content = bytesOf('shared layer');
    const digest = await pushBlob(registry, 'team/base', content);
    const mounted = await registry.request(`/v2/team/app/blobs/uploads/?mount=${digest}&from=team/base`, { method: 'POST' });
    expect(mounted.status).toBe(201);
    expect(mounted.headers.get('location')).toBe(`/v2/team/app/blobs/${digest}`);
    const fromless = await registry.request(`/v2/team/third/blobs/uploads/?mount=${digest}`, { method: 'POST' });
    expect(fromless.status).toBe(201);
    const missing = await registry.request(`/v2/team/app/blobs/uploads/?mount=${digestOf(bytesOf('nope'))}&from=team/base`, { method: 'POST' });
    expect(missing.status).toBe(202);
    expect(missing.headers.get('location')).toMatch(/^\/v2\/team\/app\/blobs\/uploads\//);
  });

  test('DELETE cancels a session', async () => {
    const location = await open();
    expect((await registry.request(location, { method: 'DELETE' })).status).toBe(204);
    expect((await registry.request(location)).status).toBe(404);
  });
});

/** A second app over the same data directory: a new process as far as running hashes go. */
async function localRegistryOnSameData(): Promise<{ request: LocalRegistry['request'] }> {
  const { createApp } = await import('../../functions/app.js');
  const app = createApp(registry.deps);
  const module = await import('../../functions/registry/uploads.js');
  module.forgetRunningHashes();
  return { request: async (path, init) => app.request(path, init) };
}
