import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { content, mediaTypes, randomLayer, sha256, sha512, uniqueRepository, unknownDigest } from './content.js';
import { bodyBytes, expectOciError, explain, locationPath, pushBlob, requireLocation, startUpload, withQuery } from './oci-client.js';
import { openTarget, type Target } from './target.js';

// Spec "Push" for blobs: end-4a/4b (POST), end-5 (PATCH), end-6 (PUT), end-11 (mount), end-13 (status).

let target: Target;
const repository = uniqueRepository('push');

beforeAll(async () => {
  target = await openTarget();
});

afterAll(async () => {
  await target?.close();
});

async function expectBlob(name: string, digest: string, bytes: Uint8Array): Promise<void> {
  const response = await target.fetch(`/v2/${name}/blobs/${digest}`);
  expect(response.status, await explain(response)).toBe(200);
  expect(await bodyBytes(response)).toEqual(bytes);
}

async function expectNoBlob(name: string, digest: string): Promise<void> {
  const response = await target.fetch(`/v2/${name}/blobs/${digest}`, { method: 'HEAD' });
  expect(response.status).toBe(404);
}

function put(location: string, digest: string, body?: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<Response> {
  return target.fetch(withQuery(location, { digest }), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', ...headers },
    ...(body ? { body } : {}),
  });
}

function patch(location: string, body: BodyInit, range?: string): Promise<Response> {
  return target.fetch(location, {
    method: 'PATCH',
    headers: { 'content-type': 'application/octet-stream', ...(range ? { 'content-range': range } : {}) },
    body,
  });
}

