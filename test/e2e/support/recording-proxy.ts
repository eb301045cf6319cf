/**
 * An HTTP proxy put between a client and a registry that records every request (method, path,
 * status, bytes each way). It lets a test see what a real client did on the wire, e.g. that a
 * push was satisfied by a cross-repository mount and sent no layer bytes, whichever registry
 * implementation is behind it.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  status: number;
  /** Body bytes the client sent. */
  requestBytes: number;
  /** Body bytes the registry answered with. */
  responseBytes: number;
}

export interface RecordingProxy {
  /** `127.0.0.1:PORT` to give the client instead of the registry's host. */
  readonly host: string;
  readonly url: string;
  /** Completed requests, in the order they finished. */
  readonly requests: RecordedRequest[];
  stop(): Promise<void>;
}

export async function startRecordingProxy(targetUrl: string): Promise<RecordingProxy> {
  const target = new URL(targetUrl);
  const agent = new Agent({ keepAlive: true });
  const requests: RecordedRequest[] = [];
  let proxyUrl = '';

  const server = createServer((incoming, outgoing) => {
    const record: RecordedRequest = {
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      status: 0,
      requestBytes: 0,
      responseBytes: 0,
    };
    incoming.on('data', (chunk: Buffer) => (record.requestBytes += chunk.length));
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
        agent,
      },
      (answer: IncomingMessage) => {
        record.status = answer.statusCode ?? 0;
        const headers = { ...answer.headers };
        // Absolute upload locations must keep the client talking through the proxy.
        if (typeof headers.location === 'string' && headers.location.startsWith(target.origin)) {
          headers.location = proxyUrl + headers.location.slice(target.origin.length);
        }
        outgoing.writeHead(record.status, answer.statusMessage, headers);
        answer.on('data', (chunk: Buffer) => (record.responseBytes += chunk.length));
        answer.pipe(outgoing);
        answer.on('end', () => requests.push(record));
      },
    );
    upstream.on('error', (error) => {
      record.status = 502;
      requests.push(record);
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end(String(error));
    });
    incoming.pipe(upstream);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  proxyUrl = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    url: proxyUrl,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
