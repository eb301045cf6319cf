import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../../functions/app.js';
import { workerCapabilitiesOf } from '../../../functions/entry/compose.js';
import { createLocalDeps, type LocalDeps } from '../../../functions/entry/local-deps.js';
import { Identity, bootstrapIdentity } from '../../../functions/identity/identity.js';
import { dispatch } from '../../../functions/worker/dispatch.js';
import { adminPassword, basic } from '../../support/identity-app.js';

export const admin = basic('admin', adminPassword);
const origin = 'http://berth.test';

/**
 * The embedded default with identity on, wired as `npm start` wires it (every capability, the
 * worker's dispatch on the local queue): the whole content-trust path, in process.
 */
export async function trustApp() {
  const dir = await mkdtemp(join(tmpdir(), 'berth-trust-'));
  const deps: LocalDeps = createLocalDeps(dir);
  const identity = new Identity(deps.table, { service: 'berth' });
  await bootstrapIdentity(identity, adminPassword);
  deps.identity = identity;
  const capabilities = workerCapabilitiesOf(deps);
  deps.capabilities = capabilities;
  const app = createApp(deps);
  const worker = dispatch(capabilities, deps.table);
  deps.queue.start(worker);
  const request = (path: string, init?: RequestInit) => app.request(new URL(path, origin).toString(), init);

  // Basic logins cost a scrypt hash each (by design): one token per repository is plenty.
  const tokens = new Map<string, Record<string, string>>();

  /** A bearer token for the repository (the token service, with Basic credentials). */
  async function tokenFor(repository: string, actions = 'pull,push,delete', auth = admin): Promise<Record<string, string>> {
    const cached = tokens.get(`${repository} ${actions} ${auth}`);
    if (cached) return cached;
    const query = new URLSearchParams({ service: 'berth', scope: `repository:${repository}:${actions}` });
    const response = await request(`/service/token?${query}`, { headers: { authorization: auth } });
    if (response.status !== 200) throw new Error(`token: ${response.status}`);
    const header = { authorization: `Bearer ${((await response.json()) as { token: string }).token}` };
    tokens.set(`${repository} ${actions} ${auth}`, header);
    return header;
  }

  /** `/v2` with a token for the repository in the path. */
  async function v2(path: string, init: RequestInit = {}): Promise<Response> {
    const repository = /^\/v2\/(.+?)\/(manifests|blobs|referrers|tags)\//.exec(path)?.[1];
    const headers = { ...(repository ? await tokenFor(repository) : {}), ...(init.headers as Record<string, string> | undefined) };
    return request(path, { ...init, headers });
  }

  async function api(method: string, path: string, body?: unknown, auth: string | null = admin) {
    const response = await request(`/api/v2.0${path}`, {
      method,
      headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  }

  return {
    deps,
    identity,
    capabilities,
    request,
    v2,
    api,
    tokenFor,
    /**
     * Runs every queued job (events, re-verification) now, and waits out the consumer running in
     * the background too: a job it holds can enqueue more (a cascade of deletes), so settled means
     * the queue stayed empty across two looks.
     */
    settle: async () => {
      const pending = async () => (await deps.table.query('queue#jobs', { limit: 1 })).length + (await deps.table.query('queue#jobs-long', { limit: 1 })).length;
      const deadline = Date.now() + 15_000;
      let quiet = 0;
      while (quiet < 2 && Date.now() < deadline) {
        await deps.queue.drain();
        await new Promise((resolve) => setTimeout(resolve, 25));
        quiet = (await pending()) === 0 ? quiet + 1 : 0;
      }
    },
    cleanup: async () => {
      await deps.queue.stop();
      deps.table.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type TrustApp = Awaited<ReturnType<typeof trustApp>>;
