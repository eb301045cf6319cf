import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { OciError } from '../../core/errors.js';
import { requireName } from '../../core/reference.js';

/** A path parameter of the matched route ('' when absent). */
export function paramOf(c: Context<AppEnv>, name: 'name' | 'reference' | 'digest' | 'uuid'): string {
  return c.get('params')[name] ?? '';
}

/** The validated repository name of a `/v2/<name>/...` route. */
export function repositoryOf(c: Context<AppEnv>): string {
  return requireName(paramOf(c, 'name'));
}

/**
 * A runtime's direct access to its sockets, bypassing web streams (adapters/node/node-streams.ts,
 * given by the Node entry points as `deps.fastPath`). Absent on Lambda and in `app.request` tests.
 */
export interface StreamingFastPath {
  /** The request body as the runtime's own stream; null when it has none to offer. */
  requestBody(c: Context): AsyncIterable<Uint8Array> | null;
  /** Sends `source` itself and returns the runtime's "already sent" marker; null when it cannot. */
  send(c: Context, source: AsyncIterable<Uint8Array>, status: number, headers: Record<string, string>): Response | null;
}

/** The request body as an async iterable, or null when the request has none. */
export function bodyOf(c: Context<AppEnv>): AsyncIterable<Uint8Array> | null {
  if (contentLengthOf(c) === 0) return null;
  return c.get('deps').fastPath?.requestBody(c) ?? c.req.raw.body;
}

/** Content-Length as a number, null when absent (chunked). Malformed: 400 SIZE_INVALID. */
export function contentLengthOf(c: Context<AppEnv>): number | null {
  const header = c.req.header('content-length');
  if (header === undefined) return null;
  if (!/^\d+$/.test(header)) throw new OciError('SIZE_INVALID', 'malformed Content-Length', { contentLength: header });
  return Number(header);
}

/** Reads a whole body of at most `limit` bytes; more is a 413 with SIZE_INVALID. */
export async function readBody(c: Context<AppEnv>, limit: number): Promise<Uint8Array> {
  const declared = contentLengthOf(c);
  const tooLarge = () => new OciError('SIZE_INVALID', `body exceeds the ${limit} byte limit`, { limit }, { status: 413 });
  if (declared !== null && declared > limit) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** `n` of a paginated list: a non-negative integer, or undefined when absent. */
export function pageSizeOf(c: Context<AppEnv>, max = 10_000): number | undefined {
  const n = c.req.query('n');
  if (n === undefined || n === '') return undefined;
  if (!/^\d+$/.test(n)) throw new OciError('UNSUPPORTED', 'n must be a non-negative integer', { n }, { status: 400 });
  return Math.min(Number(n), max);
}

/** The header every distribution API response carries (spec: end-1, kept on all of them). */
export const apiVersionHeader = { 'Docker-Distribution-API-Version': 'registry/2.0' } as const;

/** The headers the registry adds to every v2 answer: the API version and the request id. */
function ownHeaders(c: Context<AppEnv>): Record<string, string> {
  const requestId = c.get('requestId') as string | undefined;
  return requestId ? { ...apiVersionHeader, 'X-Request-Id': requestId } : { ...apiVersionHeader };
}

/**
 * A v2 response made with every header it will carry: the API version and the request id go in
 * here, and the access log is told its size, so nothing touches `response.headers` afterwards.
 * On Node that would turn the plain header object into undici `Headers` and validate each one:
 * about 15% of a manifest GET's time. Responses made otherwise get both headers added later.
 */
export function completeResponse(c: Context<AppEnv>, body: Uint8Array | null, status: number, headers: Record<string, string>): Response {
  const response = new Response(body as Uint8Array<ArrayBuffer> | null, { status, headers: { ...headers, ...ownHeaders(c) } });
  c.set('complete', { response, bytes: body?.byteLength ?? 0 });
  return response;
}

/**
 * A response whose body streams from `source`: through the runtime's fast path when it has one
 * (a blob file piped into the socket), else as a web stream (Lambda, `app.request` tests).
 */
export function streamResponse(c: Context<AppEnv>, source: AsyncIterable<Uint8Array>, status: 200 | 206, headers: Record<string, string>): Response {
  return c.get('deps').fastPath?.send(c, source, status, { ...ownHeaders(c), ...headers }) ?? new Response(toWebStream(source), { status, headers });
}

/** Async iterable to a web stream for a Response body. */
export function toWebStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
