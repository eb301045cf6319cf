import { createHash, randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.js';
import { loadConfig } from '../../../functions/config.js';
import { type AwsDeps, createAwsDeps } from '../../../functions/entry/aws-deps.js';
import { type MotoStack, startMotoStack } from '../../support/aws-stack.js';

/**
 * AWS failing in the middle of a push: the registry must never show half of anything. Faults are
 * injected into the real clients, in front of moto: `send` rejects the chosen command as AWS would
 * answer a 500 (the SDK's retries are bypassed, as if they had all been used up).
 */
let stack: MotoStack;
let deps: AwsDeps;
let app: ReturnType<typeof createApp>;
/** Commands to fail: each rule fails at most `times` matching commands, then passes them. */
let rules: {
  match: (command: { constructor: { name: string }; input: Record<string, unknown> }) => boolean;
  times: number;
  /** What AWS answers instead; a 500 InternalError by default. */
  error?: () => Error;
}[] = [];
let injected = 0;

function injectFaults(client: { send: (...args: never[]) => Promise<unknown> }): void {
  const original = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as { send: unknown }).send = (command: { constructor: { name: string }; input: Record<string, unknown> }, ...rest: unknown[]) => {
    const rule = rules.find((candidate) => candidate.times > 0 && candidate.match(command));
    if (rule) {
      rule.times--;
      injected++;
      const error =
        rule.error?.() ??
        Object.assign(new Error(`injected fault in ${command.constructor.name}`), {
          name: 'InternalError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        });
      return Promise.reject(error);
    }
    return original(command, ...rest);
  };
}

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

beforeAll(async () => {
  stack = await startMotoStack();
  deps = createAwsDeps(loadConfig(stack.env));
  injectFaults(deps.clients.s3 as never);
  injectFaults(deps.clients.document as never);
  app = createApp(deps);
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => {
  rules = [];
  injected = 0;
});

async function startUpload(repository: string): Promise<string> {
  const response = await app.request(`/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  expect(response.status).toBe(202);
  return response.headers.get('location')!;
}

async function patch(location: string, bytes: Uint8Array): Promise<Response> {
  return app.request(location, {
    method: 'PATCH',
    body: bytes as Uint8Array<ArrayBuffer>,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
  });
}

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

async function blobStatus(repository: string, digest: string): Promise<number> {
  return (await app.request(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD' })).status;
}

/** A blob pushed whole in one request (POST ?digest=), no faults. */
async function pushBlob(repository: string, bytes: Uint8Array): Promise<string> {
  const digest = sha256(bytes);
  const response = await app.request(`/v2/${repository}/blobs/uploads/?digest=${encodeURIComponent(digest)}`, {
    method: 'POST',
    body: bytes as Uint8Array<ArrayBuffer>,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
  });
  expect(response.status).toBe(201);
  return digest;
}

/** Reads a blob the way a client would: HEAD, then GET following the 307 to S3. */
async function fetchBlob(repository: string, digest: string): Promise<Buffer> {
  const redirect = await app.request(`/v2/${repository}/blobs/${digest}`);
  expect(redirect.status).toBe(307);
  const response = await fetch(redirect.headers.get('location')!);
  return Buffer.from(await response.arrayBuffer());
}

async function openMultipartUploads(): Promise<number> {
  const listed = await deps.clients.s3.send(new ListMultipartUploadsCommand({ Bucket: stack.resources.bucket }));
  return listed.Uploads?.length ?? 0;
}

const isSegmentWrite = (command: { constructor: { name: string }; input: Record<string, unknown> }) =>
  command.constructor.name === 'PutObjectCommand' && String(command.input.Key).startsWith('uploads/');

describe('faults mid-upload', () => {
  it('S3 failing partway through a streamed PATCH: nothing accepted, nothing visible, the retry succeeds', async () => {
    const repository = 'faults/s3-patch';
    const bytes = randomBytes(20 * MiB);
    const digest = sha256(bytes);
    const location = await startUpload(repository);

    let segmentWrites = 0;
    rules = [{ match: (command) => isSegmentWrite(command) && ++segmentWrites === 2, times: 1 }];
    const failed = await patch(location, bytes);
    expect(failed.status).toBe(500);
    const body = (await failed.json()) as { errors: { code: string; detail?: { requestId?: string } }[] };
    expect(body.errors[0]?.detail?.requestId).toMatch(/\S/);
    expect(injected).toBe(1);

    const status = await app.request(location);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-0');
    expect(await blobStatus(repository, digest)).toBe(404);
    expect(await deps.blobs.stat(digest)).toBeNull();

    const retried = await patch(location, bytes);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('range')).toBe(`0-${bytes.length - 1}`);
    const done = await app.request(withDigest(location, digest), { method: 'PUT' });
    expect(done.status).toBe(201);
    expect((await fetchBlob(repository, digest)).equals(bytes)).toBe(true);
  });

  it('DynamoDB failing after the bytes are stored: the session stays where it was, the retry succeeds', async () => {
    const repository = 'faults/ddb-patch';
    const first = randomBytes(3 * MiB);
    const second = randomBytes(9 * MiB);
    const all = Buffer.concat([first, second]);
    const digest = sha256(all);
    const location = await startUpload(repository);
    const afterFirst = await patch(location, first);
    expect(afterFirst.status).toBe(202);
    const next = afterFirst.headers.get('location')!;

    rules = [
      {
        match: (command) =>
          command.constructor.name === 'PutCommand' && String((command.input.Item as { pk?: string })?.pk).startsWith('upload#'),
        times: 1,
      },
    ];
    const failed = await patch(next, second);
    expect(failed.status).toBe(500);
    expect(injected).toBe(1);
    expect((await app.request(next)).headers.get('range')).toBe(`0-${first.length - 1}`);
    expect(await blobStatus(repository, digest)).toBe(404);

    const retried = await patch(next, second);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('range')).toBe(`0-${all.length - 1}`);
    expect((await app.request(withDigest(next, digest), { method: 'PUT' })).status).toBe(201);
    expect((await fetchBlob(repository, digest)).equals(all)).toBe(true);
  });

  it('S3 failing in the commit copy: no blob, no open multipart upload, the retry succeeds', async () => {
    const repository = 'faults/s3-commit';
    const bytes = randomBytes(19 * MiB);
    const digest = sha256(bytes);
    const location = await startUpload(repository);
    expect((await patch(location, bytes)).status).toBe(202);

    let copies = 0;
    rules = [{ match: (command) => command.constructor.name === 'UploadPartCopyCommand' && ++copies === 2, times: 1 }];
    const failed = await app.request(withDigest(location, digest), { method: 'PUT' });
    expect(failed.status).toBe(500);
    expect(injected).toBe(1);
    expect(await blobStatus(repository, digest)).toBe(404);
    expect(await deps.blobs.stat(digest)).toBeNull();
    expect(await openMultipartUploads()).toBe(0);

    const retried = await app.request(withDigest(location, digest), { method: 'PUT' });
    expect(retried.status).toBe(201);
    expect((await fetchBlob(repository, digest)).equals(bytes)).toBe(true);
  });

  it('DynamoDB failing on the final blob record: the blob is not visible, and a new push of it succeeds', async () => {
    const repository = 'faults/ddb-commit';
    const bytes = randomBytes(6 * MiB);
    const digest = sha256(bytes);
    const location = await startUpload(repository);
    expect((await patch(location, bytes)).status).toBe(202);

    rules = [{ match: (command) => command.constructor.name === 'TransactWriteCommand', times: 1 }];
    const failed = await app.request(withDigest(location, digest), { method: 'PUT' });
    expect(failed.status).toBe(500);
    expect(injected).toBe(1);
    expect(await blobStatus(repository, digest)).toBe(404);

    // The client starts the layer over, as docker and skopeo do after a failed PUT.
    const again = await startUpload(repository);
    expect((await patch(again, bytes)).status).toBe(202);
    expect((await app.request(withDigest(again, digest), { method: 'PUT' })).status).toBe(201);
    expect(await blobStatus(repository, digest)).toBe(200);
    expect((await fetchBlob(repository, digest)).equals(bytes)).toBe(true);
  });
});

describe('faults mid-manifest-PUT', () => {
  async function imageManifest(repository: string, annotationBytes = 0): Promise<Buffer> {
    const config = await pushBlob(repository, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' })));
    const layer = await pushBlob(repository, randomBytes(1000));
    return Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 41 },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 1000 }],
        ...(annotationBytes ? { annotations: { padding: 'x'.repeat(annotationBytes) } } : {}),
      }),
    );
  }

  async function putManifest(repository: string, tag: string, body: Buffer): Promise<Response> {
    return app.request(`/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      body: body as Uint8Array<ArrayBuffer>,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
  }

  async function expectNothingVisible(repository: string, tag: string, digest: string): Promise<void> {
    expect((await app.request(`/v2/${repository}/manifests/${tag}`, { method: 'HEAD' })).status).toBe(404);
    expect((await app.request(`/v2/${repository}/manifests/${digest}`, { method: 'HEAD' })).status).toBe(404);
    const tags = await app.request(`/v2/${repository}/tags/list`);
    if (tags.status === 200) expect(((await tags.json()) as { tags: string[] }).tags ?? []).not.toContain(tag);
    else expect(tags.status).toBe(404);
  }

  it('DynamoDB failing on the manifest transaction: no manifest, no tag; the retry succeeds', async () => {
    const repository = 'faults/manifest-ddb';
    const body = await imageManifest(repository);
    const digest = sha256(body);
    rules = [{ match: (command) => command.constructor.name === 'TransactWriteCommand', times: 1 }];
    const failed = await putManifest(repository, 'v1', body);
    expect(failed.status).toBe(500);
    expect(injected).toBe(1);
    await expectNothingVisible(repository, 'v1', digest);

    const retried = await putManifest(repository, 'v1', body);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('docker-content-digest')).toBe(digest);
    const fetched = await app.request(`/v2/${repository}/manifests/v1`);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(body)).toBe(true);
  });

  it('S3 failing while a large manifest is stored: nothing visible; the retry succeeds', async () => {
    const repository = 'faults/manifest-s3';
    const body = await imageManifest(repository, 400 * 1024);
    const digest = sha256(body);
    rules = [{ match: (command) => isSegmentWrite(command) || command.constructor.name === 'CopyObjectCommand', times: 1 }];
    const failed = await putManifest(repository, 'big', body);
    expect(failed.status).toBe(500);
    expect(injected).toBe(1);
    await expectNothingVisible(repository, 'big', digest);

    const retried = await putManifest(repository, 'big', body);
    expect(retried.status).toBe(201);
    const fetched = await app.request(`/v2/${repository}/manifests/big`);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(body)).toBe(true);
  });

  it('DynamoDB failing after a large manifest reached S3: still nothing visible', async () => {
    const repository = 'faults/manifest-large-ddb';
    const body = await imageManifest(repository, 400 * 1024);
    const digest = sha256(body);
    rules = [{ match: (command) => command.constructor.name === 'TransactWriteCommand', times: 1 }];
    expect((await putManifest(repository, 'big', body)).status).toBe(500);
    await expectNothingVisible(repository, 'big', digest);
    expect((await putManifest(repository, 'big', body)).status).toBe(201);
    expect((await app.request(`/v2/${repository}/manifests/${digest}`, { method: 'HEAD' })).status).toBe(200);
  });
});

