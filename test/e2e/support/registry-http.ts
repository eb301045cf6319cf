/**
 * Plain-HTTP calls to a registry's OCI distribution API, for the steps no client tool performs
 * (pushing an artifact with a `subject`, asking the referrers API) and for checking state
 * (is a blob visible?). Every function throws with the registry's answer on an unexpected status.
 */
import { createHash } from 'node:crypto';
import type { Descriptor } from './oci-layout.js';

export interface RequestOptions {
  /** Extra headers, e.g. `Authorization`. */
  headers?: Record<string, string>;
}

async function expectStatus(response: Response, expected: number[], what: string): Promise<Response> {
  if (!expected.includes(response.status)) {
    const body = await response.text().catch(() => '');
    throw new Error(`${what}: expected HTTP ${expected.join('/')}, got ${response.status} ${body.slice(0, 500)}`);
  }
  return response;
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Uploads a blob monolithically (end-4a POST, then end-6 PUT `?digest=` with the body). */
export async function pushBlob(
  registryUrl: string,
  repository: string,
  mediaType: string,
  bytes: Uint8Array,
  options: RequestOptions = {},
): Promise<Descriptor> {
  const digest = sha256(bytes);
  const start = await expectStatus(
    await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: options.headers }),
    [202],
    `POST upload to ${repository}`,
  );
  await start.arrayBuffer();
  const location = new URL(start.headers.get('location') ?? '', registryUrl);
  location.searchParams.set('digest', digest);
  const done = await expectStatus(
    await fetch(location, {
      method: 'PUT',
      headers: { ...options.headers, 'content-type': 'application/octet-stream' },
      body: new Blob([new Uint8Array(bytes)]),
    }),
    [201],
    `PUT blob ${digest}`,
  );
  await done.arrayBuffer();
  return { mediaType, digest, size: bytes.byteLength };
}

/** PUTs a manifest (end-7) and returns its descriptor; `reference` defaults to its digest. */
export async function putManifest(
  registryUrl: string,
  repository: string,
  mediaType: string,
  manifest: unknown,
  reference?: string,
  options: RequestOptions = {},
): Promise<Descriptor & { response: Response }> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = sha256(bytes);
  const response = await expectStatus(
    await fetch(`${registryUrl}/v2/${repository}/manifests/${reference ?? digest}`, {
      method: 'PUT',
      headers: { ...options.headers, 'content-type': mediaType },
      body: bytes,
    }),
    [201],
    `PUT manifest ${repository}:${reference ?? digest}`,
  );
  await response.arrayBuffer();
  return { mediaType, digest, size: bytes.byteLength, response };
}

/** GETs a manifest (end-3) accepting the given media types; returns its bytes and headers. */
export async function getManifest(
  registryUrl: string,
  repository: string,
  reference: string,
  accept: string[],
  options: RequestOptions = {},
): Promise<{ bytes: Buffer; mediaType: string; digest: string | null }> {
  const response = await expectStatus(
    await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
      headers: { ...options.headers, accept: accept.join(', ') },
    }),
    [200],
    `GET manifest ${repository}:${reference}`,
  );
  return {
    bytes: Buffer.from(await response.arrayBuffer()),
    mediaType: response.headers.get('content-type') ?? '',
    digest: response.headers.get('docker-content-digest'),
  };
}

/** HEAD a blob (end-2); returns the HTTP status (200 when visible, 404 when not). */
export async function headBlob(
  registryUrl: string,
  repository: string,
  digest: string,
  options: RequestOptions = {},
): Promise<number> {
  const response = await fetch(`${registryUrl}/v2/${repository}/blobs/${digest}`, {
    method: 'HEAD',
    headers: options.headers,
  });
  await response.arrayBuffer();
  return response.status;
}

/** GET the referrers of a manifest (end-12a), optionally filtered by `artifactType`. */
export async function getReferrers(
  registryUrl: string,
  repository: string,
  digest: string,
  artifactType?: string,
  options: RequestOptions = {},
): Promise<{ index: { manifests: Descriptor[] }; filtersApplied: string | null; contentType: string | null }> {
  const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
  const response = await expectStatus(
    await fetch(`${registryUrl}/v2/${repository}/referrers/${digest}${query}`, { headers: options.headers }),
    [200],
    `GET referrers of ${repository}@${digest}`,
  );
  return {
    index: (await response.json()) as { manifests: Descriptor[] },
    filtersApplied: response.headers.get('oci-filters-applied'),
    contentType: response.headers.get('content-type'),
  };
}
