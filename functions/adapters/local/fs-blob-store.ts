import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, ByteRange, UploadState } from '../../ports/blob-store.js';

/**
 * BlobStore on a local filesystem. Layout under `root`:
 *
 *   blobs/<algorithm>/<first two hex>/<hex>   committed blobs, written once, never modified
 *   uploads/<upload id>                        bytes of an upload in progress
 *
 * A blob appears only by rename(2) of a fully written, fsynced upload file, so a crash at any
 * moment leaves either no blob or the whole blob. Appended bytes and the rename are fsynced before
 * the caller records them in the table (SQLite with synchronous=FULL), so a power loss cannot
 * undo what a 2xx acknowledged. Upload ids come from the registry (UUIDs), never from a client
 * path, so they cannot escape `uploads/`.
 */
/** Bytes an append writes between two background flushes to disk. */
const flushEvery = 16 * 1024 * 1024;

export class FsBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly uploadsDir: string;
  private ready: Promise<void> | undefined;

  constructor(root: string) {
    this.blobsDir = join(root, 'blobs');
    this.uploadsDir = join(root, 'uploads');
  }

  private init(): Promise<void> {
    this.ready ??= Promise.all([mkdir(this.blobsDir, { recursive: true }), mkdir(this.uploadsDir, { recursive: true })]).then(() => undefined);
    return this.ready;
  }

  private blobPath(digest: string): string {
    const [algorithm, hex] = digest.split(':') as [string, string];
    return join(this.blobsDir, algorithm, hex.slice(0, 2), hex);
  }

  private uploadPath(uploadId: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(uploadId)) throw new Error(`bad upload id ${uploadId}`);
    return join(this.uploadsDir, uploadId);
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    try {
      return { size: (await stat(this.blobPath(digest))).size };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async open(digest: string, range?: ByteRange): Promise<AsyncIterable<Uint8Array> | null> {
    const path = this.blobPath(digest);
    try {
      const handle = await open(path, 'r');
      return handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: 1024 * 1024 });
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async downloadUrl(): Promise<string | null> {
    return null;
  }

  async delete(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  async beginUpload(uploadId: string): Promise<UploadState> {
    await this.init();
    const handle = await open(this.uploadPath(uploadId), 'wx');
    await handle.close();
    return { size: 0 };
  }

  async appendUpload(uploadId: string, state: UploadState, body: AsyncIterable<Uint8Array>): Promise<UploadState> {
    const path = this.uploadPath(uploadId);
    await truncate(path, state.size);
    // fsync acts on the file, whatever descriptor asks: this one flushes what the stream wrote.
    const syncer = await open(path, 'r');
    let written = 0;
    let flushed = 0;
    const flushes: Promise<void>[] = [];
    // The bytes must be on disk before the append is acknowledged. Flushing as they arrive, in
    // the background, leaves the final sync only the last few megabytes to wait for.
    const counted = async function* () {
      for await (const chunk of body) {
        written += chunk.byteLength;
        yield chunk;
        if (written - flushed >= flushEvery) {
          flushed = written;
          flushes.push(syncer.datasync());
        }
      }
    };
    try {
      await pipeline(Readable.from(counted()), createWriteStream(path, { flags: 'r+', start: state.size, highWaterMark: 1024 * 1024 }));
      await Promise.all(flushes);
      await syncer.sync();
    } finally {
      await Promise.allSettled(flushes);
      await syncer.close();
    }
    return { ...state, size: state.size + written };
  }

  readUpload(uploadId: string, state: UploadState): AsyncIterable<Uint8Array> {
    if (state.size === 0) return emptyIterable();
    return createReadStream(this.uploadPath(uploadId), { start: 0, end: state.size - 1, highWaterMark: 1024 * 1024 });
  }

  async commitUpload(uploadId: string, state: UploadState, digest: string): Promise<void> {
    const source = this.uploadPath(uploadId);
    const target = this.blobPath(digest);
    if (await this.stat(digest)) {
      await rm(source, { force: true });
      return;
    }
    const handle = await open(source, 'r+');
    try {
      await handle.truncate(state.size);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const directory = join(target, '..');
    const created = await mkdir(directory, { recursive: true });
    await rename(source, target);
    // The rename is durable only once its directory is synced (and any directory just created,
    // in its own parent): else a power loss could drop a blob the table already links.
    await sync(directory);
    if (created) await Promise.all([sync(this.blobsDir), sync(join(directory, '..'))]);
  }

  /**
   * Ids of uploads whose bytes were last written before `olderThan`: candidates for the janitor,
   * which frees those no session claims any more (S3 does the same with a lifecycle rule).
   */
  async staleUploads(olderThan: Date): Promise<string[]> {
    await this.init();
    const stale: string[] = [];
    for (const name of await readdir(this.uploadsDir)) {
      const info = await stat(join(this.uploadsDir, name)).catch(() => null);
      if (info && info.mtime < olderThan) stale.push(name);
    }
    return stale;
  }

  async abortUpload(uploadId: string): Promise<void> {
    await rm(this.uploadPath(uploadId), { force: true });
  }
}

/** fsync(2) of a file's data, or of a directory's entries. */
async function sync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

async function* emptyIterable(): AsyncIterable<Uint8Array> {}
