import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppDeps } from '../../functions/app-env.js';
import { digestOf } from '../../functions/core/digest.js';
import { loadConfig } from '../../functions/config.js';
import { compose } from '../../functions/entry/compose.js';
import { createLocalDeps } from '../../functions/entry/local-deps.js';
import { bytesOf, pushBlob } from '../support/local-app.js';

type Requester = { request(path: string, init?: RequestInit): Promise<Response> };

/**
 * The embedded default wired as `npm start` wires it (entry/compose.ts: every capability, this
 * one's included), served in-process. `env` turns identity on (BERTH_ADMIN_PASSWORD).
 */
export async function composedRegistry(env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-lifecycle-'));
  const deps = createLocalDeps(dir);
  const { app, worker } = await compose(deps, loadConfig(env), { notice: () => {} });
  return {
    app,
    deps: deps as AppDeps & typeof deps,
    worker,
    dir,
    request: async (path: string, init?: RequestInit) => app.request(`http://registry.test${path}`, init),
    cleanup: async () => {
      await deps.queue.stop();
      deps.table.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type ComposedRegistry = Awaited<ReturnType<typeof composedRegistry>>;

/** An image of the given layer contents (plus a fresh config), pushed by `reference`. */
export async function pushLayers(
  registry: Requester,
  repository: string,
  reference: string,
  layers: Uint8Array<ArrayBuffer>[],
  headers: Record<string, string> = {},
): Promise<{ status: number; digest: string; blobs: { digest: string; bytes: Uint8Array }[]; body: string }> {
  const config = bytesOf(JSON.stringify({ architecture: 'arm64', os: 'linux', created: '2026-01-02T03:04:05Z', author: 'tests', rootfs: { type: 'layers', diff_ids: [] }, seed: Math.random() }));
  const blobs = [{ digest: digestOf(config), bytes: config }, ...layers.map((bytes) => ({ digest: digestOf(bytes), bytes }))];
  for (const blob of blobs) await pushBlobWith(registry, repository, blob.bytes as Uint8Array<ArrayBuffer>, headers);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: blobs[0]!.digest, size: config.byteLength },
    layers: blobs.slice(1).map((blob) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: blob.digest, size: blob.bytes.byteLength })),
  };
  const body = JSON.stringify(manifest);
  const response = await registry.request(`/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body,
    headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  await response.arrayBuffer();
  return { status: response.status, digest: digestOf(bytesOf(body)), blobs, body };
}

export async function pushBlobWith(registry: Requester, repository: string, content: Uint8Array<ArrayBuffer>, headers: Record<string, string>): Promise<void> {
  if (Object.keys(headers).length === 0) {
    await pushBlob(registry, repository, content);
    return;
  }
  const digest = digestOf(content);
  const response = await registry.request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    body: content,
    headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(content.byteLength) },
  });
  if (response.status !== 201) throw new Error(`blob push failed: ${response.status} ${await response.text()}`);
}

export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  crypto.getRandomValues(bytes);
  return bytes;
}
