import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { answerClientErrors } from '../../functions/entry/client-errors.js';
import { type LocalRegistry, localRegistry } from '../support/local-app.js';

/**
 * Bodies that do not match their Content-Length, sent over a raw socket to the Node server: the
 * client gets the registry's error body and API-version header (not Node's bare 400), and the
 * upload keeps exactly what it had acknowledged.
 */
let registry: LocalRegistry;
let server: ServerType;
let port: number;

beforeAll(async () => {
  registry = await localRegistry();
  server = serve({ fetch: registry.app.fetch, port: 0, hostname: '127.0.0.1' });
  answerClientErrors(server);
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await registry.cleanup();
});

let location: string;
let id: string;

beforeEach(async () => {
  const opened = await fetch(`http://127.0.0.1:${port}/v2/team/app/blobs/uploads/`, { method: 'POST' });
  expect(opened.status).toBe(202);
  location = opened.headers.get('location')!;
  id = opened.headers.get('docker-upload-uuid')!;
});

/** Sends `head` and `body` on a fresh connection; resolves with everything the server said. */
function exchange(head: string, body: Buffer, then: 'half-close' | 'wait' | 'reset'): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      socket.write(body, () => {
        if (then === 'half-close') socket.end();
        if (then === 'reset') setTimeout(() => socket.resetAndDestroy(), 50);
      });
    });
    socket.on('data', (data) => (answer += data.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => undefined);
    setTimeout(() => socket.destroy(), 5000);
  });
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parse(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

async function sizeOnServer(): Promise<{ range: string | null; file: number }> {
  const status = await fetch(`http://127.0.0.1:${port}${location}`);
  expect(status.status).toBe(204);
  return { range: status.headers.get('range'), file: (await stat(join(registry.dir, 'uploads', id))).size };
}

describe('a body shorter than its Content-Length', () => {
  test('answers SIZE_INVALID with an OCI body and the API version, and keeps nothing of it', async () => {
    const raw = await exchange(`PATCH ${location} HTTP/1.1\r\nHost: registry\r\nContent-Length: 100000\r\n\r\n`, Buffer.alloc(40_000, 7), 'half-close');
    const [response, ...more] = parse(raw);
    expect(more).toEqual([]);
    expect(response!.status).toBe(400);
    expect(response!.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(JSON.parse(response!.body).errors[0].code).toBe('SIZE_INVALID');
    await expect.poll(sizeOnServer).toEqual({ range: '0-0', file: 0 });
    // The session is free and whole: the client's retry goes through.
    const retry = await fetch(`http://127.0.0.1:${port}${location}`, { method: 'PATCH', body: Buffer.alloc(10, 1) });
    expect(retry.status, await retry.clone().text()).toBe(202);
  });

  test('a connection dropped mid-body leaves the upload at its acknowledged size', async () => {
    expect((await fetch(`http://127.0.0.1:${port}${location}`, { method: 'PATCH', body: Buffer.alloc(1000, 1) })).status).toBe(202);
    await exchange(`PATCH ${location} HTTP/1.1\r\nHost: registry\r\nContent-Length: 4000000\r\n\r\n`, Buffer.alloc(1_500_000, 2), 'reset');
    await expect.poll(sizeOnServer).toEqual({ range: '0-999', file: 1000 });
  });
});

describe('a body longer than its Content-Length', () => {
  test('the request is answered for its declared length, and the extra bytes get SIZE_INVALID with an OCI body', async () => {
    const raw = await exchange(`PATCH ${location} HTTP/1.1\r\nHost: registry\r\nContent-Length: 10\r\n\r\n`, Buffer.alloc(25, 65), 'wait');
    const [accepted, refused, ...more] = parse(raw);
    expect(more).toEqual([]);
    expect(accepted!.status).toBe(202);
    expect(accepted!.headers.range).toBe('0-9');
    expect(refused!.status).toBe(400);
    expect(refused!.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(JSON.parse(refused!.body).errors[0].code).toBe('SIZE_INVALID');
    expect(await sizeOnServer()).toEqual({ range: '0-9', file: 10 });
  });
});
