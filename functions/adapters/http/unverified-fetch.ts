import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { Readable } from 'node:stream';

function headersOf(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (Array.isArray(value)) for (const one of value) headers.append(name, one);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/**
 * A `fetch` for registries marked `insecure` that serve HTTPS with a certificate Node does not
 * trust (self-signed, private CA): the same requests over node:https with verification off, which
 * Node's fetch cannot be told without a dispatcher from the undici package. Follows redirects
 * (a 307 to object storage), dropping Authorization on another origin as fetch does. Only the
 * request shapes HttpRemoteRegistry sends are supported: a method, headers and a byte body.
 */
export const unverifiedFetch: typeof fetch = async (input, init = {}) => {
  let url = new URL(input instanceof Request ? input.url : String(input));
  let method = init.method ?? 'GET';
  const headers = new Headers(init.headers);
  let body = init.body as Uint8Array | string | null | undefined;
  for (let hop = 0; hop < 5; hop++) {
    const response = await new Promise<Response>((resolve, reject) => {
      const req = request(url, { method, headers: Object.fromEntries(headers), rejectUnauthorized: false, signal: init.signal ?? undefined }, (res) => {
        const status = res.statusCode ?? 0;
        const stream = status === 204 || status === 304 || method === 'HEAD' ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        if (stream === null) res.resume();
        resolve(new Response(stream, { status, headers: headersOf(res.headers) }));
      });
      req.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
      req.end(body ?? undefined);
    });
    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || !location || init.redirect === 'manual') return response;
    await response.body?.cancel();
    const next = new URL(location, url);
    if (next.origin !== url.origin) headers.delete('authorization');
    if (response.status === 303) {
      method = 'GET';
      body = null;
    }
    url = next;
  }
  throw new TypeError('fetch failed', { cause: new Error('too many redirects') });
};
