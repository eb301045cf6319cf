import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { StreamingFastPath } from '../../routes/v2/http.js';
import { FileBytes } from './file-bytes.js';

/**
 * The Node server's streaming fast path, given to the app by the Node entry points: request
 * bodies read from the socket's own stream, blob files written straight into the response (see
 * FileBytes for how), other Node streams piped into it. Through the web streams Hono wraps them
 * in, an upload costs about 60% more CPU and a blob GET more than twice as much (measured on
 * 200 MB transfers). @hono/node-server puts the Node objects in `c.env`.
 */
export const nodeStreams: StreamingFastPath = {
  requestBody(c: Context) {
    return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming ?? null;
  },
  send(c: Context, source: AsyncIterable<Uint8Array>, status: number, headers: Record<string, string>) {
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (!outgoing || !(source instanceof FileBytes || isNodeReadable(source))) return null;
    outgoing.writeHead(status, headers);
    c.set('sent', { status, ...(headers['Content-Length'] ? { bytes: Number(headers['Content-Length']) } : {}) });
    if (source instanceof FileBytes) {
      void source.writeTo(outgoing);
      return RESPONSE_ALREADY_SENT;
    }
    source.on('error', (error) => outgoing.destroy(error as Error));
    outgoing.on('close', () => source.destroy());
    source.pipe(outgoing);
    return RESPONSE_ALREADY_SENT;
  },
};

function isNodeReadable(source: unknown): source is NodeJS.ReadableStream & { destroy(): void; on(event: string, listener: (...args: unknown[]) => void): unknown } {
  return typeof (source as { pipe?: unknown }).pipe === 'function' && typeof (source as { destroy?: unknown }).destroy === 'function';
}
