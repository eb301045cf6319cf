import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../functions/app.js';
import type { RegistryConfig } from '../../functions/registry/registry-deps.js';
import { digestOf } from '../../functions/core/digest.js';
import { createLocalDeps, type LocalDeps } from '../../functions/entry/local-deps.js';

export interface LocalRegistry {
  app: ReturnType<typeof createApp>;
  deps: LocalDeps;
  dir: string;
  /** app.request with a path below the registry root. */
  request(path: string, init?: RequestInit): Promise<Response>;
  cleanup(): Promise<void>;
}

/** The embedded default in a temporary directory, served in-process through `app.request`. */
export async function localRegistry(config: Partial<RegistryConfig> = {}): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-test-'));
  const deps = createLocalDeps(dir);
  Object.assign(deps.config, config);
  const app = createApp(deps);
  return {
    app,
    deps,
    dir,
    request: async (path, init) => app.request(path, init),
    cleanup: async () => {
      await deps.queue.stop();
      deps.table.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Status and first OCI error code of an error response. */
export async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  const body = (await response.json()) as { errors: { code: string }[] };
  return { status: response.status, code: body.errors[0]!.code };
}

export function bytesOf(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

/** Pushes a blob monolithically (POST ?digest=) and returns its digest. */
export async function pushBlob(registry: Pick<LocalRegistry, 'request'>, repository: string, content: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = digestOf(content);
  const response = await registry.request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    body: content,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(content.byteLength) },
  });
  if (response.status !== 201) throw new Error(`blob push failed: ${response.status} ${await response.text()}`);
  return digest;
}

/** An OCI image manifest over freshly pushed config and layer blobs. */
export async function pushImage(
  registry: Pick<LocalRegistry, 'request'>,
  repository: string,
  reference: string,
  extra: Record<string, unknown> = {},
): Promise<{ digest: string; body: string; response: Response }> {
  const config = bytesOf(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed: Math.random() }));
  const layer = bytesOf(`layer ${Math.random()}`);
  const configDigest = await pushBlob(registry, repository, config);
  const layerDigest = await pushBlob(registry, repository, layer);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.byteLength },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.byteLength }],
    ...extra,
  };
  const body = JSON.stringify(manifest);
  const response = await registry.request(`/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  return { digest: digestOf(bytesOf(body)), body, response };
}
