import { serve, type ServerType } from '@hono/node-server';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalDeps, type LocalDeps } from '../../../functions/entry/local-deps.js';
import type { JobHandler } from '../../../functions/ports/job-queue.js';
import { loadConfig } from '../../../functions/config.js';
import { compose } from '../../../functions/entry/compose.js';
import { replicatorFor } from '../../../functions/replication/replicators.js';
import type { Replicator, ReplicationOptions } from '../../../functions/replication/replicator.js';
import type { ReplicationTopology } from '../../../functions/replication/topology.js';

export const adminPassword = 'Admin-Passw0rd';
export const testKey = Buffer.alloc(32, 7).toString('base64');

export interface TestBerth {
  url: string;
  host: string;
  deps: LocalDeps;
  replicator: Replicator;
  /** The composed worker (every capability's jobs and event consumers). */
  worker: JobHandler;
  /** Runs the scheduler once (what the Node server does every 30 s). */
  tick(): Promise<void>;
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
 * With `worker`, its queue runs the composed worker (replication included), as `npm start` does.
 */
export async function startTestBerth(options: { auth?: boolean; worker?: boolean; replication?: Partial<ReplicationOptions>; topology?: ReplicationTopology; tls?: { key: Buffer; cert: Buffer } } = {}): Promise<TestBerth> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-repl-'));
  const deps = createLocalDeps(dir);
  deps.config.replicationKey = testKey;
  if (options.topology) deps.config.replicationTopology = options.topology;
  const { app, worker } = await compose(deps, loadConfig(options.auth ? { BERTH_ADMIN_PASSWORD: adminPassword } : {}), { notice: () => undefined });
  const replicator = replicatorFor(deps, { retry: { attempts: 2, baseDelayMs: 10 }, ...options.replication });
  if (options.worker) deps.queue.start(worker);
  let port = 0;
  let server: ServerType;
  const listen = () =>
    new Promise<void>((resolve) => {
      const tls = options.tls ? { createServer: createHttpsServer, serverOptions: options.tls } : {};
      server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1', ...tls }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  await listen();
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const tick = () => worker({ version: 1, kind: 'schedule-tick', id: `tick-${Date.now()}` });
  const admin: Record<string, string> = options.auth ? { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` } : {};
  return {
    url,
    host: `127.0.0.1:${port}`,
    deps,
    replicator,
    admin,
    worker,
    tick,
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
