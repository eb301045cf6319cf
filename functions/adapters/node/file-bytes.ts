import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** Bytes read from the file per step. */
const chunkBytes = 1024 * 1024;

/**
 * A byte range of an open file (the whole file when `end` is Infinity), closed once read.
 * Iterating it reads through a file stream, as any blob body is read. `writeTo` sends it into a
 * Node response with two buffers used in turn, where a stream allocates a new 1 MiB buffer for
 * every chunk: a registry serving layers all day would otherwise make the kernel hand over and
 * zero fresh pages for every megabyte sent and keep V8 collecting garbage for the memory those
 * buffers hold outside its heap (on a server that had taken uploads, two 100 MiB blob GETs at
 * once took 0.14-0.18 s with streams against 0.10 s fresh).
 */
export class FileBytes implements AsyncIterable<Uint8Array> {
  private used = false;

  constructor(
    private readonly handle: FileHandle,
    readonly start = 0,
    readonly end = Number.POSITIVE_INFINITY,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.claim();
    yield* this.handle.createReadStream({ start: this.start, ...(Number.isFinite(this.end) ? { end: this.end } : {}), highWaterMark: chunkBytes });
  }

  /**
   * Writes the range into `out` and ends it; destroys `out` if the file ends before the range
   * does or a read fails. Stops, without an error, when `out` is closed first (the client went
   * away). The file is closed in every case.
   */
  async writeTo(out: Writable): Promise<void> {
    this.claim();
    const closed = new Promise<void>((resolve) => {
      if (out.destroyed) resolve();
      out.once('close', resolve);
    });
    const buffers = [Buffer.allocUnsafeSlow(chunkBytes), Buffer.allocUnsafeSlow(chunkBytes)];
    // When each buffer's last write has left it: a buffer is read into again only after that.
    const free: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
    try {
      let position = this.start;
      for (let turn = 0; position <= this.end; turn = 1 - turn) {
        await Promise.race([free[turn], closed]);
        const buffer = buffers[turn]!;
        const { bytesRead } = await this.handle.read(buffer, 0, Math.min(chunkBytes, this.end + 1 - position), position);
        if (bytesRead === 0) {
          if (Number.isFinite(this.end)) throw new Error(`the file ended at byte ${position}, before the range's end ${this.end}`);
          break;
        }
        position += bytesRead;
        if (out.destroyed) return;
        let written = false;
        free[turn] = new Promise<void>((resolve) => {
          written = out.write(buffer.subarray(0, bytesRead), () => resolve());
        });
        if (!written) await Promise.race([new Promise((resolve) => out.once('drain', resolve)), closed]);
      }
      if (!out.destroyed) out.end();
    } catch (error) {
      out.destroy(error as Error);
    } finally {
      await this.handle.close();
    }
  }

  private claim(): void {
    if (this.used) throw new Error('a file range is read once');
    this.used = true;
  }
}
