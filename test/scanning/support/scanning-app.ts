import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableJobQueue } from '../../../functions/adapters/local/table-job-queue.js';
import { createApp } from '../../../functions/app.js';
import { loadConfig } from '../../../functions/config.js';
import { compose } from '../../../functions/entry/compose.js';
import { createLocalDeps, type LocalDeps } from '../../../functions/entry/local-deps.js';
import type { ScanState } from '../../../functions/scanning/scan-store.js';
import { type ScanningCapability, scanningOf } from '../../../functions/scanning/scanning-capability.js';
import { osvDocuments } from '../../../functions/scanning/osv-archive.js';
import type { BuiltImage } from './layers.js';
import { importOsv } from '../../../functions/scanning/vuln-db-import.js';

export const adminPassword = 'Admin-Passw0rd';
export const origin = 'http://registry.test';
export const fixtures = join(import.meta.dirname, '..', 'fixtures');

export const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
export const admin = { authorization: basic('admin', adminPassword) };

/**
 * Berth as `npm start` wires it (compose: identity on, every capability, the embedded queue's
 * worker running), in a temporary directory, with the fixture advisories imported.
 */
export async function scanningApp(env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-scanning-'));
  const deps: LocalDeps = createLocalDeps(dir);
  deps.queue = new TableJobQueue(deps.table, { pollMs: 50, retryDelayMs: 100 });
  const composed = await compose(deps, loadConfig({ BERTH_ADMIN_PASSWORD: adminPassword, ...env }), { notice: () => {} });
  const { worker } = composed;
  let app = composed.app;
  deps.queue.start(worker);
  const scanning: ScanningCapability = scanningOf(deps);
  await importOsv(deps.table, osvDocuments(join(fixtures, 'osv')), 'fixtures');

  const request = async (path: string, init?: RequestInit) => app.request(new URL(path, origin).toString(), init);

  const tokens = new Map<string, string>();
  /** A token for `scope` (cached for the test: every Basic login costs a scrypt hash). */
  async function token(scope: string, login = 'admin', password = adminPassword): Promise<string> {
    const key = `${login}\u0000${password}\u0000${scope}`;
    const cached = tokens.get(key);
    if (cached) return cached;
    const fresh = await issue(scope, login, password);
    tokens.set(key, fresh);
    return fresh;
  }

  async function issue(scope: string, login: string, password: string): Promise<string> {
    const response = await request(`/service/token?service=berth&scope=${encodeURIComponent(scope)}`, { headers: { authorization: basic(login, password) } });
    return ((await response.json()) as { token: string }).token;
  }

  async function createProject(name: string, metadata: Record<string, string> = {}): Promise<void> {
    const response = await request('/api/v2.0/projects', {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ project_name: name, metadata }),
    });
    if (response.status !== 201) throw new Error(`project ${name}: ${response.status} ${await response.text()}`);
  }

  async function setMetadata(project: string, metadata: Record<string, string>): Promise<void> {
    const response = await request(`/api/v2.0/projects/${project}`, { method: 'PUT', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ metadata }) });
    if (response.status !== 200) throw new Error(`metadata ${project}: ${response.status} ${await response.text()}`);
  }

  /** Pushes an image's blobs and manifest through /v2 as admin. */
  async function push(repository: string, tag: string, image: BuiltImage): Promise<string> {
    const bearer = { authorization: `Bearer ${await token(`repository:${repository}:pull,push`)}` };
    for (const [digest, bytes] of image.blobs) {
      const response = await request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        body: new Uint8Array(bytes),
        headers: { ...bearer, 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      });
      if (response.status !== 201) throw new Error(`blob push: ${response.status} ${await response.text()}`);
    }
    const response = await request(`/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      body: new Uint8Array(image.manifest),
      headers: { ...bearer, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    if (response.status !== 201) throw new Error(`manifest push: ${response.status} ${await response.text()}`);
    return image.digest;
  }

  async function pull(repository: string, reference: string): Promise<Response> {
    const bearer = { authorization: `Bearer ${await token(`repository:${repository}:pull`)}` };
    return request(`/v2/${repository}/manifests/${reference}`, { headers: { ...bearer, accept: 'application/vnd.oci.image.manifest.v1+json' } });
  }

  /** Waits until the artifact's scan has finished (Success or Error), or fails the test. */
  async function finished(repository: string, digest: string, after?: string, timeoutMs = 20_000): Promise<ScanState> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const state = await scanning.service.store.state(repository, digest);
      if (state && (state.status === 'Success' || state.status === 'Error') && (after === undefined || state.requestId !== after)) return state;
      if (Date.now() > until) throw new Error(`scan of ${repository}@${digest} did not finish: ${JSON.stringify(state)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  return {
    get app() {
      return app;
    },
    /**
     * The app built again over the same deps: pull gates cache project metadata for seconds, and a
     * new app starts with an empty cache (as another instance of the API would).
     */
    freshApp() {
      app = createApp(deps);
    },
    deps,
    dir,
    worker,
    scanning,
    request,
    token,
    createProject,
    setMetadata,
    push,
    pull,
    finished,
    async cleanup() {
      await deps.queue.stop();
      deps.table.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type ScanningApp = Awaited<ReturnType<typeof scanningApp>>;
