import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../functions/config.js';
import { compose } from '../../functions/entry/compose.js';
import { type LocalDeps, createLocalDeps } from '../../functions/entry/local-deps.js';
import type { Identity } from '../../functions/identity/identity.js';
import type { JobHandler } from '../../functions/ports/job-queue.js';
import { adminPassword, basic } from '../support/identity-app.js';
import { pushImage } from '../support/local-app.js';

export const admin = basic('admin', adminPassword);

/** A clock tests move by hand. */
export function manualClock(start = '2026-01-10T12:00:00.000Z') {
  let now = Date.parse(start);
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

/**
 * The embedded default with identity on, wired by the real composition root (every capability,
 * the worker's dispatch consuming the queue), in a temporary directory. Tests of the audit log,
 * webhooks, retention and pull statistics run against it through `app.request`.
 */
export async function lifecycleApp(options: { env?: Record<string, string>; now?: () => Date } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-lifecycle-'));
  const deps: LocalDeps = createLocalDeps(dir);
  if (options.now) deps.now = options.now;
  const { app, worker } = await compose(deps, loadConfig({ BERTH_ADMIN_PASSWORD: adminPassword, BERTH_PULL_FLUSH_SECONDS: '3600', ...options.env }), { notice: () => {} });
  deps.queue.start(worker);
  const identity = deps.identity as Identity;
  const send = (path: string, init: RequestInit, authorization: string | null) =>
    app.request(`http://berth.test${path}`, { ...init, headers: { ...(authorization ? { authorization } : {}), ...(init.headers as Record<string, string>) } });
  // Registry requests carry a token, fetched once per caller and repository as clients do: Basic
  // credentials would cost a password hash check on every request.
  const tokens = new Map<string, string>();
  const request = async (path: string, init: RequestInit = {}, auth: string | null = admin) => {
    const repository = /^\/v2\/(.+?)\/(?:manifests|blobs|tags|referrers)\//.exec(path)?.[1];
    if (!auth || !repository) return send(path, init, auth);
    const key = `${auth} ${repository}`;
    if (!tokens.has(key)) {
      const response = await send(`/service/token?service=berth&scope=repository:${repository}:pull,push,delete`, {}, auth);
      if (response.status !== 200) throw new Error(`no token: ${response.status} ${await response.text()}`);
      tokens.set(key, ((await response.json()) as { token: string }).token);
    }
    return send(path, init, `Bearer ${tokens.get(key)}`);
  };
  const json = async (path: string, method: string, body: unknown, auth: string | null = admin) =>
    request(path, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }, auth);
  /**
   * Runs every job due (and the jobs they enqueue) until none is left, including one the queue's
   * own consumer had in hand (stopping the consumer waits for it).
   */
  async function drain(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      await deps.queue.drain();
      await deps.queue.stop();
      deps.queue.start(worker);
      const heads = [...(await deps.table.query('queue#jobs', { limit: 1 })), ...(await deps.table.query('queue#jobs-long', { limit: 1 }))];
      if (!heads.some((row) => Number(row.sk.slice(0, 15)) <= Date.now())) return;
    }
    throw new Error('the queue did not drain');
  }
  return {
    app,
    deps,
    identity,
    worker: worker as JobHandler,
    request,
    json,
    /** Pushes a small image as `auth` (admin by default). */
    push: (repository: string, reference: string, auth: string = admin) => pushImage({ request: (path, init) => request(path, init, auth) }, repository, reference),
    drain,
    /** Writes the pull counts held in memory, then runs the events that makes. */
    flushPulls: async () => {
      await deps.pulls!.flush();
      await drain();
    },
    cleanup: async () => {
      await deps.queue.stop();
      deps.table.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type LifecycleApp = Awaited<ReturnType<typeof lifecycleApp>>;
