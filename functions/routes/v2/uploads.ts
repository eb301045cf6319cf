import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { requireDigest } from '../../core/digest.js';
import { OciError } from '../../core/errors.js';
import { isValidName } from '../../core/reference.js';
import { signUploadToken, verifyUploadToken } from '../../core/upload-token.js';
import { anonymous, credentialOf, isSysadmin } from '../../identity/principal.js';
import { rangeHeader, type ChunkRange, type UploadSession } from '../../registry/uploads.js';
import { bodyOf, contentLengthOf, paramOf, repositoryOf } from './http.js';

/**
 * Where the client continues a session. With an upload service, the API answers an absolute
 * Location on it carrying a short-lived token (docker and containerd send no Authorization to
 * another host); the upload service itself answers a relative Location with a fresh token, so the
 * next PATCH or PUT reaches it again, whatever its public name.
 */
async function locationOf(c: Context<AppEnv>, session: UploadSession): Promise<string> {
  const path = `/v2/${session.repository}/blobs/uploads/${session.id}`;
  const { uploadServiceUrl, uploadTokenSecret, uploadSessionTtlSeconds } = c.get('deps').config;
  const onUploadService = c.get('uploadTokenValid') === true;
  if (!uploadTokenSecret || (!uploadServiceUrl && !onUploadService)) return path;
  const token = await signUploadToken(uploadTokenSecret, session.id, session.repository, Math.min(uploadSessionTtlSeconds, 3600));
  const base = onUploadService || !uploadServiceUrl ? '' : uploadServiceUrl.replace(/\/$/, '');
  return `${base}${path}?_t=${encodeURIComponent(token)}`;
}

async function sessionResponse(c: Context<AppEnv>, session: UploadSession, status: 202 | 204): Promise<Response> {
  return new Response(null, {
    status,
    headers: {
      Location: await locationOf(c, session),
      Range: rangeHeader(session.state.size),
      'Docker-Upload-UUID': session.id,
      'Content-Length': '0',
    },
  });
}

function blobCreated(repository: string, digest: string): Response {
  return new Response(null, {
    status: 201,
    headers: { Location: `/v2/${repository}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': '0' },
  });
}

/**
 * Who owns the sessions this request opens or continues: the caller's account when identity is
 * on (anonymous callers share one owner), nobody in particular when the registry is open.
 */
function ownerOf(c: Context<AppEnv>): string | undefined {
  if (!c.get('deps').identity) return undefined;
  return credentialOf(c.get('principal') ?? anonymous)?.account ?? 'anonymous';
}

/**
 * The open session named by the path, checking an upload-service token when one is given. The
 * token stands for the owner who opened the session (it was minted for them); without one, the
 * session must be the caller's own.
 */
async function sessionOf(c: Context<AppEnv>): Promise<UploadSession> {
  const repository = repositoryOf(c);
  const id = paramOf(c, 'uuid');
  const token = c.req.query('_t');
  const secret = c.get('deps').config.uploadTokenSecret;
  if (token !== undefined) {
    if (!secret || !(await verifyUploadToken(secret, token, id, repository))) {
      throw new OciError('UNAUTHORIZED', 'upload token invalid or expired', { uuid: id });
    }
    c.set('uploadTokenValid', true);
    return c.get('registry').uploads.get(repository, id);
  }
  return c.get('registry').uploads.get(repository, id, ownerOf(c));
}

/** Content-Range of a chunk: `<start>-<end>` (spec), also accepting a `bytes ` / `bytes=` prefix. */
function chunkRangeOf(c: Context<AppEnv>): ChunkRange | null {
  const header = c.req.header('content-range');
  if (header === undefined) return null;
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  const start = Number(match?.[1]);
  const end = Number(match?.[2]);
  if (!match || end < start) {
    throw new OciError('BLOB_UPLOAD_INVALID', 'malformed Content-Range', { contentRange: header }, { status: 416 });
  }
  return { start, end };
}

/**
 * end-4a POST /v2/<name>/blobs/uploads/ opens a session; end-4b with `?digest=` takes the whole
 * blob at once; end-11 with `?mount=` (and `from=`) links an existing blob, else opens a session.
 */
export async function startUpload(c: Context<AppEnv>): Promise<Response> {
  const repository = repositoryOf(c);
  const { uploads } = c.get('registry');
  const mount = c.req.query('mount');
  if (mount !== undefined) {
    const digest = requireDigest(mount);
    const from = c.req.query('from');
    const canPull = c.get('canPull') ?? (async () => true);
    // Bytes another region copied into storage (replication, `BlobStore.copyTo`) are taken in by a
    // system admin's mount without `from` (the account a region's upstream pushes with is one), or
    // by anyone on an open registry: the store checks them against the digest first.
    const principal = c.get('principal');
    const mayAdopt = from === undefined && (c.get('deps').identity === undefined || (principal !== undefined && isSysadmin(principal)));
    if ((from === undefined || isValidName(from)) && (await uploads.mount(repository, digest, from, canPull, mayAdopt))) {
      return blobCreated(repository, digest.value);
    }
  }
  const monolithic = c.req.query('digest');
  if (monolithic !== undefined) {
    const digest = requireDigest(monolithic);
    await uploads.monolithic(repository, digest, bodyOf(c) ?? emptyBody(), contentLengthOf(c), ownerOf(c));
    return blobCreated(repository, digest.value);
  }
  return sessionResponse(c, await uploads.start(repository, ownerOf(c)), 202);
}

/** end-5 PATCH: a streamed body, or an ordered chunk with Content-Range. */
export async function patchUpload(c: Context<AppEnv>): Promise<Response> {
  const session = await sessionOf(c);
  const body = bodyOf(c) ?? emptyBody();
  const next = await c.get('registry').uploads.append(session, body, chunkRangeOf(c), contentLengthOf(c));
  return sessionResponse(c, next, 202);
}

/** end-6 PUT `?digest=`: the last chunk, if any, then verify and make the blob visible. */
export async function finishUpload(c: Context<AppEnv>): Promise<Response> {
  const digest = requireDigest(c.req.query('digest'));
  let session = await sessionOf(c);
  const body = bodyOf(c);
  const { uploads } = c.get('registry');
  if (body) session = await uploads.append(session, body, chunkRangeOf(c), contentLengthOf(c));
  await uploads.finish(session, digest);
  return blobCreated(session.repository, digest.value);
}

/** GET upload status: 204 with the bytes received so far. */
export async function uploadStatus(c: Context<AppEnv>): Promise<Response> {
  return sessionResponse(c, await sessionOf(c), 204);
}

/** DELETE: cancels the session. */
export async function cancelUpload(c: Context<AppEnv>): Promise<Response> {
  await c.get('registry').uploads.cancel(await sessionOf(c));
  return new Response(null, { status: 204 });
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
