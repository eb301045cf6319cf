import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { requireDigest } from '../../core/digest.js';
import { mediaTypes } from '../../core/manifest.js';
import { paramOf, repositoryOf } from './http.js';

/** end-12a/12b GET /v2/<name>/referrers/<digest>, optionally `?artifactType=`: an image index. */
export async function listReferrers(c: Context<AppEnv>): Promise<Response> {
  const repository = repositoryOf(c);
  const subject = requireDigest(paramOf(c, 'digest'));
  const artifactType = c.req.query('artifactType');
  const manifests = await c.get('registry').manifests.referrers(repository, subject.value, artifactType);
  const headers: Record<string, string> = { 'Content-Type': mediaTypes.ociIndex };
  if (artifactType !== undefined) headers['OCI-Filters-Applied'] = 'artifactType';
  return new Response(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests }), { status: 200, headers });
}
