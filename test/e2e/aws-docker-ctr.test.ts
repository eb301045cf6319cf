import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStage, startAwsStage } from '../support/aws-stage.js';
import { type MotoStack, startMotoStack } from '../support/aws-stack.js';
import { buildOciImage, type OciImage } from '../support/oci-image.js';
import { type Containerd, startContainerd } from './support/containerd.js';
import { type Dockerd, startDockerd } from './support/dockerd.js';

const run = promisify(execFile);
const MB = 1000 * 1000;

/**
 * docker (classic store: one chunked PATCH) and containerd's ctr (one PUT with the whole layer,
 * `&digest=` appended to the upload service's Location) against the emulated AWS stage: the API
 * as Lambda receives it, the upload service on Node, S3/DynamoDB/SQS on moto.
 */
let stack: MotoStack;
let stage: AwsStage;
let work: string;
let image: OciImage;
let archive: string;
let dockerd: Dockerd;
let containerd: Containerd;
const timings: Record<string, number> = {};

async function timed<T>(label: string, action: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await action();
  } finally {
    timings[label] = Math.round(performance.now() - started);
  }
}

const exec = (command: string, args: string[]) => run(command, args, { maxBuffer: 64 * 1024 * 1024 });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-e2e-daemons-'));
  stack = await startMotoStack();
  [stage, image, dockerd, containerd] = await Promise.all([
    startAwsStage(stack.env, { uploadService: true }),
    buildOciImage(join(work, 'image'), 200 * MB),
    startDockerd(),
    startContainerd(),
  ]);
  archive = join(work, 'image.tar');
  await exec('skopeo', ['copy', `oci:${image.dir}:${image.tag}`, `docker-archive:${archive}:e2e/app:v1`]);
}, 300_000);

afterAll(async () => {
  console.log(JSON.stringify({ e2eTimingsMs: timings }));
  await stage?.close();
  await dockerd?.stop();
  await containerd?.stop();
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

describe('docker (classic store)', () => {
  it('pushes a 200 MB layer through the upload service and pulls it back through S3', async () => {
    const docker = (...args: string[]) => dockerd.docker(args);
    const remote = `${stage.host}/e2e/docker:v1`;
    await docker('load', '-i', archive);
    await docker('tag', 'e2e/app:v1', remote);
    const pushed = await timed('push 200 MB (docker)', () => docker('push', remote));
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed.stdout)?.[1];
    expect(digest).toBeDefined();
    expect(stage.gateway.stats.refused).toEqual([]);

    await docker('rmi', remote, 'e2e/app:v1');
    const before = stage.gateway.stats.invocations;
    const pulled = await timed('pull 200 MB (docker, 307 to S3)', () => docker('pull', remote));
    expect(pulled.stdout).toContain(digest!);
    expect(stage.gateway.stats.invocations).toBeGreaterThan(before);
    // docker verified every digest on the way in; the layer it holds is the image's layer.
    const { stdout } = await docker('image', 'inspect', '--format', '{{json .RootFS.Layers}}', remote);
    const config = JSON.parse(
      (await exec('skopeo', ['inspect', '--config', '--raw', `oci:${image.dir}:${image.tag}`])).stdout,
    ) as { rootfs: { diff_ids: string[] } };
    expect(JSON.parse(stdout)).toEqual(config.rootfs.diff_ids);
  }, 600_000);
});

describe('containerd (ctr)', () => {
  it('pushes a 200 MB layer in one PUT to the upload service and pulls it back', async () => {
    const ctr = (...args: string[]) => containerd.ctr('berth', args);
    const remote = `${stage.host}/e2e/ctr:v1`;
    await ctr('images', 'import', '--all-platforms', '--no-unpack', archive);
    await ctr('images', 'tag', 'docker.io/e2e/app:v1', remote);
    const local = (await ctr('images', 'ls')).stdout;
    const manifestDigest = new RegExp(`${remote.replace(/[.]/g, '\\.')}\\s+\\S+\\s+(sha256:[a-f0-9]{64})`).exec(local)?.[1];
    expect(manifestDigest).toBeDefined();
    await timed('push 200 MB (ctr)', () => ctr('images', 'push', '--plain-http', remote));
    expect(stage.gateway.stats.refused).toEqual([]);

    const head = await fetch(`${stage.url}/v2/e2e/ctr/manifests/v1`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(manifestDigest);

    await ctr('images', 'rm', '--sync', remote, 'docker.io/e2e/app:v1');
    await timed('pull 200 MB (ctr, 307 to S3)', () => ctr('images', 'pull', '--plain-http', remote));
    const pulled = (await ctr('images', 'ls')).stdout;
    expect(pulled).toContain(manifestDigest!);
  }, 600_000);
});
