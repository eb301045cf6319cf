import { createHash, randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaGateway, startLambdaGateway } from '../support/lambda-gateway.js';

/** The gateway stand-in itself: the events it builds and the limits it enforces, as AWS does. */
let gateway: LambdaGateway;
let lastEvent: APIGatewayProxyEventV2 | undefined;

beforeAll(async () => {
  gateway = await startLambdaGateway(async (event) => {
    lastEvent = event;
    const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
    if (event.rawPath === '/big-answer') {
      return { statusCode: 200, isBase64Encoded: true, body: randomBytes(5 * 1024 * 1024).toString('base64') };
    }
    if (event.rawPath === '/throw') throw new Error('boom');
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream', 'x-sha256': createHash('sha256').update(body).digest('hex') },
      isBase64Encoded: true,
      body: body.toString('base64'),
    };
  });
});
afterAll(async () => {
  await gateway?.close();
});

describe('lambda gateway', () => {
  it('hands a binary body over base64-encoded and returns the answer byte for byte', async () => {
    const body = randomBytes(100_000);
    const response = await fetch(`${gateway.url}/echo?digest=sha256%3Aab&digest=x`, { method: 'PUT', body });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
    expect(lastEvent?.isBase64Encoded).toBe(true);
    expect(lastEvent?.rawQueryString).toBe('digest=sha256%3Aab&digest=x');
    expect(lastEvent?.queryStringParameters?.digest).toBe('sha256:ab,x');
    expect(lastEvent?.requestContext.http.method).toBe('PUT');
    expect(lastEvent?.headers['content-length']).toBe('100000');
  });

  it('takes a 4 MB body: its event stays under 6 MB', async () => {
    const response = await fetch(`${gateway.url}/echo`, { method: 'PATCH', body: randomBytes(4 * 1000 * 1000) });
    expect(response.status).toBe(200);
  });

  it('refuses a body whose event exceeds 6 MB with the integration failure, without invoking', async () => {
    const before = gateway.stats.invocations;
    const response = await fetch(`${gateway.url}/echo`, { method: 'PATCH', body: randomBytes(5 * 1000 * 1000) });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    expect(gateway.stats.invocations).toBe(before);
  });

  it('refuses a body over 10 MB with the gateway 413, chunked or not', async () => {
    const before = gateway.stats.invocations;
    const sized = await fetch(`${gateway.url}/echo`, { method: 'PATCH', body: randomBytes(11 * 1024 * 1024) });
    expect(sized.status).toBe(413);
    expect(await sized.json()).toEqual({ message: 'Request Entity Too Large' });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 11; i++) controller.enqueue(randomBytes(1024 * 1024));
        controller.close();
      },
    });
    const chunked = await fetch(`${gateway.url}/echo`, { method: 'PATCH', body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(gateway.stats.invocations).toBe(before);
  });

  it('answers 500 when the function result exceeds 6 MB or the function throws', async () => {
    expect((await fetch(`${gateway.url}/big-answer`)).status).toBe(500);
    expect((await fetch(`${gateway.url}/throw`)).status).toBe(500);
  });
});