describe('monolithic: POST then PUT', () => {
  test('POST opens a session: 202 with a Location', async () => {
    const response = await target.fetch(`/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    expect(response.status, await explain(response)).toBe(202);
    expect(requireLocation(response)).not.toBe('');
  });

  test('PUT with the whole blob answers 201 with the blob Location and digest', async () => {
    const blob = randomLayer(2048);
    const response = await pushBlob(target, repository, blob);
    expect(locationPath(requireLocation(response))).toBe(`/v2/${repository}/blobs/${blob.digest}`);
    expect(response.headers.get('docker-content-digest')).toBe(blob.digest);
    const pulled = await target.fetch(requireLocation(response));
    expect(await bodyBytes(pulled)).toEqual(blob.bytes);
  });

  test('a sha512 digest is verified and addressable', async () => {
    const bytes = new Uint8Array(randomBytes(1500));
    const digest = sha512(bytes);
    const location = await startUpload(target, repository);
    const response = await put(location, digest, bytes);
    expect(response.status, await explain(response)).toBe(201);
    await expectBlob(repository, digest, bytes);
  });

  test('a digest that does not match the bytes is 400 DIGEST_INVALID and stores nothing', async () => {
    const bytes = new Uint8Array(randomBytes(1000));
    const claimed = unknownDigest();
    const location = await startUpload(target, repository);
    await expectOciError(await put(location, claimed, bytes), 400, 'DIGEST_INVALID');
    await expectNoBlob(repository, claimed);
    await expectNoBlob(repository, sha256(bytes));
  });

  test('a malformed digest is 400 DIGEST_INVALID', async () => {
    const location = await startUpload(target, repository);
    await expectOciError(await put(location, 'sha256:xyz', new Uint8Array([1, 2, 3])), 400, 'DIGEST_INVALID');
  });

  test('PUT without a digest is refused with 400', async () => {
    const location = await startUpload(target, repository);
    const response = await target.fetch(location, { method: 'PUT', body: new Uint8Array([1, 2, 3]) });
    await expectOciError(response, 400, ['DIGEST_INVALID', 'BLOB_UPLOAD_INVALID']);
  });
});

// The spec lets a registry answer 202 and fall back to POST-then-PUT; Berth does it in one request.
describe('monolithic: single POST ?digest= (end-4b)', () => {
  test('stores the blob and answers 201 with its Location', async () => {
    const blob = randomLayer(3000);
    const response = await target.fetch(`/v2/${repository}/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: blob.bytes,
    });
    expect(response.status, await explain(response)).toBe(201);
    expect(locationPath(requireLocation(response))).toBe(`/v2/${repository}/blobs/${blob.digest}`);
    await expectBlob(repository, blob.digest, blob.bytes);
  });

  test('a digest that does not match is 400 DIGEST_INVALID and stores nothing', async () => {
    const bytes = new Uint8Array(randomBytes(700));
    const claimed = unknownDigest();
    const response = await target.fetch(`/v2/${repository}/blobs/uploads/?digest=${claimed}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    await expectOciError(response, 400, 'DIGEST_INVALID');
    await expectNoBlob(repository, claimed);
  });
});

describe('streamed: one PATCH without Content-Range, then PUT', () => {
  test('PATCH answers 202 with Location and Range; PUT with no body completes', async () => {
    const blob = randomLayer(10_000);
    const location = await startUpload(target, repository);
    const patched = await patch(location, blob.bytes);
    expect(patched.status, await explain(patched)).toBe(202);
    expect(patched.headers.get('range')).toBe(`0-${blob.bytes.byteLength - 1}`);
    const next = requireLocation(patched);
    // Not visible before the closing PUT.
    await expectNoBlob(repository, blob.digest);
    const done = await put(next, blob.digest);
    expect(done.status, await explain(done)).toBe(201);
    expect(done.headers.get('docker-content-digest')).toBe(blob.digest);
    await expectBlob(repository, blob.digest, blob.bytes);
  });

  test('a body of unknown length (chunked transfer encoding) is taken whole', async () => {
    const blob = randomLayer(200_000);
    const location = await startUpload(target, repository);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < blob.bytes.byteLength; offset += 32_768) {
          controller.enqueue(blob.bytes.slice(offset, offset + 32_768));
        }
        controller.close();
      },
    });
    const patched = await patch(location, stream);
    expect(patched.status, await explain(patched)).toBe(202);
    const done = await put(requireLocation(patched), blob.digest);
    expect(done.status, await explain(done)).toBe(201);
    await expectBlob(repository, blob.digest, blob.bytes);
  });

  test('the last bytes may come with the closing PUT', async () => {
    const blob = randomLayer(5000);
    const location = await startUpload(target, repository);
    const patched = await patch(location, blob.bytes.subarray(0, 3000));
    expect(patched.status, await explain(patched)).toBe(202);
    const done = await put(requireLocation(patched), blob.digest, blob.bytes.subarray(3000));
    expect(done.status, await explain(done)).toBe(201);
    await expectBlob(repository, blob.digest, blob.bytes);
  });
});

describe('chunked: ordered Content-Range PATCHes (end-5, end-13)', () => {
  const blob = randomLayer(6000);
  const first = blob.bytes.subarray(0, 2500);
  const second = blob.bytes.subarray(2500);
  const firstRange = `0-${first.byteLength - 1}`;
  const secondRange = `${first.byteLength}-${blob.bytes.byteLength - 1}`;

  /** A fresh session holding the first chunk; returns the Location to continue at. */
  async function afterFirstChunk(): Promise<string> {
    const location = await startUpload(target, repository, { headers: { 'content-length': '0' } });
    const response = await patch(location, first, firstRange);
    expect(response.status, await explain(response)).toBe(202);
    return requireLocation(response);
  }

  async function expectRange(location: string, range: string): Promise<void> {
    const status = await target.fetch(location);
    expect(status.status, await explain(status)).toBe(204);
    expect(status.headers.get('range')).toBe(range);
  }

  test('each chunk answers 202 with Range and Location; PUT with the whole digest closes it: 201', async () => {
    const location = await startUpload(target, repository, { headers: { 'content-length': '0' } });
    const one = await patch(location, first, firstRange);
    expect(one.status, await explain(one)).toBe(202);
    expect(one.headers.get('range')).toBe(firstRange);
    const two = await patch(requireLocation(one), second, secondRange);
    expect(two.status, await explain(two)).toBe(202);
    expect(two.headers.get('range')).toBe(`0-${blob.bytes.byteLength - 1}`);
    const done = await put(requireLocation(two), blob.digest, undefined, { 'content-length': '0' });
    expect(done.status, await explain(done)).toBe(201);
    expect(locationPath(requireLocation(done))).toBe(`/v2/${repository}/blobs/${blob.digest}`);
    await expectBlob(repository, blob.digest, blob.bytes);
    // The closed session is gone.
    await expectOciError(await target.fetch(requireLocation(two)), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('GET on the session answers 204 with Range and Location', async () => {
    const location = await afterFirstChunk();
    const response = await target.fetch(location);
    expect(response.status, await explain(response)).toBe(204);
    expect(response.headers.get('range')).toBe(firstRange);
    expect(response.headers.get('location')).toBeTruthy();
  });

  test('repeating the last chunk is 416 and leaves the session as it was', async () => {
    const location = await afterFirstChunk();
    const response = await patch(location, first, firstRange);
    expect(response.status, await explain(response)).toBe(416);
    await expectRange(location, firstRange);
  });

  test('a chunk that skips ahead is 416 with the current Range', async () => {
    const location = await afterFirstChunk();
    const response = await patch(location, second.subarray(1), `${first.byteLength + 1}-${blob.bytes.byteLength - 1}`);
    expect(response.status, await explain(response)).toBe(416);
    expect(response.headers.get('range')).toBe(firstRange);
    await expectRange(location, firstRange);
  });

  test('a chunk overlapping what was received is 416', async () => {
    const location = await afterFirstChunk();
    const response = await patch(location, blob.bytes.subarray(2000), `2000-${blob.bytes.byteLength - 1}`);
    expect(response.status, await explain(response)).toBe(416);
    await expectRange(location, firstRange);
  });

  test('after a 416 the session continues from where it was', async () => {
    const location = await afterFirstChunk();
    expect((await patch(location, second.subarray(1), `${first.byteLength + 1}-${blob.bytes.byteLength - 1}`)).status).toBe(416);
    const next = await patch(location, second, secondRange);
    expect(next.status, await explain(next)).toBe(202);
    const done = await put(requireLocation(next), blob.digest);
    expect(done.status, await explain(done)).toBe(201);
    await expectBlob(repository, blob.digest, blob.bytes);
  });

  test('a first chunk that does not start at 0 is 416', async () => {
    const fresh = await startUpload(target, repository, { headers: { 'content-length': '0' } });
    const response = await patch(fresh, second, secondRange);
    expect(response.status, await explain(response)).toBe(416);
  });

  test('a Content-Range whose length differs from the body is refused', async () => {
    const fresh = await startUpload(target, repository, { headers: { 'content-length': '0' } });
    const response = await patch(fresh, first, `0-${first.byteLength + 99}`);
    expect([400, 416], await explain(response)).toContain(response.status);
  });
});

describe('sessions', () => {
  test('an unknown session is 404 BLOB_UPLOAD_UNKNOWN for GET, PATCH and PUT', async () => {
    const unknown = `/v2/${repository}/blobs/uploads/${crypto.randomUUID()}`;
    await expectOciError(await target.fetch(unknown), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectOciError(await patch(unknown, new Uint8Array([1])), 404, 'BLOB_UPLOAD_UNKNOWN');
    await expectOciError(await put(unknown, unknownDigest(), new Uint8Array([1])), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('DELETE cancels a session: 204, then 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const location = await startUpload(target, repository);
    const patched = await patch(location, new Uint8Array(randomBytes(100)));
    expect(patched.status).toBe(202);
    const cancelled = await target.fetch(requireLocation(patched), { method: 'DELETE' });
    expect(cancelled.status, await explain(cancelled)).toBe(204);
    await expectOciError(await target.fetch(requireLocation(patched)), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a session belongs to its repository', async () => {
    const location = await startUpload(target, repository);
    const path = locationPath(location);
    const moved = path.replace(`/v2/${repository}/`, `/v2/${uniqueRepository('other')}/`);
    expect(moved).not.toBe(path);
    const response = await target.fetch(`${moved}${new URL(location, 'http://x.invalid').search}`);
    expect(response.status).toBe(404);
  });
});

describe('cross-repository mount (end-11)', () => {
  const source = uniqueRepository('mount-source');
  const destination = uniqueRepository('mount-destination');
  const blob = randomLayer(1234);

  beforeAll(async () => {
    await pushBlob(target, source, blob);
  });

  test('mounting a blob from a repository that has it answers 201 with the blob Location', async () => {
    const response = await target.fetch(`/v2/${destination}/blobs/uploads/?mount=${blob.digest}&from=${source}`, { method: 'POST' });
    expect(response.status, await explain(response)).toBe(201);
    expect(locationPath(requireLocation(response))).toBe(`/v2/${destination}/blobs/${blob.digest}`);
    await expectBlob(destination, blob.digest, blob.bytes);
  });

  test('mounting an unknown blob falls back to a session: 202 with a usable Location', async () => {
    const other = randomLayer(321);
    const response = await target.fetch(`/v2/${destination}/blobs/uploads/?mount=${other.digest}&from=${source}`, { method: 'POST' });
    expect(response.status, await explain(response)).toBe(202);
    const done = await put(requireLocation(response), other.digest, other.bytes);
    expect(done.status, await explain(done)).toBe(201);
    await expectBlob(destination, other.digest, other.bytes);
  });

  test('mounting from a repository that lacks the blob does not mount it', async () => {
    const empty = uniqueRepository('mount-empty');
    const third = uniqueRepository('mount-third');
    const response = await target.fetch(`/v2/${third}/blobs/uploads/?mount=${blob.digest}&from=${empty}`, { method: 'POST' });
    expect(response.status, await explain(response)).toBe(202);
    await expectNoBlob(third, blob.digest);
  });

  test('mounting without `from` either mounts (201) or opens a session (202)', async () => {
    const fourth = uniqueRepository('mount-fourth');
    const response = await target.fetch(`/v2/${fourth}/blobs/uploads/?mount=${blob.digest}`, { method: 'POST' });
    expect([201, 202], await explain(response)).toContain(response.status);
    if (response.status === 201) await expectBlob(fourth, blob.digest, blob.bytes);
    else await expectNoBlob(fourth, blob.digest);
  });

  test('a mounted blob outlives its deletion from the source repository', async () => {
    const deleted = await target.fetch(`/v2/${source}/blobs/${blob.digest}`, { method: 'DELETE' });
    expect(deleted.status, await explain(deleted)).toBe(202);
    await expectNoBlob(source, blob.digest);
    await expectBlob(destination, blob.digest, blob.bytes);
  });
});

describe('the empty blob', () => {
  test('a zero-length blob can be pushed and pulled', async () => {
    const empty = content(new Uint8Array(0), mediaTypes.layer);
    await pushBlob(target, repository, empty);
    const response = await target.fetch(`/v2/${repository}/blobs/${empty.digest}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('0');
  });
});
