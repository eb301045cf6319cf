import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HttpRemoteRegistry } from '../../functions/adapters/http/http-remote-registry.js';
import { digestOf } from '../../functions/core/digest.js';
import { RemoteRegistryError } from '../../functions/ports/remote-registry.js';
import { copyArtifact, type CopyContext } from '../../functions/replication/copy-artifact.js';
import { adminPassword, startTestBerth, type TestBerth } from './support/berth.js';
import { localOf, once, pushCosignSignature, pushImage, pushIndex, pushReferrer } from './support/images.js';

let source: TestBerth;
let destination: TestBerth;

beforeAll(async () => {
  [source, destination] = await Promise.all([startTestBerth(), startTestBerth({ auth: true })]);
  const created = await destination.api('/projects', { method: 'POST', body: JSON.stringify({ project_name: 'mirror', public: false }) });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await Promise.all([source?.stop(), destination?.stop()]);
});

function context(overrides: Partial<CopyContext> = {}): CopyContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    source: localOf(source.deps),
    destination: new HttpRemoteRegistry({ url: destination.url, credential: { username: 'admin', password: adminPassword } }),
    override: true,
    retry: { attempts: 2, baseDelayMs: 5 },
    concurrency: 3,
    log: (line) => lines.push(line),
    checkStopped: async () => undefined,
    mountHints: new Map(),
    lines,
    ...overrides,
  };
}

