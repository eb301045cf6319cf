import { createHash } from 'node:crypto';

/** Anything that answers registry requests: `app.request` of a local registry, or fetch on a server. */
export type RegistryRequest = (path: string, init?: RequestInit) => Promise<Response>;

const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export async function pushBlob(request: RegistryRequest, repository: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<{ digest: string; size: number }> {
  const digest = digestOf(bytes);
  const response = await request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    body: bytes as Uint8Array<ArrayBuffer>,
    headers: { 'content-type': 'application/octet-stream', ...headers },
  });
  if (response.status === 202) {
    // A registry without monolithic POST (Distribution 2.8) opens a session instead: finish it.
    await response.arrayBuffer();
    const location = new URL(response.headers.get('location')!, 'http://registry.invalid');
    location.searchParams.set('digest', digest);
    const put = await request(`${location.pathname}${location.search}`, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream', ...headers } });
    if (put.status !== 201) throw new Error(`blob push failed: ${put.status} ${await put.text()}`);
    await put.arrayBuffer();
    return { digest, size: bytes.byteLength };
  }
  if (response.status !== 201) throw new Error(`blob push failed: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return { digest, size: bytes.byteLength };
}

export async function pushManifest(request: RegistryRequest, repository: string, reference: string, manifest: object, headers: Record<string, string> = {}): Promise<{ digest: string; size: number; status: number }> {
  const body = Buffer.from(JSON.stringify(manifest));
  const response = await request(`/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...headers },
  });
  if (response.status !== 201) throw new Error(`manifest push failed: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return { digest: digestOf(body), size: body.byteLength, status: response.status };
}

const emptyConfig = Buffer.from('{}');

export interface CosignLayerInput {
  payload: Uint8Array;
  annotations: Record<string, string>;
}

/**
 * A cosign signature as `cosign sign` pushes it: layers of simplesigning payloads under the tag
 * `sha256-<hex>.sig` (tag scheme), or the same manifest with a `subject` (the older referrer form).
 */
export async function pushCosignSignature(
  request: RegistryRequest,
  repository: string,
  subject: { digest: string; size: number; mediaType?: string },
  layers: CosignLayerInput[],
  form: 'tag' | 'referrer' = 'tag',
  headers: Record<string, string> = {},
): Promise<{ digest: string; size: number }> {
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => digestOf(l.payload)) } }));
  const configBlob = await pushBlob(request, repository, config, headers);
  const descriptors = [];
  for (const layer of layers) {
    const blob = await pushBlob(request, repository, layer.payload, headers);
    descriptors.push({ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', ...blob, annotations: layer.annotations });
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...(form === 'referrer' ? { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' } : {}),
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers: descriptors,
    ...(form === 'referrer' ? { subject: { mediaType: subject.mediaType ?? 'application/vnd.oci.image.manifest.v1+json', digest: subject.digest, size: subject.size } } : {}),
  };
  const reference = form === 'tag' ? `${subject.digest.replace(':', '-')}.sig` : digestOf(Buffer.from(JSON.stringify(manifest)));
  return pushManifest(request, repository, reference, manifest, headers);
}

/** A referrer whose one layer is `envelope` (a Notation signature, a sigstore bundle). */
export async function pushReferrer(
  request: RegistryRequest,
  repository: string,
  subject: { digest: string; size: number; mediaType?: string },
  artifactType: string,
  layer: { mediaType: string; bytes: Uint8Array } | { mediaType: string; digest: string; size: number },
  annotations: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<{ digest: string; size: number }> {
  const config = await pushBlob(request, repository, emptyConfig, headers);
  const descriptor = 'bytes' in layer ? { mediaType: layer.mediaType, ...(await pushBlob(request, repository, layer.bytes, headers)) } : layer;
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', ...config },
    layers: [descriptor],
    subject: { mediaType: subject.mediaType ?? 'application/vnd.oci.image.manifest.v1+json', digest: subject.digest, size: subject.size },
    annotations: { 'org.opencontainers.image.created': new Date().toISOString(), ...annotations },
  };
  return pushManifest(request, repository, digestOf(Buffer.from(JSON.stringify(manifest))), manifest, headers);
}
