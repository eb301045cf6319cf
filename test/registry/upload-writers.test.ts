import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Uploads } from '../../functions/registry/uploads.js';
import { type LocalRegistry, localRegistry } from '../support/local-app.js';

/**
 * Two requests writing one upload session in one process: the second waits for the first (most
 * often a request whose client is already gone, still giving back what it wrote) and then works
 * from the session as the first left it; it is refused only if the first is still writing when
 * its wait runs out. Bytes of two writers never interleave.
 */
let registry: LocalRegistry;

beforeAll(async () => {
  registry = await localRegistry();
});
afterAll(async () => {
  await registry.cleanup();
});

/** A body that yields `first`, then waits until `release()` before yielding `rest` (or failing). */
function heldBody(first: Uint8Array, rest: Uint8Array) {
  let release!: (outcome: 'finish' | 'fail') => void;
  const gate = new Promise<'finish' | 'fail'>((resolve) => (release = resolve));
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  async function* body() {
    yield first;
    started();
    if ((await gate) === 'fail') throw new Error('connection reset');
    yield rest;
  }
  return { body: body(), release, running };
}

/** A fresh session whose first writer has written `first` and is held until released. */
async function heldWriter(uploads: Uploads, first: number, rest: number) {
  const session = await uploads.start('team/writers');
  const held = heldBody(Buffer.alloc(first, 1), Buffer.alloc(rest, 2));
  const writing = uploads.append(session, held.body, null, first + rest);
  await held.running;
  return { session, writing, release: held.release };
}

/** A body of `size` bytes, all there at once. */
async function* bytes(size: number, fill = 3) {
  yield Buffer.alloc(size, fill);
}

describe('a second writer of one upload session', () => {
  test('waits for the first, then appends where it ended', async () => {
    const uploads = new Uploads(registry.deps, { busyWaitMs: 5_000 });
    const { session, writing: first, release } = await heldWriter(uploads, 4, 4);
    // Sent with the session as it was read before the first write ended (offset 0).
    const second = uploads.append(session, bytes(3), null, 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    release('finish');
    expect((await first).state.size).toBe(8);
    expect((await second).state.size).toBe(11);
    const stored = await uploads.get('team/writers', session.id);
    expect(stored.state.size).toBe(11);
  });

  test('after a first writer that failed, the second starts from the acknowledged size', async () => {
    const uploads = new Uploads(registry.deps, { busyWaitMs: 5_000 });
    const { session, writing: first, release } = await heldWriter(uploads, 5, 5);
    const second = uploads.append(session, bytes(2), null, 2);
    release('fail');
    await expect(first).rejects.toMatchObject({ code: 'BLOB_UPLOAD_INVALID' });
    expect((await second).state.size).toBe(2);
  });

  test('is refused when the first is still writing at the end of its wait', async () => {
    const uploads = new Uploads(registry.deps, { busyWaitMs: 100 });
    const { session, writing: first, release } = await heldWriter(uploads, 4, 4);
    await expect(uploads.append(session, bytes(1, 0), null, 1)).rejects.toMatchObject({
      code: 'BLOB_UPLOAD_INVALID',
      message: 'another request is writing this upload',
    });
    release('finish');
    expect((await first).state.size).toBe(8);
  });
});