describe('copy engine, Berth → Berth with token auth at the destination', () => {
  test('an index travels with every child, byte for byte, and its referrers and cosign signature follow', async () => {
    const local = localOf(source.deps);
    const { index, children } = await pushIndex(local, 'apps/web', 'v1');
    const sbom = await pushReferrer(local, 'apps/web', index);
    const signature = await pushCosignSignature(local, 'apps/web', index);
    const ctx = context();
    expect(await copyArtifact(ctx, { repository: 'apps/web', reference: 'v1' }, { repository: 'mirror/web', tag: 'v1' })).toBe('copied');

    const remote = ctx.destination;
    const copied = await remote.getManifest('mirror/web', 'v1');
    expect(copied?.digest).toBe(index.digest);
    expect(Buffer.from(copied!.bytes).equals(Buffer.from(index.bytes))).toBe(true);
    for (const child of children) expect((await remote.headManifest('mirror/web', child.digest))?.digest).toBe(child.digest);
    expect((await remote.referrers('mirror/web', index.digest))?.map((r) => r.digest)).toEqual([sbom.digest]);
    expect((await remote.getManifest('mirror/web', `${index.digest.replace(':', '-')}.sig`))?.digest).toBe(signature.digest);

    // A second run finds everything in place and writes nothing.
    const again = context();
    expect(await copyArtifact(again, { repository: 'apps/web', reference: 'v1' }, { repository: 'mirror/web', tag: 'v1' })).toBe('up-to-date');
  });

  test('override off leaves a destination tag that names other content', async () => {
    const local = localOf(source.deps);
    await pushImage(local, 'apps/api', 'stable');
    const other = await pushImage(ctxDestination(), 'mirror/api', 'stable');
    const ctx = context({ override: false });
    expect(await copyArtifact(ctx, { repository: 'apps/api', reference: 'stable' }, { repository: 'mirror/api', tag: 'stable' })).toBe('skipped');
    expect((await ctxDestination().headManifest('mirror/api', 'stable'))?.digest).toBe(other.digest);
    expect(ctx.lines.join('\n')).toMatch(/override is off/);
    expect(await copyArtifact(context(), { repository: 'apps/api', reference: 'stable' }, { repository: 'mirror/api', tag: 'stable' })).toBe('copied');
  });

  test('a blob the destination holds in another repository is mounted, not uploaded again', async () => {
    const local = localOf(source.deps);
    const image = await pushImage(local, 'apps/shared', 'v1', { layerBytes: 4096 });
    const hints = new Map<string, string>();
    await copyArtifact(context({ mountHints: hints }), { repository: 'apps/shared', reference: 'v1' }, { repository: 'mirror/shared-a', tag: 'v1' });
    const uploads: string[] = [];
    const counting = new HttpRemoteRegistry({
      url: destination.url,
      credential: { username: 'admin', password: adminPassword },
      fetch: async (input, init) => {
        const url = String(input);
        if (init?.method === 'POST' && url.includes('/blobs/uploads/')) uploads.push(new URL(url).search.includes('mount=') ? 'mount' : 'upload');
        return fetch(input, init);
      },
    });
    await copyArtifact(context({ destination: counting, mountHints: hints }), { repository: 'apps/shared', reference: 'v1' }, { repository: 'mirror/shared-b', tag: 'v1' });
    expect(uploads).toEqual(['mount', 'mount']);
    expect((await ctxDestination().headManifest('mirror/shared-b', 'v1'))?.digest).toBe(image.digest);
  });

  test('a server-side copy that cannot be made falls back to streaming, and the task log says so', async () => {
    const local = localOf(source.deps);
    const image = await pushImage(local, 'apps/big', 'v1', { layers: 1, layerBytes: 2 * 1024 * 1024 });
    const layer = (JSON.parse(Buffer.from(image.bytes).toString()) as { layers: { digest: string; size: number }[] }).layers[0]!;
    const asked: string[] = [];
    const ctx = context({
      serverSideCopy: async (_repository, digest) => {
        asked.push(digest);
        return false;
      },
    });
    expect(await copyArtifact(ctx, { repository: 'apps/big', reference: 'v1' }, { repository: 'mirror/big', tag: 'v1' })).toBe('copied');
    // Only the layer is worth a server-side copy (1 MiB and up); the small config is uploaded.
    expect(asked).toEqual([layer.digest]);
    expect(ctx.lines).toContain(`blob ${layer.digest} (${layer.size} bytes) could not be copied server-side (refused by S3 or by the destination); streaming it`);
    expect((await ctx.destination.headManifest('mirror/big', 'v1'))?.digest).toBe(image.digest);
    expect(await ctx.destination.hasBlob('mirror/big', layer.digest)).toBe(true);
  });

  test('wrong credentials fail with a 401 that says so, and nothing is written', async () => {
    const local = localOf(source.deps);
    await pushImage(local, 'apps/denied', 'v1');
    const ctx = context({ destination: new HttpRemoteRegistry({ url: destination.url, credential: { username: 'admin', password: 'wrong' } }) });
    await expect(copyArtifact(ctx, { repository: 'apps/denied', reference: 'v1' }, { repository: 'mirror/denied', tag: 'v1' })).rejects.toThrow(/401/);
    expect(await ctxDestination().tags('mirror/denied')).toEqual([]);
  });

  test('a source whose blob bytes do not match the digest fails the copy, and the destination keeps nothing', async () => {
    const local = localOf(source.deps);
    const image = await pushImage(local, 'apps/corrupt', 'v1');
    const layer = (JSON.parse(Buffer.from(image.bytes).toString()) as { layers: { digest: string; size: number }[] }).layers[0]!;
    const lying = Object.create(local) as typeof local;
    lying.getBlob = async (repository, digest) => (digest === layer.digest ? { size: layer.size, body: once(Buffer.alloc(layer.size, 1)) } : local.getBlob(repository, digest));
    const ctx = context({ source: lying });
    await expect(copyArtifact(ctx, { repository: 'apps/corrupt', reference: 'v1' }, { repository: 'mirror/corrupt', tag: 'v1' })).rejects.toBeInstanceOf(RemoteRegistryError);
    expect(await ctxDestination().hasBlob('mirror/corrupt', layer.digest)).toBe(false);
    expect(await ctxDestination().headManifest('mirror/corrupt', image.digest)).toBeNull();
    expect(digestOf(Buffer.alloc(layer.size, 1))).not.toBe(layer.digest);
  });
});

describe('a destination serving HTTPS with a self-signed certificate', () => {
  test('is refused as such, and copied to when marked insecure, layers streamed over TLS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const tls = await startTestBerth({ auth: true, tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) } });
    try {
      const image = await pushImage(localOf(source.deps), 'apps/tls', 'v1', { layerBytes: 2 * 1024 * 1024 });
      const credential = { username: 'admin', password: adminPassword };
      const verified = context({ destination: new HttpRemoteRegistry({ url: tls.url, credential }) });
      await expect(copyArtifact(verified, { repository: 'apps/tls', reference: 'v1' }, { repository: 'apps/tls', tag: 'v1' })).rejects.toThrow(/TLS handshake .* failed/);
      const insecure = new HttpRemoteRegistry({ url: tls.url, credential, insecure: true });
      expect(await copyArtifact(context({ destination: insecure }), { repository: 'apps/tls', reference: 'v1' }, { repository: 'apps/tls', tag: 'v1' })).toBe('copied');
      expect((await insecure.getManifest('apps/tls', 'v1'))?.digest).toBe(image.digest);
    } finally {
      await tls.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function ctxDestination(): HttpRemoteRegistry {
  return new HttpRemoteRegistry({ url: destination.url, credential: { username: 'admin', password: adminPassword } });
}
