import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StreamedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The first bytes of the answer's body, for error messages. */
  text: string;
}

/**
 * Sends a streamed request body with node:http(s). Node's fetch can stream a body too, but
 * measured on loopback it moves a 200 MiB layer about three times slower than piping into a
 * ClientRequest, and a layer copy is the whole cost of replicating an image.
 */
export async function streamUpload(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: AsyncIterable<Uint8Array>,
  options: { verifyTls?: boolean } = {},
): Promise<StreamedResponse> {
  return new Promise<StreamedResponse>((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < 2000) text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, { method, headers, rejectUnauthorized: options.verifyTls ?? true }, onResponse)
        : httpRequest(url, { method, headers }, onResponse);
    req.on('error', reject);
    pipeline(Readable.from(body, { objectMode: false }), req).catch(reject);
  });
}
