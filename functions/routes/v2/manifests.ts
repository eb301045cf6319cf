import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { OciError } from '../../core/errors.js';
import { manifestMediaTypes, maxManifestBytes } from '../../core/manifest.js';
import { parseReference } from '../../registry/manifests.js';
import { completeResponse, paramOf, readBody, repositoryOf } from './http.js';

/**
 * Does the client's Accept allow `mediaType`? No Accept, `*` wildcards, or an Accept naming no
 * manifest type at all (old clients) all do. Otherwise the stored type must be listed: Berth never
 * converts a manifest, so the client gets MANIFEST_UNKNOWN as from Distribution.
 */
function accepts(accept: string | undefined, mediaType: string): boolean {
  if (!accept) return true;
  const listed = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  if (listed.some((type) => type === mediaType || type === '*/*' || type === 'application/*')) return true;
  return !listed.some((type) => manifestMediaTypes.has(type));
}

/** end-3 GET/HEAD /v2/<name>/manifests/<reference>: the stored bytes, byte for byte. */
export async function getManifest(c: Context<AppEnv>): Promise<Response> {
  const repository = repositoryOf(c);
  const reference = parseReference(paramOf(c, 'reference'), 'read');
  const { manifests } = c.get('registry');
  const manifest = await manifests.pull(repository, reference, c.req.method === 'GET');
  if (!manifest) throw new OciError('MANIFEST_UNKNOWN', undefined, { reference: paramOf(c, 'reference') });
  if (!accepts(c.req.header('accept'), manifest.mediaType)) {
    throw new OciError('MANIFEST_UNKNOWN', `manifest is ${manifest.mediaType}, which the request's Accept does not allow`, { mediaType: manifest.mediaType });
  }
  // Harbor's rule: a project's pull policies refuse the manifest GET; HEAD stays answerable.
  if (c.req.method === 'GET') await c.get('registry').pullGates.check(repository, manifest.digest);
  const headers = {
    'Content-Type': manifest.mediaType,
    'Content-Length': String(manifest.size),
    'Docker-Content-Digest': manifest.digest,
    ETag: `"${manifest.digest}"`,
  };
  if (c.req.method === 'HEAD') return completeResponse(c, null, 200, headers);
  await c.get('deps').pulls?.record(repository, manifest.digest, 'tag' in reference ? reference.tag : undefined, c.get('actor'));
  return completeResponse(c, manifest.body, 200, headers);
}

/** end-7 PUT /v2/<name>/manifests/<reference>. */
export async function putManifest(c: Context<AppEnv>): Promise<Response> {
  const repository = repositoryOf(c);
  const reference = parseReference(paramOf(c, 'reference'), 'write');
  const bytes = await readBody(c, maxManifestBytes);
  const stored = await c.get('registry').manifests.put(repository, reference, bytes, c.req.header('content-type'), {
    ...(c.get('canOverwriteTag') ? { mayOverwriteTag: c.get('canOverwriteTag') } : {}),
    ...(c.get('actor') ? { actor: c.get('actor') } : {}),
  });
  const headers: Record<string, string> = {
    Location: `/v2/${repository}/manifests/${stored.digest}`,
    'Docker-Content-Digest': stored.digest,
    'Content-Length': '0',
  };
  if (stored.subject) headers['OCI-Subject'] = stored.subject;
  return new Response(null, { status: 201, headers });
}

/** end-9 DELETE /v2/<name>/manifests/<reference>: by digest the manifest, by tag only the tag. */
export async function deleteManifest(c: Context<AppEnv>): Promise<Response> {
  const repository = repositoryOf(c);
  const reference = parseReference(paramOf(c, 'reference'), 'read');
  const deleted = await c.get('registry').manifests.delete(repository, reference, c.get('actor') ? { actor: c.get('actor') } : {});
  if (!deleted) throw new OciError('MANIFEST_UNKNOWN', undefined, { reference: paramOf(c, 'reference') });
  return new Response(null, { status: 202 });
}
