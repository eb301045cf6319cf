import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStage, startAwsStage } from '../support/aws-stage.js';
import { type MotoStack, startMotoStack } from '../support/aws-stack.js';
import { buildOciImage, type OciImage, sha256File } from '../support/oci-image.js';

const run = promisify(execFile);
const MB = 1000 * 1000;

/**
 * skopeo against Berth as deployed on AWS, emulated on this machine: the API as Lambda receives
 * it (API Gateway v2 events, base64 bodies, the 6 MB / 10 MB limits), the upload service on
 * Node, and S3, DynamoDB and SQS on moto. Blobs come back through the 307 to a presigned S3 URL.
 */
let stack: MotoStack;
let full: AwsStage;
let lambdaOnly: AwsStage;
let work: string;
let big: OciImage;
let small: OciImage;
const timings: Record<string, number> = {};

async function skopeo(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('skopeo', ['--command-timeout', '300s', ...args], { maxBuffer: 16 * 1024 * 1024 });
}

async function timed<T>(label: string, action: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await action();
  } finally {
    timings[label] = Math.round(performance.now() - started);
  }
}

/** Pulls `reference` into a fresh OCI layout and returns the manifest it holds. */
async function pull(reference: string, label: string): Promise<{ dir: string; manifest: { layers: { digest: string }[] } }> {
  const dir = await mkdtemp(join(work, 'pulled-'));
  await timed(label, () => skopeo('copy', '--src-tls-verify=false', `docker://${reference}`, `oci:${dir}:pulled`));
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  const manifestDigest: string = index.manifests[0].digest;
  const manifest = JSON.parse(await readFile(join(dir, 'blobs', 'sha256', manifestDigest.slice(7)), 'utf8'));
  return { dir, manifest };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-e2e-aws-'));
  stack = await startMotoStack();
  [full, lambdaOnly, big, small] = await Promise.all([
    startAwsStage(stack.env, { uploadService: true }),
    startAwsStage(stack.env, { uploadService: false }),
    buildOciImage(join(work, 'big'), 200 * MB),
    buildOciImage(join(work, 'small'), 4 * MB),
  ]);
}, 180_000);

afterAll(async () => {
  console.log(JSON.stringify({ e2eTimingsMs: timings }));
  await full?.close();
  await lambdaOnly?.close();
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('skopeo on an AWS stage with an upload service', () => {
  it('pushes a 200 MB layer through the upload service and pulls it back through S3', async () => {
    const reference = `${full.host}/e2e/big:v1`;
    await timed('push 200 MB (skopeo, upload service)', () =>
      skopeo('copy', '--dest-tls-verify=false', `oci:${big.dir}:${big.tag}`, `docker://${reference}`),
    );
    // Only small requests reached the function: the layer went to the upload service.
    expect(full.gateway.stats.refused).toEqual([]);

    const blobUrl = `${full.url}/v2/e2e/big/blobs/${big.layer.digest}`;
    const head = await fetch(blobUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(big.layer.size));
    const redirect = await fetch(blobUrl, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toContain(stack.moto.endpoint);
    expect(redirect.headers.get('location')).toContain('X-Amz-Signature=');

    const pulled = await pull(reference, 'pull 200 MB (skopeo, 307 to S3)');
    expect(pulled.manifest.layers[0]?.digest).toBe(big.layer.digest);
    const layerFile = join(pulled.dir, 'blobs', 'sha256', big.layer.digest.slice(7));
    expect(await sha256File(layerFile)).toBe(big.layer.digest);
  }, 600_000);
});

describe('skopeo on a Lambda-only stage (no upload service)', () => {
  it('a 4 MB layer fits the Lambda request limit and round-trips', async () => {
    const reference = `${lambdaOnly.host}/e2e/small:v1`;
    await timed('push 4 MB (skopeo, Lambda only)', () =>
      skopeo('copy', '--dest-tls-verify=false', `oci:${small.dir}:${small.tag}`, `docker://${reference}`),
    );
    const pulled = await pull(reference, 'pull 4 MB (skopeo, Lambda only)');
    expect(pulled.manifest.layers[0]?.digest).toBe(small.layer.digest);
    expect(await sha256File(join(pulled.dir, 'blobs', 'sha256', small.layer.digest.slice(7)))).toBe(small.layer.digest);
  }, 300_000);

  it('a 200 MB layer is refused, and nothing of it becomes visible', async () => {
    const reference = `${lambdaOnly.host}/e2e/too-big:v1`;
    const failure = await skopeo('copy', '--dest-tls-verify=false', `oci:${big.dir}:${big.tag}`, `docker://${reference}`).then(
      () => null,
      (error: { stderr?: string }) => error.stderr ?? String(error),
    );
    expect(failure).not.toBeNull();
    console.log(JSON.stringify({ lambdaOnlyPushError: failure?.trim().split('\n').at(-1) }));
    // The gateway refused the body before the function ran, as API Gateway does.
    expect(lambdaOnly.gateway.stats.refused.some((refusal) => refusal.status === 413)).toBe(true);
    expect(failure).toMatch(/413|Request Entity Too Large/i);
    const head = await fetch(`${lambdaOnly.url}/v2/e2e/too-big/blobs/${big.layer.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(404);
  }, 300_000);

  it('a 12 MB blob sent in 3 MB Content-Range chunks goes through, each chunk under the limit', async () => {
    const { createHash, randomBytes } = await import('node:crypto');
    const bytes = randomBytes(12 * MB);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const start = await fetch(`${lambdaOnly.url}/v2/e2e/chunked/blobs/uploads/`, { method: 'POST' });
    let location = new URL(start.headers.get('location')!, lambdaOnly.url);
    const chunk = 3 * MB;
    for (let offset = 0; offset < bytes.length; offset += chunk) {
      const part = bytes.subarray(offset, offset + chunk);
      const response = await fetch(location, {
        method: 'PATCH',
        body: part,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + part.length - 1}`,
        },
      });
      expect(response.status).toBe(202);
      expect(response.headers.get('range')).toBe(`0-${offset + part.length - 1}`);
      location = new URL(response.headers.get('location')!, lambdaOnly.url);
    }
    location.searchParams.set('digest', digest);
    expect((await fetch(location, { method: 'PUT' })).status).toBe(201);
    const redirect = await fetch(`${lambdaOnly.url}/v2/e2e/chunked/blobs/${digest}`, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    const body = Buffer.from(await (await fetch(redirect.headers.get('location')!)).arrayBuffer());
    expect(body.equals(bytes)).toBe(true);
  }, 120_000);

  it('a body the function receives but cannot take gets the OCI error naming the limit', async () => {
    const start = await fetch(`${lambdaOnly.url}/v2/e2e/limit/blobs/uploads/`, { method: 'POST' });
    expect(start.status).toBe(202);
    const location = new URL(start.headers.get('location')!, lambdaOnly.url);
    // 4.7 MB: its base64 event still fits 6 MB, so it reaches the function, over the app's limit.
    const response = await fetch(location, {
      method: 'PATCH',
      body: new Uint8Array(4_700_000),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]?.code).toBe('SIZE_INVALID');
    expect(body.errors[0]?.message).toMatch(/limit of \d+ bytes/);
    expect(body.errors[0]?.message).toMatch(/upload service/);
  }, 60_000);
});
