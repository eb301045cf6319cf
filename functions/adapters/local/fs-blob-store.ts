import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, ByteRange, UploadState } from '../../ports/blob-store.js';
import { StorageFullError, isNoSpace } from '../../ports/storage-full-error.js';
import { FileBytes } from '../node/file-bytes.js';

/**
 * The file-system calls whose order makes the store durable (write and fsync the file, rename,
 * fsync the directory). A seam so a test can record that order; node:fs/promises otherwise.
 */
export interface DurableFs {
  open(path: string, flags: string): Promise<FileHandle>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
}

const nodeFs: DurableFs = { open, rename, mkdir };

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
 * path, so they cannot escape `uploads/`. An append that fails (a full disk, a dropped client)
 * truncates the upload back to the size it started from: the session and the disk keep agreeing,
 * and the space it took is free for the next push at once.
 */
/** Bytes an append writes between two background flushes to disk. */
const flushEvery = 16 * 1024 * 1024;

export class FsBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly uploadsDir: string;
  private ready: Promise<void> | undefined;

  constructor(
    root: string,
    private readonly fs: DurableFs = nodeFs,
  ) {
    this.blobsDir = join(root, 'blobs');
    this.uploadsDir = join(root, 'uploads');
  }

  private init(): Promise<void> {
    this.ready ??= Promise.all([this.fs.mkdir(this.blobsDir, { recursive: true }), this.fs.mkdir(this.uploadsDir, { recursive: true })]).then(() => undefined);
    this.ready.catch(() => (this.ready = undefined));
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
      return new FileBytes(await open(path, 'r'), range?.start, range?.end);
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
    try {
      await this.init();
      const handle = await this.fs.open(this.uploadPath(uploadId), 'wx');
      await handle.close();
    } catch (error) {
      throw noSpaceOr(error);
    }
    return { size: 0 };
  }

  async appendUpload(uploadId: string, state: UploadState, body: AsyncIterable<Uint8Array>): Promise<UploadState> {
    const handle = await this.fs.open(this.uploadPath(uploadId), 'r+');
    try {
      // Whatever an interrupted earlier append left beyond the accepted size goes first.
      await handle.truncate(state.size);
      const written = await this.appendTo(uploadId, handle, state.size, body);
      return { ...state, size: state.size + written };
    } catch (error) {
      await handle.truncate(state.size).catch(() => undefined);
      throw noSpaceOr(error);
    } finally {
      await handle.close();
    }
  }

  /**
   * Streams `body` into the upload at `start` and syncs it; the number of bytes written. The
   * stream writes through its own descriptor (it closes it whatever happens); fsync acts on the
   * file, whatever descriptor asks, so `handle` flushes what the stream wrote and stays open to
   * truncate after a failure.
   */
  private async appendTo(uploadId: string, handle: FileHandle, start: number, body: AsyncIterable<Uint8Array>): Promise<number> {
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
          flushes.push(handle.datasync());
        }
      }
    };
    try {
      await pipeline(Readable.from(counted()), createWriteStream(this.uploadPath(uploadId), { flags: 'r+', start, highWaterMark: 1024 * 1024 }));
      await Promise.all(flushes);
      await handle.sync();
    } finally {
      await Promise.allSettled(flushes);
    }
    return written;
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
    const handle = await this.fs.open(source, 'r+');
    try {
      await handle.truncate(state.size);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const directory = join(target, '..');
    let created: string | undefined;
    try {
      created = await this.fs.mkdir(directory, { recursive: true });
    } catch (error) {
      throw noSpaceOr(error);
    }
    await this.fs.rename(source, target);
    // The rename is durable only once its directory is synced (and any directory just created,
    // in its own parent): else a power loss could drop a blob the table already links.
    await this.sync(directory);
    if (created) await Promise.all([this.sync(this.blobsDir), this.sync(join(directory, '..'))]);
  }

  /** fsync(2) of a file's data, or of a directory's entries. */
  private async sync(path: string): Promise<void> {
    const handle = await this.fs.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
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

function noSpaceOr(error: unknown): unknown {
  return isNoSpace(error) ? new StorageFullError('no space left on the device holding the blob store', { cause: error }) : error;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

async function* emptyIterable(): AsyncIterable<Uint8Array> {}
