import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { bytesOf, errorOf, type LocalRegistry, localRegistry } from '../support/local-app.js';

let registry: LocalRegistry;
beforeEach(async () => {
  registry = await localRegistry();
});
afterEach(async () => {
  await registry.cleanup();
});

async function open(): Promise<string> {
  return (await registry.request('/v2/lib/app/blobs/uploads/', { method: 'POST' })).headers.get('location')!;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath ?? '', entry.name));
}

describe('upload errors', () => {
  test.each([
    ['/v2/Upper/blobs/uploads/', 'NAME_INVALID'],
    ['/v2/a..b/blobs/uploads/', 'NAME_INVALID'],
    ['/v2/a/-b/blobs/uploads/', 'NAME_INVALID'],
    ['/v2/a%2Fb/blobs/uploads/', 'NAME_INVALID'],
  ])('POST %s is %s', async (path, code) => {
    expect(await errorOf(await registry.request(path, { method: 'POST' }))).toEqual({ status: 400, code });
  });

  test.each(['sha256:abc', 'md5:0123', 'sha256:' + 'G'.repeat(64), 'nodigest'])('a malformed digest %s is DIGEST_INVALID', async (digest) => {
    const location = await open();
    expect(await errorOf(await registry.request(`${location}?digest=${digest}`, { method: 'PUT' }))).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    expect(await errorOf(await registry.request(`/v2/lib/app/blobs/${digest}`))).toEqual({ status: 400, code: 'DIGEST_INVALID' });
  });

  test('a PUT without digest is DIGEST_INVALID and the session stays open', async () => {
    const location = await open();
    expect(await errorOf(await registry.request(location, { method: 'PUT' }))).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    expect((await registry.request(location)).status).toBe(204);
  });

  test('an out-of-order chunk is 416 with the current Range', async () => {
    const location = await open();
    await registry.request(location, { method: 'PATCH', body: bytesOf('12345'), headers: { 'content-range': '0-4' } });
    const skipped = await registry.request(location, { method: 'PATCH', body: bytesOf('xxxxx'), headers: { 'content-range': '10-14' } });
    expect(skipped.status).toBe(416);
    expect(skipped.headers.get('range')).toBe('0-4');
    const overlapping = await registry.request(location, { method: 'PATCH', body: bytesOf('45678'), headers: { 'content-range': '3-7' } });
    expect(overlapping.status).toBe(416);
    expect((await errorOf(overlapping)).code).toBe('BLOB_UPLOAD_INVALID');
    const status = await registry.request(location);
    expect(status.headers.get('range')).toBe('0-4');
  });

  test.each(['abc', '5-2', 'bytes=x-y'])('a malformed Content-Range %s is 416', async (range) => {
    const location = await open();
    const response = await registry.request(location, { method: 'PATCH', body: bytesOf('12345'), headers: { 'content-range': range } });
    expect(response.status).toBe(416);
  });

  test('a chunk whose length differs from its Content-Range is refused and not kept', async () => {
    const location = await open();
    const response = await registry.request(location, { method: 'PATCH', body: bytesOf('123'), headers: { 'content-range': '0-9' } });
    expect(await errorOf(response)).toEqual({ status: 400, code: 'SIZE_INVALID' });
    expect((await registry.request(location)).headers.get('range')).toBe('0-0');
  });

  test('a digest that does not match the bytes is DIGEST_INVALID and nothing is stored', async () => {
    const location = await open();
    await registry.request(location, { method: 'PATCH', body: bytesOf('actual bytes') });
    const wrong = digestOf(bytesOf('other bytes'));
    expect(await errorOf(await registry.request(`${location}?digest=${wrong}`, { method: 'PUT' }))).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    expect((await registry.request(`/v2/lib/app/blobs/${wrong}`, { method: 'HEAD' })).status).toBe(404);
    expect((await registry.request(`/v2/lib/app/blobs/${digestOf(bytesOf('actual bytes'))}`, { method: 'HEAD' })).status).toBe(404);
    expect(await filesUnder(join(registry.dir, 'blobs'))).toEqual([]);
    expect(await filesUnder(join(registry.dir, 'uploads'))).toEqual([]);
    const monolithic = await registry.request(`/v2/lib/app/blobs/uploads/?digest=${wrong}`, { method: 'POST', body: bytesOf('actual bytes') });
    expect(await errorOf(monolithic)).toEqual({ status: 400, code: 'DIGEST_INVALID' });
    expect(await filesUnder(join(registry.dir, 'uploads'))).toEqual([]);
  });

  test.each([
    ['GET', 'status'],
    ['PATCH', 'patch'],
    ['PUT', 'put'],
    ['DELETE', 'cancel'],
  ])('an unknown upload id (%s) is BLOB_UPLOAD_UNKNOWN', async (method) => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', 'a.b']) {
      const path = `/v2/lib/app/blobs/uploads/${id}${method === 'PUT' ? `?digest=${digestOf(bytesOf('x'))}` : ''}`;
      const response = await registry.request(path, { method, body: method === 'PATCH' ? bytesOf('x') : undefined });
      expect(await errorOf(response)).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
    }
  });

  test('a session belongs to its repository', async () => {
    const location = await open();
    const foreign = location.replace('/lib/app/', '/lib/other/');
    expect(await errorOf(await registry.request(foreign))).toEqual({ status: 404, code: 'BLOB_UPLOAD_UNKNOWN' });
  });

  test('a client killed mid-PATCH leaves the session at its last acknowledged size', async () => {
    const location = await open();
    await registry.request(location, { method: 'PATCH', body: bytesOf('kept'), headers: { 'content-range': '0-3' } });
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytesOf('partial bytes that never finish'));
        controller.error(new Error('client went away'));
      },
    });
    const response = await registry.request(location, { method: 'PATCH', body: broken, duplex: 'half' } as RequestInit);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect((await registry.request(location)).headers.get('range')).toBe('0-3');
    const rest = bytesOf('kept and finished');
    await registry.request(location, { method: 'PATCH', body: rest.slice(4), headers: { 'content-range': `4-${rest.byteLength - 1}` } });
    expect((await registry.request(`${location}?digest=${digestOf(rest)}`, { method: 'PUT' })).status).toBe(201);
  });

  test('a second writer of a busy session is refused and cannot corrupt the first', async () => {
    const location = await open();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(bytesOf('first writer '));
        await gate;
        controller.enqueue(bytesOf('finishes'));
        controller.close();
      },
    });
    const first = registry.request(location, { method: 'PATCH', body: slow, duplex: 'half' } as RequestInit);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await registry.request(location, { method: 'PATCH', body: bytesOf('intruder') });
    expect(await errorOf(second)).toEqual({ status: 400, code: 'BLOB_UPLOAD_INVALID' });
    release();
    expect((await first).status).toBe(202);
    const digest = digestOf(bytesOf('first writer finishes'));
    expect((await registry.request(`${location}?digest=${digest}`, { method: 'PUT' })).status).toBe(201);
  });

  test('a body over the runtime limit is a 413 naming the limit, and nothing is kept', async () => {
    await registry.cleanup();
    registry = await localRegistry({ maxRequestBytes: 1024 });
    const location = await open();
    const big = new Uint8Array(4096);
    const response = await registry.request(location, { method: 'PATCH', body: big });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).toBe('SIZE_INVALID');
    expect(body.errors[0]!.message).toContain('1024');
    expect(body.errors[0]!.message).toContain('upload service');
    expect((await registry.request(location)).headers.get('range')).toBe('0-0');
  });

  test('unsupported methods are 405 and unknown paths 404, in OCI error form', async () => {
    expect((await registry.request('/v2/lib/app/tags/list', { method: 'POST' })).status).toBe(405);
    expect((await registry.request('/v2/lib/app/whatever')).status).toBe(404);
  });
});
