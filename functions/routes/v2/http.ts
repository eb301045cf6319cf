import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { OciError } from '../../core/errors.js';
import { requireName } from '../../core/reference.js';

/** A path parameter of the matched route ('' when absent). */
export function paramOf(c: Context<AppEnv>, name: 'name' | 'reference' | 'digest' | 'uuid'): string {
  return c.var.params[name] ?? '';
}

/** The validated repository name of a `/v2/<name>/...` route. */
export function repositoryOf(c: Context<AppEnv>): string {
  return requireName(paramOf(c, 'name'));
}

/** The request body as an async iterable, or null when the request has none. */
export function bodyOf(c: Context<AppEnv>): AsyncIterable<Uint8Array> | null {
  if (contentLengthOf(c) === 0) return null;
  return c.req.raw.body;
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
