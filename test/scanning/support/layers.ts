import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { ImageSource } from '../../../functions/scanning/image-source.js';

export type TarEntry =
  | { name: string; body: string | Buffer }
  | { name: string; type: 'symlink' | 'link'; linkname: string }
  | { name: string; type: 'directory' };

/** An uncompressed tar of `entries`, written by tar-stream (a real tar, headers and padding). */
export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk) => chunks.push(chunk as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const entry of entries) {
    if ('body' in entry) {
      await new Promise<void>((resolve, reject) => pack.entry({ name: entry.name, mode: 0o644 }, entry.body, (error) => (error ? reject(error) : resolve())));
    } else if (entry.type === 'directory') {
      pack.entry({ name: entry.name, type: 'directory', mode: 0o755 });
    } else {
      pack.entry({ name: entry.name, type: entry.type, linkname: entry.linkname });
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function gzipLayer(entries: TarEntry[]): Promise<Buffer> {
  return gzipSync(await tarOf(entries));
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface BuiltImage {
  digest: string;
  manifest: Buffer;
  config: Buffer;
  layers: Buffer[];
  blobs: Map<string, Buffer>;
}

/** An OCI image manifest, its config and layers (bottom first), addressed by digest. */
export function imageOf(layers: Buffer[], configExtra: Record<string, unknown> = {}): BuiltImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, ...configExtra }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((layer) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length })),
    }),
  );
  const blobs = new Map<string, Buffer>([[sha256(config), config]]);
  for (const layer of layers) blobs.set(sha256(layer), layer);
  return { digest: sha256(manifest), manifest, config, layers, blobs };
}

/** An in-memory source over built images (the bytes a registry would serve). */
export function memorySource(...images: BuiltImage[]): ImageSource & { add(digest: string, bytes: Buffer, mediaType: string): void } {
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const blobs = new Map<string, Buffer>();
  for (const image of images) {
    manifests.set(image.digest, { bytes: image.manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    for (const [d, b] of image.blobs) blobs.set(d, b);
  }
  return {
    add(digest, bytes, mediaType) {
      manifests.set(digest, { bytes, mediaType });
    },
    async manifest(digest) {
      const found = manifests.get(digest);
      if (!found) throw new Error(`no manifest ${digest}`);
      return found;
    },
    async blob(digest) {
      const found = blobs.get(digest);
      if (!found) throw new Error(`no blob ${digest}`);
      return (async function* () {
        for (let i = 0; i < found.length; i += 65536) yield found.subarray(i, i + 65536);
      })();
    },
  };
}
