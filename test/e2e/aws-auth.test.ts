import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStage, startAwsStage } from '../support/aws-stage.js';
import { type MotoStack, startMotoStack } from '../support/aws-stack.js';
import { buildOciImage, type OciImage } from '../support/oci-image.js';
import { type Dockerd, startDockerd } from './support/dockerd.js';

const run = promisify(execFile);

/**
 * An AWS stage with auth on: the Lambda API demands a token, the upload service takes the signed
 * `_t` in its Location instead (docker sends no Authorization to another host).
 */
let stack: MotoStack;
let stage: AwsStage;
let work: string;
let image: OciImage;
let dockerd: Dockerd;
const password = 'e2e-Admin-password-1';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-e2e-aws-auth-'));
  stack = await startMotoStack();
  [stage, image, dockerd] = await Promise.all([
    startAwsStage(stack.env, { uploadService: true, adminPassword: password }),
    buildOciImage(join(work, 'image'), 20 * 1000 * 1000),
    startDockerd(),
  ]);
}, 300_000);

afterAll(async () => {
  await stage?.close();
  await dockerd?.stop();
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

describe('auth on an AWS stage', () => {
  it('refuses an anonymous push, and the upload service refuses a forged token', async () => {
    const anonymous = await fetch(`${stage.url}/v2/e2e/private/blobs/uploads/`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain(`${stage.url}/service/token`);
    const forged = await fetch(`${stage.uploadServiceUrl}/v2/e2e/private/blobs/uploads/${crypto.randomUUID()}?_t=forged`, {
      method: 'PATCH',
      body: 'x',
    });
    expect(forged.status).toBe(401);
  });

  it('skopeo with credentials pushes a 20 MB layer through the upload service and pulls it back', async () => {
    const reference = `${stage.host}/e2e/private:v1`;
    await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', `admin:${password}`, `oci:${image.dir}:${image.tag}`, `docker://${reference}`]);
    const pulled = join(work, 'skopeo-pulled');
    await run('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', `admin:${password}`, `docker://${reference}`, `oci:${pulled}:v1`]);
    const index = JSON.parse(await readFile(join(pulled, 'index.json'), 'utf8'));
    expect(index.manifests[0].digest).toBe(image.manifestDigest);
    expect(stage.gateway.stats.refused).toEqual([]);
  }, 300_000);

  it('docker logs in, pushes through the upload service with the token in the Location, and pulls', async () => {
    const docker = (...args: string[]) => dockerd.docker(args, { timeoutMs: 120_000 });
    const archive = join(work, 'image.tar');
    await run('skopeo', ['copy', `oci:${image.dir}:${image.tag}`, `docker-archive:${archive}:e2e/auth:v1`]);
    await docker('load', '-i', archive);
    const remote = `${stage.host}/e2e/docker-private:v1`;
    await docker('tag', 'e2e/auth:v1', remote);
    await dockerd.docker(['login', '-u', 'admin', '--password-stdin', stage.host], { input: password });
    const pushed = await docker('push', remote);
    expect(pushed.stdout).toMatch(/digest: sha256:[a-f0-9]{64}/);
    await docker('rmi', remote, 'e2e/auth:v1');
    await docker('pull', remote);
  }, 300_000);
});
