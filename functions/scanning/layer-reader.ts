import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import tar from 'tar-stream';
import { type LayerLimits, ScanError, defaultLayerLimits } from './scan-common.js';

export { type LayerLimits, ScanError, defaultLayerLimits } from './scan-common.js';

/** One entry of a layer that the scanner wants (or a whiteout, which removes lower entries). */
export type LayerEntry =
  | { kind: 'file'; path: string; data: Buffer }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'hardlink'; path: string; target: string }
  | { kind: 'whiteout'; path: string }
  | { kind: 'opaque'; path: string }
  | { kind: 'other'; path: string };

/** Running counters of one image's scan, shared by its layers. */
export interface ReadBudget {
  entries: number;
  bytes: number;
}

/** `./etc/os-release`, `/etc/os-release` and `etc/os-release` are one path in a layer. */
export function normalizePath(name: string): string {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/**
 * The decompressor a layer's first bytes call for: gzip, zstd (where this Node has it), or none
 * for a plain tar. Magic numbers rather than media types: docker's media types say gzip for
 * layers that may be zstd, and uncompressed layers are pushed as `tar` by containerd.
 */
function decompressorFor(head: Uint8Array): Transform | null {
  // Large output chunks: the tar reader's cost is per chunk, and zlib's default is 16 KiB.
  if (head[0] === 0x1f && head[1] === 0x8b) return zlib.createGunzip({ chunkSize: 256 * 1024 });
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) {
    const create = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
    if (!create) throw new ScanError(`zstd-compressed layers are unsupported on Node ${process.versions.node} (Node 22.15 or later reads them)`);
    return create();
  }
  return null;
}

/** Puts back the chunk looked at for the magic number. */
async function* withHead(head: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

async function readAll(stream: AsyncIterable<Buffer>, size: number, limit: number, path: string): Promise<Buffer> {
  if (size > limit) throw new ScanError(`${path} is ${size} bytes, more than the ${limit} bytes a scan reads of one file`);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Streams one layer (compressed or not) through a tar reader and hands the entries `wanted`
 * selects to `onEntry` (files, symlinks and hard links at wanted paths), with every whiteout
 * (they change what lower layers show). Everything else is skipped without being held. Bad data (corrupt compression, a
 * truncated or malformed tar, limits exceeded) raises ScanError.
 */
export async function readLayer(
  bytes: AsyncIterable<Uint8Array>,
  wanted: (path: string) => boolean,
  onEntry: (entry: LayerEntry) => void,
  budget: ReadBudget,
  limits: LayerLimits = defaultLayerLimits,
): Promise<void> {
  const iterator = bytes[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new ScanError('layer is empty');
  const decompressor = decompressorFor(first.value);
  const extract = tar.extract();
  const source = Readable.from(withHead(first.value, iterator), { objectMode: false });
  const flowing = (decompressor ? pipeline(source, decompressor, extract) : pipeline(source, extract)).catch((error: unknown) => error);
  try {
    for await (const entry of extract) {
      budget.entries++;
      if (budget.entries > limits.maxEntries) throw new ScanError(`image has more than ${limits.maxEntries} tar entries`);
      const header = entry.header;
      const path = normalizePath(header.name);
      const slash = path.lastIndexOf('/');
      const base = path.slice(slash + 1);
      const dir = slash >= 0 ? path.slice(0, slash) : '';
      if (base === '.wh..wh..opq') {
        onEntry({ kind: 'opaque', path: dir });
      } else if (base.startsWith('.wh.')) {
        onEntry({ kind: 'whiteout', path: dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}` });
      } else if (!wanted(path)) {
        // Not a file the scanner reads: skipped unread.
      } else if (header.type === 'symlink') {
        onEntry({ kind: 'symlink', path, target: header.linkname ?? '' });
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        const size = header.size ?? 0;
        budget.bytes += size;
        if (budget.bytes > limits.maxTotalBytes) throw new ScanError(`the files a scan reads exceed ${limits.maxTotalBytes} bytes in this image`);
        onEntry({ kind: 'file', path, data: await readAll(entry as AsyncIterable<Buffer>, size, limits.maxFileBytes, path) });
        continue;
      } else if (header.type === 'link') {
        onEntry({ kind: 'hardlink', path, target: normalizePath(header.linkname ?? '') });
      } else if (header.type !== 'directory') {
        // Something else at a wanted path in an upper layer hides the lower file.
        onEntry({ kind: 'other', path });
      }
      entry.resume();
    }
  } catch (error) {
    source.destroy();
    extract.destroy();
    await flowing;
    throw error instanceof ScanError ? error : new ScanError(`layer is not a readable tar: ${(error as Error).message}`);
  }
  const failure = await flowing;
  if (failure) {
    const message = (failure as Error).message ?? String(failure);
    throw new ScanError(failure instanceof ScanError ? message : `layer could not be read: ${message}`);
  }
}
