import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OciImage {
  /** The OCI image layout directory (`oci:<dir>:<tag>` for skopeo). */
  dir: string;
  tag: string;
  layer: { digest: string; size: number };
  manifestDigest: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

async function writeBlob(dir: string, bytes: Buffer | string): Promise<{ digest: string; size: number }> {
  const buffer = Buffer.from(bytes);
  const digest = `sha256:${createHash('sha256').update(buffer).digest('hex')}`;
  await writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), buffer);
  return { digest, size: buffer.length };
}

/**
 * An OCI image layout holding one image whose single layer is a gzipped tar of one file of
 * `layerBytes` random bytes (random, so the layer stays that large).
 */
export async function buildOciImage(root: string, layerBytes: number, tag = 'latest'): Promise<OciImage> {
  const dir = join(root, 'layout');
  const work = join(root, 'rootfs');
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await mkdir(work, { recursive: true });
  await run('sh', ['-c', `head -c ${layerBytes} /dev/urandom > "${join(work, 'payload.bin')}"`]);
  const tarPath = join(root, 'layer.tar');
  await run('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', tarPath, '-C', work, 'payload.bin']);
  const diffId = await sha256File(tarPath);
  // Compressed, as registries expect: clients push a compressed layer as it is (digest kept),
  // where they would compress an uncompressed one on the way and change its digest.
  await run('gzip', ['-1', '-n', tarPath]);
  const gzPath = `${tarPath}.gz`;
  const layerDigest = await sha256File(gzPath);
  const layerSize = (await stat(gzPath)).size;
  await rename(gzPath, join(dir, 'blobs', 'sha256', layerDigest.slice(7)));

  const config = await writeBlob(
    dir,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/payload.bin'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  const manifest = await writeBlob(
    dir,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layerSize }],
    }),
  );
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return { dir, tag, layer: { digest: layerDigest, size: layerSize }, manifestDigest: manifest.digest };
}