describe('transaction conflicts', () => {
  const conflict = () =>
    Object.assign(new Error('Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]'), {
      name: 'TransactionCanceledException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }],
    });

  it('a manifest PUT whose transaction meets another one is retried and succeeds', async () => {
    const repository = 'faults/conflict';
    const config = await pushBlob(repository, Buffer.from('{"architecture":"amd64","os":"linux"}'));
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 37 },
        layers: [],
      }),
    );
    rules = [{ match: (command) => command.constructor.name === 'TransactWriteCommand', times: 2, error: conflict }];
    const response = await app.request(`/v2/${repository}/manifests/v1`, {
      method: 'PUT',
      body: body as Uint8Array<ArrayBuffer>,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(response.status).toBe(201);
    expect(injected).toBe(2);
    expect((await app.request(`/v2/${repository}/manifests/v1`, { method: 'HEAD' })).status).toBe(200);
  });

  it('a conflict that does not clear is reported, and nothing is written', async () => {
    const pk = `conflict#${crypto.randomUUID()}`;
    rules = [{ match: (command) => command.constructor.name === 'TransactWriteCommand', times: 10, error: conflict }];
    await expect(deps.table.transact([{ put: { pk, sk: 'a' } }, { put: { pk, sk: 'b' } }])).rejects.toMatchObject({
      name: 'TransactionCanceledException',
    });
    expect(injected).toBe(4);
    expect(await deps.table.query(pk)).toEqual([]);
  });
});

