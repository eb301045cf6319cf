import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore, UploadState } from '../../functions/ports/blob-store.js';

const MiB = 1024 * 1024;

/** sha256 digest of bytes, as the caller (the registry) computes it while bytes stream past. */
function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The body of one request, delivered in chunks of `chunkSize` as a client's socket would. */
async function* chunks(bytes: Uint8Array, chunkSize = 64 * 1024): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    yield bytes.subarray(offset, Math.min(offset + chunkSize, bytes.length));
  }
}

/** A body that delivers `bytes` and then fails, as a dropped connection does. */
async function* brokenAfter(bytes: Uint8Array, chunkSize = 256 * 1024): AsyncIterable<Uint8Array> {
  yield* chunks(bytes, chunkSize);
  throw new Error('connection reset by peer');
}

async function collect(source: AsyncIterable<Uint8Array> | null): Promise<Buffer> {
  if (source === null) throw new Error('expected bytes, got null');
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

/**
 * The BlobStore port's contract (functions/ports/blob-store.ts), clause by clause. Sizes cross
 * S3's 5 MiB part minimum on purpose: a store built on multipart uploads must hold the same
 * promises whatever the clients' chunking. Each test uses fresh random bytes, so one store can
 * serve the whole suite.
 */
export function describeBlobStoreContract(
  name: string,
  make: () => Promise<{ blobs: BlobStore; cleanup(): Promise<void> }>,
): void {
  describe(`BlobStore contract: ${name}`, () => {
    let blobs: BlobStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      const made = await make();
      blobs = made.blobs;
      cleanup = () => made.cleanup();
    });
    afterAll(async () => {
      await cleanup?.();
    });

    /** Begins an upload, appends each body in turn, and returns the state. */
    async function upload(parts: Uint8Array[], chunkSize?: number): Promise<{ id: string; state: UploadState }> {
      const id = randomUUID();
      let state = await blobs.beginUpload(id);
      for (const part of parts) state = await blobs.appendUpload(id, state, chunks(part, chunkSize));
      return { id, state };
    }

    async function store(bytes: Uint8Array): Promise<string> {
      const digest = sha256(bytes);
      const { id, state } = await upload([bytes]);
      await blobs.commitUpload(id, state, digest);
      return digest;
    }

    describe('absent blobs', () => {
      it('stat and open answer null; delete succeeds', async () => {
        const digest = sha256(randomBytes(32));
        expect(await blobs.stat(digest)).toBeNull();
        expect(await blobs.open(digest)).toBeNull();
        expect(await blobs.open(digest, { start: 0, end: 0 })).toBeNull();
        await blobs.delete(digest);
      });

      it('downloadUrl is null or a string, without checking existence', async () => {
        const url = await blobs.downloadUrl(sha256(randomBytes(32)), { expiresInSeconds: 60 });
        expect(url === null || typeof url === 'string').toBe(true);
      });
    });

    describe('uploads', () => {
      it('beginUpload starts empty', async () => {
        const id = randomUUID();
        const state = await blobs.beginUpload(id);
        expect(state.size).toBe(0);
        expect(await collect(blobs.readUpload(id, state))).toHaveLength(0);
        await blobs.abortUpload(id, state);
      });

      it('the state stays small enough for a table item', async () => {
        const { id, state } = await upload([randomBytes(3 * MiB), randomBytes(6 * MiB + 17), randomBytes(100)]);
        expect(state.size).toBe(9 * MiB + 117);
        expect(JSON.stringify(state).length).toBeLessThan(4096);
        await blobs.abortUpload(id, state);
      });

      it('appends accumulate in order, and readUpload returns every accepted byte', async () => {
        const parts = [randomBytes(1000), randomBytes(1), randomBytes(70_000)];
        const id = randomUUID();
        let state = await blobs.beginUpload(id);
        const accepted: Buffer[] = [];
        for (const part of parts) {
          state = await blobs.appendUpload(id, state, chunks(part, 333));
          accepted.push(part);
          const expected = Buffer.concat(accepted);
          expect(state.size).toBe(expected.length);
          expect((await collect(blobs.readUpload(id, state))).equals(expected)).toBe(true);
        }
        await blobs.abortUpload(id, state);
      });

      it('an empty append changes nothing', async () => {
        const bytes = randomBytes(5000);
        const { id, state } = await upload([bytes]);
        const next = await blobs.appendUpload(id, state, chunks(new Uint8Array(0)));
        expect(next.size).toBe(bytes.length);
        expect((await collect(blobs.readUpload(id, next))).equals(bytes)).toBe(true);
        await blobs.abortUpload(id, next);
      });

      it('small appends across the 5 MiB mark keep every byte (chunked clients)', async () => {
        const parts = Array.from({ length: 13 }, () => randomBytes(MiB - 3));
        const { id, state } = await upload(parts, 100_000);
        const expected = Buffer.concat(parts);
        expect(state.size).toBe(expected.length);
        expect((await collect(blobs.readUpload(id, state))).equals(expected)).toBe(true);
        const digest = sha256(expected);
        await blobs.commitUpload(id, state, digest);
        expect(await blobs.stat(digest)).toEqual({ size: expected.length });
        expect((await collect(await blobs.open(digest))).equals(expected)).toBe(true);
      });

      it('one large streaming append with odd chunk sizes keeps every byte (streaming clients)', async () => {
        const bytes = randomBytes(17 * MiB + 12_345);
        const { id, state } = await upload([bytes], 65_521);
        expect(state.size).toBe(bytes.length);
        const digest = sha256(bytes);
        await blobs.commitUpload(id, state, digest);
        expect((await collect(await blobs.open(digest))).equals(bytes)).toBe(true);
      });

      it('uploads in progress are never visible as blobs', async () => {
        const bytes = randomBytes(6 * MiB);
        const digest = sha256(bytes);
        const { id, state } = await upload([bytes]);
        expect(await blobs.stat(digest)).toBeNull();
        expect(await blobs.open(digest)).toBeNull();
        await blobs.abortUpload(id, state);
        expect(await blobs.stat(digest)).toBeNull();
      });

      it('concurrent uploads do not mix', async () => {
        const a = randomBytes(2 * MiB + 1);
        const b = randomBytes(3 * MiB + 7);
        const [ua, ub] = await Promise.all([upload([a.subarray(0, MiB), a.subarray(MiB)]), upload([b])]);
        expect((await collect(blobs.readUpload(ua.id, ua.state))).equals(a)).toBe(true);
        expect((await collect(blobs.readUpload(ub.id, ub.state))).equals(b)).toBe(true);
        await Promise.all([blobs.abortUpload(ua.id, ua.state), blobs.abortUpload(ub.id, ub.state)]);
      });
    });

    describe('interrupted appends', () => {
      it('a body failing midway rejects, and the previous state resumes with nothing lost or duplicated', async () => {
        const first = randomBytes(100_000);
        const { id, state } = await upload([first]);
        await expect(blobs.appendUpload(id, state, brokenAfter(randomBytes(300_000), 50_000))).rejects.toThrow();
        const second = randomBytes(200_000);
        const resumed = await blobs.appendUpload(id, state, chunks(second));
        const expected = Buffer.concat([first, second]);
        expect(resumed.size).toBe(expected.length);
        expect((await collect(blobs.readUpload(id, resumed))).equals(expected)).toBe(true);
        const digest = sha256(expected);
        await blobs.commitUpload(id, resumed, digest);
        expect((await collect(await blobs.open(digest))).equals(expected)).toBe(true);
      });

      it('a body failing after more than 5 MiB resumes from the previous state', async () => {
        const first = randomBytes(3 * MiB + 5);
        const { id, state } = await upload([first]);
        await expect(blobs.appendUpload(id, state, brokenAfter(randomBytes(11 * MiB)))).rejects.toThrow();
        const second = randomBytes(4 * MiB + 11);
        const resumed = await blobs.appendUpload(id, state, chunks(second));
        const expected = Buffer.concat([first, second]);
        expect(resumed.size).toBe(expected.length);
        expect((await collect(blobs.readUpload(id, resumed))).equals(expected)).toBe(true);
        const digest = sha256(expected);
        await blobs.commitUpload(id, resumed, digest);
        expect(await blobs.stat(digest)).toEqual({ size: expected.length });
        expect((await collect(await blobs.open(digest))).equals(expected)).toBe(true);
      });

      it('a body failing before its first byte leaves the upload as it was', async () => {
        const first = randomBytes(10_000);
        const { id, state } = await upload([first]);
        await expect(blobs.appendUpload(id, state, brokenAfter(new Uint8Array(0)))).rejects.toThrow();
        expect((await collect(blobs.readUpload(id, state))).equals(first)).toBe(true);
        const next = await blobs.appendUpload(id, state, chunks(randomBytes(10)));
        expect(next.size).toBe(10_010);
        await blobs.abortUpload(id, next);
      });

      it('repeated failures on the same state still resume cleanly', async () => {
        const first = randomBytes(6 * MiB + 3);
        const { id, state } = await upload([first]);
        for (let attempt = 0; attempt < 3; attempt++) {
          await expect(blobs.appendUpload(id, state, brokenAfter(randomBytes(2 * MiB + attempt)))).rejects.toThrow();
        }
        const second = randomBytes(1234);
        const resumed = await blobs.appendUpload(id, state, chunks(second));
        const expected = Buffer.concat([first, second]);
        expect((await collect(blobs.readUpload(id, resumed))).equals(expected)).toBe(true);
        await blobs.abortUpload(id, resumed);
      });
    });

    describe('commit', () => {
      it('makes the blob visible with its size and bytes', async () => {
        const bytes = randomBytes(12_345);
        const digest = await store(bytes);
        expect(await blobs.stat(digest)).toEqual({ size: bytes.length });
        expect((await collect(await blobs.open(digest))).equals(bytes)).toBe(true);
      });

      it('commits an empty blob', async () => {
        const empty = new Uint8Array(0);
        const digest = sha256(empty);
        const id = randomUUID();
        const state = await blobs.beginUpload(id);
        await blobs.commitUpload(id, state, digest);
        expect(await blobs.stat(digest)).toEqual({ size: 0 });
        expect(await collect(await blobs.open(digest))).toHaveLength(0);
      });

      it('is idempotent: committing the same upload again succeeds and changes nothing', async () => {
        const bytes = randomBytes(6 * MiB + 1);
        const digest = sha256(bytes);
        const { id, state } = await upload([bytes]);
        await blobs.commitUpload(id, state, digest);
        await blobs.commitUpload(id, state, digest);
        expect(await blobs.stat(digest)).toEqual({ size: bytes.length });
        expect((await collect(await blobs.open(digest))).equals(bytes)).toBe(true);
      });

      it('a second upload of an existing blob is discarded, leaving the blob intact', async () => {
        const bytes = randomBytes(50_000);
        const digest = await store(bytes);
        const again = await upload([bytes]);
        await blobs.commitUpload(again.id, again.state, digest);
        expect(await blobs.stat(digest)).toEqual({ size: bytes.length });
        expect((await collect(await blobs.open(digest))).equals(bytes)).toBe(true);
      });

      it('racing commits of the same content both succeed', async () => {
        const bytes = randomBytes(200_000);
        const digest = sha256(bytes);
        const [a, b] = await Promise.all([upload([bytes]), upload([bytes])]);
        await Promise.all([blobs.commitUpload(a.id, a.state, digest), blobs.commitUpload(b.id, b.state, digest)]);
        expect((await collect(await blobs.open(digest))).equals(bytes)).toBe(true);
      });
    });

    describe('open with ranges', () => {
      it('returns the inclusive range asked for', async () => {
        const bytes = randomBytes(7 * MiB + 100);
        const digest = await store(bytes);
        const cases = [
          { start: 0, end: 0 },
          { start: 0, end: 99 },
          { start: 5 * MiB - 10, end: 5 * MiB + 10 },
          { start: bytes.length - 1, end: bytes.length - 1 },
          { start: 1, end: bytes.length - 1 },
        ];
        for (const range of cases) {
          const got = await collect(await blobs.open(digest, range));
          expect(got.equals(bytes.subarray(range.start, range.end + 1))).toBe(true);
        }
      });
    });

    describe('downloadUrl', () => {
      it('when the store hands out URLs, a plain GET of one answers the blob', async () => {
        const bytes = randomBytes(4096);
        const digest = await store(bytes);
        const url = await blobs.downloadUrl(digest, { expiresInSeconds: 60 });
        if (url === null) {
          // No URL: the caller streams the blob itself, so open() must serve it.
          const stream = await blobs.open(digest);
          expect(stream).not.toBeNull();
          const chunks: Uint8Array[] = [];
          for await (const chunk of stream!) chunks.push(chunk);
          expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
          return;
        }
        const response = await fetch(url);
        expect(response.status).toBe(200);
        expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
      });
    });

    describe('delete', () => {
      it('removes a committed blob, and is idempotent', async () => {
        const bytes = randomBytes(1000);
        const digest = await store(bytes);
        await blobs.delete(digest);
        expect(await blobs.stat(digest)).toBeNull();
        expect(await blobs.open(digest)).toBeNull();
        await blobs.delete(digest);
      });

      it('a deleted blob can be uploaded again', async () => {
        const bytes = randomBytes(1000);
        const digest = await store(bytes);
        await blobs.delete(digest);
        await store(bytes);
        expect(await blobs.stat(digest)).toEqual({ size: 1000 });
      });
    });

    describe('abort', () => {
      it('discards the upload: its bytes never become a blob', async () => {
        const bytes = randomBytes(6 * MiB + 2);
        const digest = sha256(bytes);
        const { id, state } = await upload([bytes]);
        await blobs.abortUpload(id, state);
        expect(await blobs.stat(digest)).toBeNull();
      });

      it('is idempotent and accepts unknown uploads', async () => {
        const { id, state } = await upload([randomBytes(10)]);
        await expect(blobs.abortUpload(id, state)).resolves.toBeUndefined();
        await expect(blobs.abortUpload(id, state)).resolves.toBeUndefined();
        await expect(blobs.abortUpload(randomUUID(), { size: 0 })).resolves.toBeUndefined();
      });
    });
  });
}
