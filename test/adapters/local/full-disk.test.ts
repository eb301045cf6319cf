import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, rmdir, stat, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { SqliteTable } from '../../../functions/adapters/local/sqlite-table.js';
import { createApp } from '../../../functions/app.js';
import { digestOf } from '../../../functions/core/digest.js';
import { createLocalDeps, type LocalDeps } from '../../../functions/entry/local-deps.js';
import { StorageFullError } from '../../../functions/ports/storage-full-error.js';

/**
 * A full disk, for real: a small tmpfs mounted for the test (root only). The registry must answer
 * 507 with an OCI body, keep nothing of the failed write, and take the next push as soon as space
 * exists, with no clean-up by anyone.
 */
const run = promisify(execFile);

async function mountSmallDisk(mebibytes: number): Promise<{ dir: string; unmount(): Promise<void> } | string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-full-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${mebibytes}m,mode=0700`, 'tmpfs', dir]);
  } catch (error) {
    await rmdir(dir);
    return `cannot mount a tmpfs here (${String((error as Error).message).split('\n')[0]}): run as root to test a full disk`;
  }
  return { dir, unmount: async () => void (await run('umount', ['-l', dir]), await rmdir(dir)) };
}

const probe = await mountSmallDisk(1);
const mountable = typeof probe !== 'string';
if (typeof probe === 'string') console.warn(`full-disk tests skipped: ${probe}`);
else await probe.unmount();

/** Fills the disk holding `dir` with a file, until the file system refuses; returns its path. */
async function fillUp(dir: string): Promise<string> {
  const path = join(dir, 'ballast');
  const handle = await open(path, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) await handle.write(block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
  return path;
}

async function freeBytes(dir: string): Promise<number> {
  const info = await statfs(dir);
  return info.bavail * info.bsize;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function registryOnSmallDisk(mebibytes: number): Promise<{ deps: LocalDeps; dir: string; request(path: string, init?: RequestInit): Promise<Response> }> {
  const disk = await mountSmallDisk(mebibytes);
  if (typeof disk === 'string') throw new Error(disk);
  cleanups.push(disk.unmount);
  const deps = createLocalDeps(disk.dir);
  cleanups.push(async () => {
    await deps.queue.stop();
    deps.table.close();
  });
  const app = createApp(deps);
  return { deps, dir: disk.dir, request: async (path, init) => app.request(path, init) };
}

async function errorBody(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
}

describe.skipIf(!mountable)('a full disk', () => {
  test('an upload that fills it answers 507 BLOB_UPLOAD_INVALID, gives its bytes back, and the next push works', async () => {
    const registry = await registryOnSmallDisk(8);
    const before = await freeBytes(registry.dir);
    const opened = await registry.request('/v2/team/app/blobs/uploads/', { method: 'POST' });
    expect(opened.status).toBe(202);
    const location = opened.headers.get('location')!;
    const id = opened.headers.get('docker-upload-uuid')!;

    const tooBig = randomBytes(12 * 1024 * 1024);
    const failed = await registry.request(location, { method: 'PATCH', body: tooBig, headers: { 'content-length': String(tooBig.byteLength) } });
    expect(failed.status).toBe(507);
    expect(failed.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    const error = await errorBody(failed);
    expect(error.code).toBe('BLOB_UPLOAD_INVALID');
    expect(error.message).toMatch(/storage is full/);

    // The session and the disk agree: nothing was kept, and the space is free again.
    expect((await stat(join(registry.dir, 'uploads', id))).size).toBe(0);
    const status = await registry.request(location, { method: 'GET' });
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-0');
    expect(await freeBytes(registry.dir)).toBeGreaterThan(before - 1024 * 1024);

    // The same session resumes, and another push works, with nobody cleaning up anything.
    const part = randomBytes(2 * 1024 * 1024);
    expect((await registry.request(location, { method: 'PATCH', body: part, headers: { 'content-length': String(part.byteLength) } })).status).toBe(202);
    expect((await registry.request(`${location}?digest=${digestOf(part)}`, { method: 'PUT' })).status).toBe(201);
    const other = randomBytes(3 * 1024 * 1024);
    const pushed = await registry.request(`/v2/team/app/blobs/uploads/?digest=${digestOf(other)}`, { method: 'POST', body: other, headers: { 'content-length': String(other.byteLength) } });
    expect(pushed.status).toBe(201);
  });

  test('a monolithic push that does not fit answers 507 and leaves no upload behind', async () => {
    const registry = await registryOnSmallDisk(6);
    const blob = randomBytes(8 * 1024 * 1024);
    const response = await registry.request(`/v2/team/app/blobs/uploads/?digest=${digestOf(blob)}`, { method: 'POST', body: blob, headers: { 'content-length': String(blob.byteLength) } });
    expect(response.status).toBe(507);
    expect((await errorBody(response)).code).toBe('BLOB_UPLOAD_INVALID');
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(join(registry.dir, 'uploads'))).toEqual([]);
    const small = randomBytes(1024 * 1024);
    expect((await registry.request(`/v2/team/app/blobs/uploads/?digest=${digestOf(small)}`, { method: 'POST', body: small })).status).toBe(201);
  });

  test('SQLite answers a full disk with StorageFullError, keeps nothing of the write, and takes it once space exists', async () => {
    const disk = await mountSmallDisk(2);
    if (typeof disk === 'string') throw new Error(disk);
    cleanups.push(disk.unmount);
    const table = new SqliteTable(join(disk.dir, 'registry.db'));
    cleanups.push(async () => table.close());
    await table.put({ pk: 'before', sk: 'x', note: 'kept' });
    const ballast = await fillUp(disk.dir);
    const big = { pk: 'big', sk: 'x', payload: randomBytes(256 * 1024).toString('base64') };
    await expect(table.put(big)).rejects.toBeInstanceOf(StorageFullError);
    expect(await table.get({ pk: 'big', sk: 'x' })).toBeNull();
    expect(await table.get({ pk: 'before', sk: 'x' })).toMatchObject({ note: 'kept' });
    await rm(ballast);
    await table.put(big);
    expect((await table.get({ pk: 'big', sk: 'x' }))?.payload).toBe(big.payload);
  });

  test('a manifest PUT on a full disk answers 507 with an OCI body, and succeeds once space exists', async () => {
    const registry = await registryOnSmallDisk(4);
    const config = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const configDigest = digestOf(config);
    expect((await registry.request(`/v2/team/app/blobs/uploads/?digest=${configDigest}`, { method: 'POST', body: config })).status).toBe(201);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.byteLength },
      layers: [],
      annotations: { padding: 'x'.repeat(200 * 1024) },
    });
    const put = () => registry.request('/v2/team/app/manifests/v1', { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    const ballast = await fillUp(registry.dir);
    const refused = await put();
    expect(refused.status).toBe(507);
    expect(refused.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect((await errorBody(refused)).message).toMatch(/storage is full/);
    expect((await registry.request('/v2/team/app/manifests/v1', { method: 'GET' })).status).toBe(404);
    await rm(ballast);
    expect((await put()).status).toBe(201);
  });
});
