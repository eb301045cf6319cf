import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MotoStack, startMotoStack } from '../support/aws-stack.js';
import { freePort } from '../support/moto.js';
import { buildOciImage } from '../support/oci-image.js';

const run = promisify(execFile);

/** `BERTH_BACKEND=aws npm start`: the Node server on S3, DynamoDB and SQS (moto), used by skopeo. */
let stack: MotoStack;
let server: ChildProcess;
let url: string;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-e2e-aws-node-'));
  stack = await startMotoStack();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, ['--import', 'tsx', 'functions/entry/server.ts'], {
    env: { ...process.env, ...stack.env, BERTH_BACKEND: 'aws', PORT: String(port), HOST: '127.0.0.1', BERTH_DATA_DIR: work },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    if (await fetch(`${url}/v2/`).then((response) => response.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error('server did not start');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

it('pushes and pulls an image, its bytes in S3 and its records in DynamoDB', async () => {
  const image = await buildOciImage(join(work, 'image'), 3 * 1000 * 1000);
  const reference = `${url.replace('http://', '')}/e2e/node-aws:v1`;
  await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${image.dir}:${image.tag}`, `docker://${reference}`]);
  const pulled = join(work, 'pulled');
  await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${reference}`, `oci:${pulled}:v1`]);
  const index = JSON.parse(await readFile(join(pulled, 'index.json'), 'utf8'));
  expect(index.manifests[0].digest).toBe(image.manifestDigest);

  // The blob went to S3: the server hands out a presigned URL to the moto endpoint.
  const redirect = await fetch(`${url}/v2/e2e/node-aws/blobs/${image.layer.digest}`, { redirect: 'manual' });
  expect(redirect.status).toBe(307);
  expect(redirect.headers.get('location')).toContain(stack.moto.endpoint);
}, 300_000);

it('runs the worker in the same process: the events of the push are relayed from the outbox, consumed from SQS and handled', async () => {
  const handled = async () => {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    return Number(/berth_jobs_total\{kind="registry-event",outcome="ok"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  };
  const deadline = Date.now() + 60_000;
  while ((await handled()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await handled()).toBeGreaterThan(0);
  const health = (await (await fetch(`${url}/api/v2.0/health`)).json()) as { status: string };
  expect(health.status).toBe('healthy');
}, 120_000);
