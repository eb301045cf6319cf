import { createHash, randomBytes, randomUUID } from 'node:crypto';

/**
 * Content the conformance tests push: blobs, image manifests, indexes and artifacts, each unique
 * per call so runs against a long-lived registry never collide with earlier ones.
 */

export const mediaTypes = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Bytes and what a manifest says about them. */
export interface Content {
  bytes: Uint8Array<ArrayBuffer>;
  digest: string;
  descriptor: Descriptor;
}

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function sha512(bytes: Uint8Array | string): string {
  return `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
}

export function content(bytes: Uint8Array<ArrayBuffer>, mediaType: string, annotations?: Record<string, string>): Content {
  const digest = sha256(bytes);
  return { bytes, digest, descriptor: { mediaType, digest, size: bytes.byteLength, ...(annotations ? { annotations } : {}) } };
}

/** A layer of random bytes. */
export function randomLayer(size = 1024): Content {
  return content(new Uint8Array(randomBytes(size)), mediaTypes.layer);
}

/** An image config that differs from every other one. */
export function imageConfig(): Content {
  const json = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'test.nonce': randomUUID() } },
    rootfs: { type: 'layers', diff_ids: [] },
  });
  return content(new TextEncoder().encode(json), mediaTypes.config);
}

/** The spec's empty descriptor blob, `{}`, used as the config of artifacts. */
export function emptyConfig(): Content {
  return content(new TextEncoder().encode('{}'), mediaTypes.empty);
}

export interface ManifestOptions {
  config: Content;
  layers?: Content[];
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image manifest; `bytes` are exactly what gets pushed, so `digest` is its identity. */
export function imageManifest(options: ManifestOptions): Content {
  const body = {
    schemaVersion: 2,
    mediaType: mediaTypes.manifest,
    ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    config: options.config.descriptor,
    layers: (options.layers ?? []).map((layer) => layer.descriptor),
    ...(options.subject ? { subject: options.subject } : {}),
    ...(options.annotations ? { annotations: options.annotations } : {}),
  };
  return content(new TextEncoder().encode(JSON.stringify(body)), mediaTypes.manifest);
}

export interface IndexOptions {
  manifests: Descriptor[];
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export function imageIndex(options: IndexOptions): Content {
  const body = {
    schemaVersion: 2,
    mediaType: mediaTypes.index,
    ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    manifests: options.manifests,
    ...(options.subject ? { subject: options.subject } : {}),
    ...(options.annotations ? { annotations: options.annotations } : {}),
  };
  return content(new TextEncoder().encode(JSON.stringify(body)), mediaTypes.index);
}

/** A repository name of the spec's grammar that no earlier run used. */
export function uniqueRepository(purpose: string): string {
  return `conformance-${randomUUID().slice(0, 8)}/${purpose}`;
}

/** A well-formed sha256 digest of nothing ever pushed. */
export function unknownDigest(): string {
  return sha256(randomBytes(32));
}
