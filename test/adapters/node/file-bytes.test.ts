import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { type Server, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FileBytes } from '../../../functions/adapters/node/file-bytes.js';

const MiB = 1024 * 1024;
let dir: string;
let file: string;
let content: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-file-bytes-'));
  file = join(dir, 'blob');
  // Several chunks and a part of one, so buffers are reused and the last read is short.
  content = randomBytes(5 * MiB + 12_345);
  await writeFile(file, content);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A writable that takes each chunk's bytes only when it calls back, `delayMs` later, with a high-water mark that never asks for a drain. */
function lateCopier(delayMs: number): Writable & { received(): Promise<Buffer> } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 64 * MiB,
    write(chunk: Buffer, _encoding, callback) {
      setTimeout(() => {
        chunks.push(Buffer.from(chunk));
        callback();
      }, delayMs);
    },
  });
  const finished = new Promise<void>((resolve) => sink.on('finish', resolve));
  return Object.assign(sink, { received: async () => (await finished, Buffer.concat(chunks)) });
}

async function serveOnce(handler: (res: import('node:http').ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => handler(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('FileBytes', () => {
  test('iterates the whole file, or a range of it', async () => {
    const whole: Buffer[] = [];
    for await (const chunk of new FileBytes(await open(file, 'r'))) whole.push(Buffer.from(chunk));
    expect(sha(Buffer.concat(whole))).toBe(sha(content));
    const part: Buffer[] = [];
    for await (const chunk of new FileBytes(await open(file, 'r'), MiB - 10, 3 * MiB + 9)) part.push(Buffer.from(chunk));
    expect(Buffer.concat(part).equals(content.subarray(MiB - 10, 3 * MiB + 10))).toBe(true);
  });

  test('writes the whole file and a range byte for byte, never reusing a buffer before its write is done', async () => {
    const whole = lateCopier(5);
    await new FileBytes(await open(file, 'r')).writeTo(whole);
    expect(sha(await whole.received())).toBe(sha(content));
    const part = lateCopier(5);
    await new FileBytes(await open(file, 'r'), 100, 4 * MiB + 99).writeTo(part);
    expect((await part.received()).equals(content.subarray(100, 4 * MiB + 100))).toBe(true);
  });

  test('over a real socket to a slow reader', async () => {
    const { server, url } = await serveOnce((res) => {
      res.writeHead(200, { 'content-length': String(content.length) });
      void (async () => new FileBytes(await open(file, 'r')).writeTo(res))();
    });
    try {
      const body = await new Promise<Buffer>((resolve, reject) => {
        get(url, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            res.pause();
            setTimeout(() => res.resume(), 1);
          });
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        }).on('error', reject);
      });
      expect(sha(body)).toBe(sha(content));
    } finally {
      server.close();
    }
  });

  test('a file shorter than its range ends the response with an error, and the file is closed', async () => {
    const short = join(dir, 'short');
    await writeFile(short, content.subarray(0, 2 * MiB));
    const handle = await open(short, 'r');
    const out = lateCopier(0);
    const errors: Error[] = [];
    out.on('error', (error) => errors.push(error));
    await new FileBytes(handle, 0, 3 * MiB - 1).writeTo(out);
    expect(out.destroyed).toBe(true);
    expect(errors[0]?.message).toMatch(/ended at byte 2097152/);
    expect(handle.fd).toBe(-1);
    await truncate(short, 0);
  });

  test('a client that goes away stops the reading and the file is closed', async () => {
    // 64 MiB (sparse): far more than the sockets between client and server can hold.
    const large = join(dir, 'large');
    await writeFile(large, '');
    await truncate(large, 64 * MiB);
    const handle = await open(large, 'r');
    let reads = 0;
    const read = handle.read.bind(handle);
    handle.read = ((...args: Parameters<typeof read>) => {
      reads++;
      return read(...args);
    }) as typeof handle.read;
    let done!: Promise<void>;
    const { server, url } = await serveOnce((res) => {
      res.writeHead(200, { 'content-length': String(64 * MiB) });
      done = new FileBytes(handle).writeTo(res);
    });
    try {
      await new Promise<void>((resolve) => {
        const request = get(url, (res) => {
          res.once('data', () => {
            request.destroy();
            resolve();
          });
        });
        request.on('error', () => {});
      });
      await done;
      expect(handle.fd).toBe(-1);
      expect(reads).toBeLessThan(32);
    } finally {
      server.close();
    }
  });

  test('is read once', async () => {
    const bytes = new FileBytes(await open(file, 'r'));
    await bytes.writeTo(lateCopier(0));
    await expect(bytes.writeTo(lateCopier(0))).rejects.toThrow(/read once/);
  });
});
