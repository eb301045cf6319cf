import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { requireDigest } from '../../core/digest.js';
import { OciError } from '../../core/errors.js';
import type { ByteRange } from '../../ports/blob-store.js';
import { paramOf, repositoryOf, streamResponse } from './http.js';

/** end-2 GET/HEAD /v2/<name>/blobs/<digest>: 307 to the store when it can, else streamed, with Range. */
export async function getBlob(c: Context<AppEnv>): Promise<Response> {
  const repository = repositoryOf(c);
  const digest = requireDigest(paramOf(c, 'digest'));
  const { deps, registry } = c.var;
  const link = await registry.links.get(repository, digest.value);
  if (!link) throw new OciError('BLOB_UNKNOWN', undefined, { digest: digest.value });
  const headers: Record<string, string> = {
    'Docker-Content-Digest': digest.value,
    'Content-Type': 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: `"${digest.value}"`,
  };
  if (c.req.method === 'HEAD') {
    return new Response(null, { status: 200, headers: { ...headers, 'Content-Length': String(link.size) } });
  }
  const url = await deps.blobs.downloadUrl(digest.value, { expiresInSeconds: deps.config.downloadUrlTtlSeconds });
  if (url) return new Response(null, { status: 307, headers: { Location: url, 'Docker-Content-Digest': digest.value } });

  const range = parseRange(c.req.header('range'), link.size);
  const stream = await deps.blobs.open(digest.value, range ?? undefined);
  if (!stream) throw new OciError('BLOB_UNKNOWN', 'blob is linked but missing from storage', { digest: digest.value });
  if (range) {
    return streamResponse(c, stream, 206, {
      ...headers,
      'Content-Length': String(range.end - range.start + 1),
      'Content-Range': `bytes ${range.start}-${range.end}/${link.size}`,
    });
  }
  return streamResponse(c, stream, 200, { ...headers, 'Content-Length': String(link.size) });
}

/** end-10 DELETE /v2/<name>/blobs/<digest>: unlinks the blob from the repository. */
export async function deleteBlob(c: Context<AppEnv>): Promise<Response> {
  const repository = repositoryOf(c);
  const digest = requireDigest(paramOf(c, 'digest'));
  if (!(await c.get('registry').links.unlink(repository, digest.value))) throw new OciError('BLOB_UNKNOWN', undefined, { digest: digest.value });
  return new Response(null, { status: 202, headers: { 'Docker-Content-Digest': digest.value } });
}

/**
 * One `bytes=` range (RFC 9110 14.1.2: first-last, first-, or -suffix), clipped to the blob.
 * Several ranges are answered whole (null), as RFC 9110 allows; an unsatisfiable range is 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first, last] = match as unknown as [string, string, string];
  let start: number;
  let end: number;
  if (first === '') {
    if (last === '') return null;
    start = Math.max(0, size - Number(last));
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  }
  if (start > end || start >= size) {
    throw new OciError('SIZE_INVALID', 'requested range not satisfiable', { range: header, size }, { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
  }
  return { start, end };
}