describe('throttling', () => {
  it('S3 SlowDown (503) answers are retried with backoff by the SDK: the upload still completes', async () => {
    const { S3BlobStore } = await import('../../../functions/adapters/aws/s3-blob-store.js');
    const { createAwsClients } = await import('../../../functions/entry/aws-clients.js');
    const { Readable } = await import('node:stream');
    const { s3 } = createAwsClients(loadConfig(stack.env));
    // Every first attempt of each write S3 receives is answered 503 SlowDown, the way S3 sheds
    // load on a hot prefix; the retry strategy's second attempt goes through.
    const attempts = new Map<string, number>();
    let slowDowns = 0;
    s3.middlewareStack.addRelativeTo(
      ((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const request = (args as { request: { method: string; path: string; query?: Record<string, unknown> } }).request;
        if (request.method === 'GET' || request.method === 'HEAD') return next(args);
        const key = `${context.commandName} ${request.path} ${JSON.stringify(request.query ?? {})}`;
        const seen = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, seen);
        if (seen > 1) return next(args);
        slowDowns++;
        const xml = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';
        return {
          response: {
            statusCode: 503,
            reason: 'Slow Down',
            headers: { 'content-type': 'application/xml' },
            body: Readable.from([Buffer.from(xml)]),
          },
          output: undefined,
        };
      }) as never,
      { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'injectSlowDown', override: true } as never,
    );
    const blobs = new S3BlobStore(s3, stack.resources.bucket, { partSize: 5 * MiB });
    const bytes = randomBytes(12 * MiB);
    const digest = sha256(bytes);
    const id = crypto.randomUUID();
    const state = await blobs.appendUpload(id, await blobs.beginUpload(id), (async function* () {
      yield bytes.subarray(0, 7 * MiB);
      yield bytes.subarray(7 * MiB);
    })());
    await blobs.commitUpload(id, state, digest);
    const stored = await blobs.open(digest);
    const chunks: Buffer[] = [];
    for await (const chunk of stored!) chunks.push(Buffer.from(chunk));
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    // Segments, tail, multipart copy (create, 3 part copies, complete), cleanup: all throttled once.
    expect(slowDowns).toBeGreaterThanOrEqual(8);
    s3.destroy();
  });
});
