import { serve, type ServerType } from '@hono/node-server';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../../functions/app.js';
import { createLocalDeps, type LocalDeps } from '../../../functions/entry/local-deps.js';
import { identityFromEnv } from '../../../functions/identity/from-env.js';
import { replicatorFor } from '../../../functions/replication/replicators.js';
import type { Replicator, ReplicationOptions } from '../../../functions/replication/replicator.js';

export const adminPassword = 'Admin-Passw0rd';
export const testKey = Buffer.alloc(32, 7).toString('base64');

export interface TestBerth {
  url: string;
  host: string;
  deps: LocalDeps;
  replicator: Replicator;
  /** `Authorization` for the admin, when auth is on. */
  admin: Record<string, string>;
  api(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
  /** Stops the HTTP listener only (the data stays): the destination "goes down". */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
}

/**
 * An embedded Berth (SQLite + files in a temp dir) served by @hono/node-server on a free
 * loopback port, in this process: a real HTTP peer for replication, cheap enough for unit tests.
 * Its queue is not started; tests drive the replicator's jobs themselves or start the queue.
 */
export async function startTestBerth(options: { auth?: boolean; worker?: boolean; replication?: Partial<ReplicationOptions> } = {}): Promise<TestBerth> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-repl-'));
  const deps = createLocalDeps(dir);
  deps.config.replicationKey = testKey;
  if (options.auth) {
    const identity = await identityFromEnv(deps.table, { BERTH_ADMIN_PASSWORD: adminPassword }, () => undefined);
    if (identity) deps.identity = identity;
  }
  const app = createApp(deps);
  let port = 0;
  let server: ServerType;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  await listen();
  const url = `http://127.0.0.1:${port}`;
  const replicator = replicatorFor(deps, { retry: { attempts: 2, baseDelayMs: 10 }, ...options.replication });
  if (options.worker) {
    deps.queue.start(async (job) => {
      if (job.kind === 'replication-execution' || job.kind === 'replication-task') await replicator.handle(job);
      else if (job.kind === 'registry-event') await replicator.onEvent(job);
    });
  }
  const admin: Record<string, string> = options.auth ? { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` } : {};
  return {
    url,
    host: `127.0.0.1:${port}`,
    deps,
    replicator,
    admin,
    api: async (path, init = {}) => app.request(`${url}/api/v2.0${path}`, { ...init, headers: { ...admin, 'content-type': 'application/json', ...init.headers } }),
    async stop() {
      await close().catch(() => undefined);
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await deps.queue.stop();
      deps.table.close();
      await rm(dir, { recursive: true, force: true });
    },
    pause: async () => {
      const closing = close();
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closing;
    },
    resume: listen,
  };
}
