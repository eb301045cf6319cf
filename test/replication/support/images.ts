import { randomBytes } from 'node:crypto';
import type { AppDeps } from '../../../functions/app-env.js';
import { digestOf } from '../../../functions/core/digest.js';
import { mediaTypes } from '../../../functions/core/manifest.js';
import type { ManifestContent, RemoteRegistry } from '../../../functions/ports/remote-registry.js';
import { LocalRegistry } from '../../../functions/replication/local-registry.js';

export function manifestContent(json: unknown, mediaType: string): ManifestContent {
  const bytes = Buffer.from(JSON.stringify(json));
  return { bytes, mediaType, digest: digestOf(bytes) };
}

/** One chunk as the async stream blob bodies are. */
export async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

async function blob(registry: RemoteRegistry, repository: string, bytes: Uint8Array): Promise<{ mediaType: string; digest: string; size: number }> {
  const digest = digestOf(bytes);
  await registry.putBlob(repository, digest, { size: bytes.byteLength, body: once(bytes) });
  return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: bytes.byteLength };
}

/** An OCI image with a config and `layers` random layers of `layerBytes` each. */
export async function pushImage(
  registry: RemoteRegistry,
  repository: string,
  tag: string | undefined,
  options: { layers?: number; layerBytes?: number; extra?: Record<string, unknown>; platform?: string } = {},
): Promise<ManifestContent> {
  const configBytes = Buffer.from(JSON.stringify({ architecture: options.platform ?? 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed: randomBytes(8).toString('hex') }));
  const config = { ...(await blob(registry, repository, configBytes)), mediaType: 'application/vnd.oci.image.config.v1+json' };
  const layers = [];
  for (let i = 0; i < (options.layers ?? 1); i++) layers.push(await blob(registry, repository, randomBytes(options.layerBytes ?? 1024)));
  // Spacing and key order a JSON re-encoder would change: byte-for-byte copies keep them.
  const content = manifestContent({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config, layers, ...options.extra }, mediaTypes.ociManifest);
  content.bytes = Buffer.from(`${Buffer.from(content.bytes).toString('utf8')}\n`);
  content.digest = digestOf(content.bytes);
  await registry.putManifest(repository, content.digest, content);
  if (tag) await registry.putManifest(repository, tag, content);
  return content;
}

/** A two-platform index over two fresh images. */
export async function pushIndex(registry: RemoteRegistry, repository: string, tag: string): Promise<{ index: ManifestContent; children: ManifestContent[] }> {
  const children = [await pushImage(registry, repository, undefined, { platform: 'amd64' }), await pushImage(registry, repository, undefined, { platform: 'arm64' })];
  const index = manifestContent(
    {
      schemaVersion: 2,
      mediaType: mediaTypes.ociIndex,
      manifests: children.map((c, i) => ({ mediaType: c.mediaType, digest: c.digest, size: c.bytes.byteLength, platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' } })),
    },
    mediaTypes.ociIndex,
  );
  await registry.putManifest(repository, tag, index);
  return { index, children };
}

/** An OCI 1.1 referrer (an SBOM-like artifact) whose subject is `subject`. */
export async function pushReferrer(registry: RemoteRegistry, repository: string, subject: ManifestContent, artifactType = 'application/vnd.example.sbom'): Promise<ManifestContent> {
  const emptyConfig = Buffer.from('{}');
  const config = { ...(await blob(registry, repository, emptyConfig)), mediaType: mediaTypes.ociEmpty };
  const layer = await blob(registry, repository, randomBytes(64));
  const content = manifestContent(
    {
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      artifactType,
      config,
      layers: [layer],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.byteLength },
    },
    mediaTypes.ociManifest,
  );
  await registry.putManifest(repository, content.digest, content);
  return content;
}

/** A cosign-style signature stored under the tag `sha256-<hex>.sig`. */
export async function pushCosignSignature(registry: RemoteRegistry, repository: string, subject: ManifestContent): Promise<ManifestContent> {
  const signature = await pushImage(registry, repository, undefined, { extra: { annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ' } } });
  await registry.putManifest(repository, `${subject.digest.replace(':', '-')}.sig`, signature);
  return signature;
}

export function localOf(deps: AppDeps): LocalRegistry {
  return new LocalRegistry(deps);
}
