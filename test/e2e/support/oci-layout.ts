/**
 * Builds test images as OCI image layouts (image-spec `image-layout.md`) without network or
 * container tools: layers are tarballs of random bytes (so nothing compresses them away or finds
 * them already stored), gzip-framed at level 0 so building a 200 MB layer takes well under a second.
 *
 * A layout can then be pushed as is (`skopeo copy oci:DIR:TAG ...`), or packed by
 * `image-archives.ts` for `ctr images import` and `docker load`.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface Layer extends Descriptor {
  /** Digest of the uncompressed tar (the config's `rootfs.diff_ids` entry). */
  diffId: string;
}

export interface Image {
  /** The image manifest's descriptor (OCI media type). */
  manifest: Descriptor;
  config: Descriptor;
  layers: Layer[];
  platform: Platform;
}

export interface ImageOptions {
  /** Size in bytes of the random payload of each layer (the tar adds a few KiB). */
  layerSizes: number[];
  platform?: Platform;
}

const TAR_BLOCK = 512;
const CHUNK = 4 * 1024 * 1024;

/** A directory holding an OCI image layout that images and indexes are added to. */
export class OciLayout {
  private readonly refs: Descriptor[] = [];

  private constructor(readonly dir: string) {}

  /** Creates (or reuses) the layout directory with its `oci-layout` marker and an empty index. */
  static async create(dir: string): Promise<OciLayout> {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const layout = new OciLayout(dir);
    await layout.writeIndex();
    return layout;
  }

  /** Opens an existing layout (one a client wrote), keeping the refs of its index. */
  static async open(dir: string): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
    layout.refs.push(...(index.manifests ?? []));
    return layout;
  }

  /** Path of a blob in the layout. */
  blobPath(digest: string): string {
    const [algorithm, hex] = digest.split(':');
    return join(this.dir, 'blobs', algorithm ?? 'sha256', hex ?? '');
  }

  async readBlob(digest: string): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  /** Stores bytes as a blob and returns their descriptor. */
  async writeBlob(mediaType: string, bytes: Uint8Array): Promise<Descriptor> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await writeFile(this.blobPath(digest), bytes);
    return { mediaType, digest, size: bytes.byteLength };
  }

  writeJsonBlob(mediaType: string, value: unknown): Promise<Descriptor> {
    return this.writeBlob(mediaType, Buffer.from(JSON.stringify(value)));
  }

  /** Writes a gzip layer holding one file of `size` random bytes. */
  async addRandomLayer(size: number): Promise<Layer> {
    const tmp = join(this.dir, `layer-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.tmp`);
    const tarHash = createHash('sha256');
    const gzHash = createHash('sha256');
    let gzSize = 0;
    const name = `random-${Math.random().toString(36).slice(2)}.bin`;

    async function* tarball(): AsyncGenerator<Buffer> {
      const emit = (chunk: Buffer): Buffer => {
        tarHash.update(chunk);
        return chunk;
      };
      yield emit(tarHeader(name, size));
      for (let left = size; left > 0; left -= CHUNK) {
        yield emit(randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, left))));
      }
      const padding = (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
      yield emit(Buffer.alloc(padding + 2 * TAR_BLOCK));
    }
    const countCompressed = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        gzHash.update(chunk);
        gzSize += chunk.length;
        done(null, chunk);
      },
    });
    // Level 0 keeps the gzip framing (what clients expect of a .tar+gzip layer) at memcpy speed.
    await pipeline(tarball(), createGzip({ level: 0 }), countCompressed, createWriteStream(tmp));
    const digest = `sha256:${gzHash.digest('hex')}`;
    await rename(tmp, this.blobPath(digest));
    return { mediaType: MediaType.ociLayerGzip, digest, size: gzSize, diffId: `sha256:${tarHash.digest('hex')}` };
  }

  /** Adds a single-platform image (config + manifest) with fresh random layers. */
  async addImage(options: ImageOptions): Promise<Image> {
    const platform = options.platform ?? { architecture: 'amd64', os: 'linux' };
    const layers: Layer[] = [];
    for (const size of options.layerSizes) layers.push(await this.addRandomLayer(size));
    const config = await this.writeJsonBlob(MediaType.ociConfig, {
      created: new Date().toISOString(),
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Cmd: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
      history: layers.map(() => ({ created_by: 'berth e2e random layer' })),
    });
    const manifest = await this.writeJsonBlob(MediaType.ociManifest, {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    });
    return { manifest, config, layers, platform };
  }

  /** Adds an OCI image index over `images`, one entry per platform. */
  async addIndex(images: Image[]): Promise<Descriptor> {
    return this.writeJsonBlob(MediaType.ociIndex, {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: images.map((image) => ({ ...image.manifest, platform: image.platform })),
    });
  }

  /**
   * Names `descriptor` in `index.json` as `tag` (what `oci:DIR:TAG` resolves). `extraAnnotations`
   * can add e.g. `io.containerd.image.name` so `ctr images import` names the image.
   */
  async tag(descriptor: Descriptor, tag: string, extraAnnotations: Record<string, string> = {}): Promise<void> {
    const { mediaType, digest, size } = descriptor;
    this.refs.push({
      mediaType,
      digest,
      size,
      annotations: { 'org.opencontainers.image.ref.name': tag, ...extraAnnotations },
    });
    await this.writeIndex();
  }

  private writeIndex(): Promise<void> {
    return writeFile(
      join(this.dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: this.refs }),
    );
  }
}

/** A ustar header for one regular file. */
function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(TAR_BLOCK);
  const put = (value: string, offset: number, length: number): void => {
    header.write(value, offset, Math.min(value.length, length), 'ascii');
  };
  const octal = (value: number, length: number): string => `${value.toString(8).padStart(length - 1, '0')}\0`;
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return header;
}

/** sha256 digest of a file, streamed. */
export async function digestFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** The manifest descriptor that `index.json` of a layout names `tag`, or undefined. */
export async function readLayoutRef(dir: string, tag: string): Promise<Descriptor | undefined> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  return index.manifests.find((entry) => entry.annotations?.['org.opencontainers.image.ref.name'] === tag);
}

/** One MiB, for readable layer sizes. */
export const MiB = 1024 * 1024;
