import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/**
 * Limits of an API Gateway HTTP API in front of a Lambda function, as AWS enforces them:
 *
 * - Request body over 10 MB (10,485,760 bytes): the gateway refuses it before any integration
 *   runs and answers `413 {"message":"Request Entity Too Large"}`.
 * - Invocation event over 6,291,456 bytes (the JSON event, binary bodies base64-encoded inside):
 *   Lambda refuses the invocation (RequestEntityTooLargeException), the function never runs, and
 *   the HTTP API answers its integration failure, `500 {"message":"Internal Server Error"}`.
 * - Function result over 6,291,556 bytes: the runtime cannot post it, and the client again gets
 *   `500 {"message":"Internal Server Error"}`. So does a function that throws.
 *
 * (A REST API answers 502 where the HTTP API answers 500; Berth deploys an HTTP API.)
 */
export const gatewayLimits = {
  maxBodyBytes: 10 * 1024 * 1024,
  maxEventBytes: 6_291_456,
  maxResultBytes: 6_291_556,
} as const;

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface LambdaGateway {
  url: string;
  /** Invocations the function actually received, and requests the gateway refused. */
  stats: { invocations: number; refused: { status: number; reason: string }[] };
  close(): Promise<void>;
}

function lambdaContext(): Context {
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'berth-api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:berth-api',
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/berth-api',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The payload format 2.0 event API Gateway builds from one HTTP request. */
export function toEventV2(request: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://gateway');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index]!.toLowerCase();
    const value = request.rawHeaders[index + 1]!;
    if (name === 'cookie') {
      cookies.push(...value.split(/;\s*/));
      continue;
    }
    // The HTTP API joins repeated headers with commas and drops hop-by-hop transfer framing.
    if (name === 'transfer-encoding' || name === 'connection') continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  if (body.length > 0) headers['content-length'] = String(body.length);
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const now = new Date();
  const host = headers.host ?? 'localhost';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    // Registry bodies are binary: the HTTP API hands them over base64-encoded.
    ...(body.length > 0 ? { body: body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0,
  };
}

function refuse(response: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ message });
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** Reads a request body, counting but no longer keeping bytes past `keepAtMost`. */
async function readBody(request: IncomingMessage, keepAtMost: number): Promise<{ body: Buffer; size: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= keepAtMost) chunks.push(chunk);
  }
  return { body: size <= keepAtMost ? Buffer.concat(chunks, size) : Buffer.alloc(0), size };
}

/**
 * A local stand-in for API Gateway (HTTP API, payload 2.0) in front of `handler`: every real
 * HTTP request becomes the event AWS would build, under AWS's size limits, and the function's
 * result becomes the HTTP response. The handler runs in this process, as one warm instance.
 */
export async function startLambdaGateway(handler: LambdaHandler, options: { port?: number } = {}): Promise<LambdaGateway> {
  const stats: LambdaGateway['stats'] = { invocations: 0, refused: [] };
  const server: Server = createServer((request, response) => {
    void (async () => {
      // The gateway buffers the whole request before it calls anything.
      const { body, size } = await readBody(request, gatewayLimits.maxBodyBytes);
      if (size > gatewayLimits.maxBodyBytes) {
        stats.refused.push({ status: 413, reason: `body of ${size} bytes over the 10 MB gateway limit` });
        return refuse(response, 413, 'Request Entity Too Large');
      }
      const event = toEventV2(request, body);
      const eventBytes = Buffer.byteLength(JSON.stringify(event));
      if (eventBytes > gatewayLimits.maxEventBytes) {
        stats.refused.push({ status: 500, reason: `event of ${eventBytes} bytes over the 6 MB invocation limit` });
        return refuse(response, 500, 'Internal Server Error');
      }
      stats.invocations++;
      let result: APIGatewayProxyStructuredResultV2;
      try {
        result = (await handler(JSON.parse(JSON.stringify(event)), lambdaContext())) as APIGatewayProxyStructuredResultV2;
      } catch (error) {
        stats.refused.push({ status: 500, reason: `function error: ${String(error)}` });
        return refuse(response, 500, 'Internal Server Error');
      }
      const resultBytes = Buffer.byteLength(JSON.stringify(result));
      if (resultBytes > gatewayLimits.maxResultBytes) {
        stats.refused.push({ status: 500, reason: `result of ${resultBytes} bytes over the 6 MB response limit` });
        return refuse(response, 500, 'Internal Server Error');
      }
      const payload = result.body
        ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8')
        : Buffer.alloc(0);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
      if (result.cookies?.length) headers['set-cookie'] = result.cookies;
      // The gateway frames the response itself; a HEAD answer keeps the function's Content-Length.
      if (request.method !== 'HEAD') headers['content-length'] = String(payload.length);
      delete headers['transfer-encoding'];
      response.writeHead(result.statusCode ?? 200, headers);
      response.end(request.method === 'HEAD' ? undefined : payload);
    })().catch((error: unknown) => {
      if (!response.headersSent) refuse(response, 500, 'Internal Server Error');
      else response.destroy(error as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
