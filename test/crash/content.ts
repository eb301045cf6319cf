import { createCipheriv, createHash } from 'node:crypto';

/** mulberry32: a small seeded generator, so a failing run can be replayed from its printed seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` pseudo-random bytes determined by `name` (AES-CTR over zeros: fast for 100 MB). */
export function bytesNamed(name: string, size: number): Uint8Array<ArrayBuffer> {
  const key = createHash('sha256').update(name).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const out = new Uint8Array(size);
  const step = 8 * 1024 * 1024;
  for (let at = 0; at < size; at += step) {
    const n = Math.min(step, size - at);
    out.set(cipher.update(Buffer.alloc(n)), at);
  }
  return out;
}

export type Algorithm = 'sha256' | 'sha512';

export function digestOf(bytes: Uint8Array, algorithm: Algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * A blob the workload pushes. Small blobs keep their bytes; large ones drop them once nothing
 * needs them and regenerate them from their name when a push must be repeated.
 */
export class BlobContent {
  private cached: Uint8Array<ArrayBuffer> | undefined;
  readonly digest: string;
  readonly mediaType: string;

  constructor(
    readonly name: string,
    readonly size: number,
    algorithm: Algorithm = 'sha256',
    mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip',
    bytes?: Uint8Array<ArrayBuffer>,
  ) {
    this.cached = bytes ?? bytesNamed(name, size);
    this.digest = digestOf(this.cached, algorithm);
    this.mediaType = mediaType;
  }

  bytes(): Uint8Array<ArrayBuffer> {
    this.cached ??= bytesNamed(this.name, this.size);
    return this.cached;
  }

  forget(): void {
    this.cached = undefined;
  }

  get descriptor() {
    return { mediaType: this.mediaType, digest: this.digest, size: this.size };
  }
}

/** The spec's empty descriptor blob, the config of artifacts. */
export function emptyConfig(): BlobContent {
  return new BlobContent('empty', 2, 'sha256', 'application/vnd.oci.empty.v1+json', new TextEncoder().encode('{}'));
}

export const manifestTypes = {
  oci: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  docker: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** Everything a manifest GET must answer and everything the manifest depends on. */
export interface ManifestContent {
  digest: string;
  bytes: Uint8Array<ArrayBuffer>;
  mediaType: string;
  /** Config and layers: must stay linked in the repository while the manifest exists. */
  blobs: string[];
  /** An index's children: must exist in the repository while the index exists. */
  children: string[];
  subject?: string;
  artifactType?: string;
}

function manifestOf(body: Record<string, unknown>, mediaType: string, blobs: string[], children: string[]): ManifestContent {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  const subject = (body.subject as { digest: string } | undefined)?.digest;
  const artifactType = (body.artifactType as string | undefined) ?? undefined;
  return { digest: digestOf(bytes), bytes, mediaType, blobs, children, ...(subject ? { subject } : {}), ...(artifactType ? { artifactType } : {}) };
}

export function imageManifest(options: {
  config: BlobContent;
  layers: BlobContent[];
  docker?: boolean;
  nonce: string;
  /** Pads the manifest past the size the registry keeps inline in its table item. */
  large?: boolean;
}): ManifestContent {
  const mediaType = options.docker ? manifestTypes.docker : manifestTypes.oci;
  const configType = options.docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json';
  const layerType = options.docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip';
  const body = {
    schemaVersion: 2,
    mediaType,
    config: { ...options.config.descriptor, mediaType: configType },
    layers: options.layers.map((layer) => ({ ...layer.descriptor, mediaType: layerType })),
    ...(options.docker ? {} : { annotations: { nonce: options.nonce, ...(options.large ? { padding: 'x'.repeat(320 * 1024) } : {}) } }),
  };
  return manifestOf(body, mediaType, [options.config.digest, ...options.layers.map((layer) => layer.digest)], []);
}

export function indexManifest(children: ManifestContent[], nonce: string, docker = false): ManifestContent {
  const mediaType = docker ? manifestTypes.dockerList : manifestTypes.ociIndex;
  const body = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((child, i) => ({
      mediaType: child.mediaType,
      digest: child.digest,
      size: child.bytes.byteLength,
      platform: { architecture: ['amd64', 'arm64', 's390x', 'ppc64le'][i % 4]!, os: 'linux' },
    })),
    ...(docker ? {} : { annotations: { nonce } }),
  };
  return manifestOf(body, mediaType, [], children.map((child) => child.digest));
}

export function artifactManifest(subject: ManifestContent, config: BlobContent, layer: BlobContent, artifactType: string, nonce: string): ManifestContent {
  const body = {
    schemaVersion: 2,
    mediaType: manifestTypes.oci,
    artifactType,
    config: config.descriptor,
    layers: [layer.descriptor],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.byteLength },
    annotations: { nonce },
  };
  return manifestOf(body, manifestTypes.oci, [config.digest, layer.digest], []);
}
