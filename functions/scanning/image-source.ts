import type { AppDeps } from '../app-env.js';
import { parseDigest } from '../core/digest.js';
import { Manifests } from '../registry/manifests.js';
import { ScanError } from './scan-common.js';

/** Where a scan reads an image from: this registry's own stores, or a remote registry over HTTP. */
export interface ImageSource {
  /** The manifest stored under `digest`, exactly as pushed. */
  manifest(digest: string): Promise<{ bytes: Uint8Array; mediaType: string }>;
  /** A blob's bytes, streamed. */
  blob(digest: string): Promise<AsyncIterable<Uint8Array>>;
}

/** Reads straight from this registry's table and blob store (the built-in scan job). */
export function localSource(deps: AppDeps, repository: string): ImageSource {
  const manifests = new Manifests(deps);
  return {
    async manifest(digest) {
      const parsed = parseDigest(digest);
      const found = parsed ? await manifests.resolve(repository, { digest: parsed }) : null;
      if (!found) throw new ScanError(`manifest ${digest} is not in ${repository}`);
      return { bytes: await manifests.body(found), mediaType: found.mediaType };
    },
    async blob(digest) {
      const stream = await deps.blobs.open(digest);
      if (!stream) throw new ScanError(`blob ${digest} is missing from the blob store`);
      return stream;
    },
  };
}

const manifestAccept = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * Pulls from a registry's /v2 API (Berth's adapter API, given a registry URL and an
 * Authorization value by Harbor or Berth). A Basic value is exchanged for a Bearer token at the
 * realm the registry's challenge names, as Docker's token authentication describes; a Bearer
 * value is sent as is.
 */
export function remoteSource(registryUrl: string, repository: string, authorization: string | undefined): ImageSource {
  const base = registryUrl.replace(/\/+$/, '');
  let bearer: string | undefined = authorization?.startsWith('Bearer ') ? authorization : undefined;

  async function exchange(challenge: string): Promise<void> {
    const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
    const service = /service="([^"]+)"/.exec(challenge)?.[1];
    if (!realm || !authorization) throw new ScanError(`registry ${base} asks for credentials the scan request did not carry`);
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', `repository:${repository}:pull`);
    const response = await fetch(url, { headers: { authorization } });
    if (!response.ok) throw new ScanError(`token service ${url.origin} refused the scan's credentials (${response.status})`);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new ScanError(`token service ${url.origin} answered no token`);
    bearer = `Bearer ${token}`;
  }

  async function get(path: string, accept?: string): Promise<Response> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      const auth = bearer ?? authorization;
      if (auth) headers.authorization = auth;
      const response = await fetch(`${base}/v2/${repository}/${path}`, { headers, redirect: 'follow' });
      if (response.status === 401 && attempt === 0) {
        await response.body?.cancel();
        const challenge = response.headers.get('www-authenticate') ?? '';
        if (!challenge.toLowerCase().startsWith('bearer')) throw new ScanError(`registry ${base} refused the scan's credentials`);
        await exchange(challenge);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new ScanError(`registry ${base} answered ${response.status} for ${repository}/${path}`);
      }
      return response;
    }
    throw new ScanError(`registry ${base} refused the scan's credentials`);
  }

  return {
    async manifest(digest) {
      const response = await get(`manifests/${digest}`, manifestAccept);
      return { bytes: new Uint8Array(await response.arrayBuffer()), mediaType: response.headers.get('content-type') ?? '' };
    },
    async blob(digest) {
      const response = await get(`blobs/${digest}`);
      if (!response.body) throw new ScanError(`registry ${base} sent no body for ${digest}`);
      return response.body as unknown as AsyncIterable<Uint8Array>;
    },
  };
}
