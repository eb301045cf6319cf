import { serve } from '@hono/node-server';
import { resolve } from 'node:path';
import { createApp } from '../app.js';
import { BlobLinks } from '../registry/blob-links.js';
import { jobHandlers } from '../worker/handlers.js';
import { sweepLocalStorage } from './janitor.js';
import { createLocalDeps } from './local-deps.js';
import { identityFromEnv } from '../identity/from-env.js';

/**
 * `npm start`: the whole registry on one machine. PORT (default 5000), HOST (default all
 * interfaces), BERTH_DATA_DIR (default ./data).
 */
const port = Number(process.env.PORT ?? 5000);
const hostname = process.env.HOST ?? '0.0.0.0';
const dataDir = resolve(process.env.BERTH_DATA_DIR ?? 'data');

const deps = createLocalDeps(dataDir);
// Auth is on with BERTH_AUTH=on or BERTH_ADMIN_PASSWORD (see identityFromEnv); else the registry is open.
const identity = await identityFromEnv(deps.table, process.env);
if (identity) deps.identity = identity;
const app = createApp(deps);
const links = new BlobLinks(deps.table);
deps.queue.start(
  jobHandlers({
    table: deps.table,
    blobs: deps.blobs,
    blobInUse: async (digest) => (await links.repositoriesHolding(digest, 1)).length > 0,
  }),
);
const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(JSON.stringify({ level: 'info', message: 'berth listening', address: `${hostname}:${info.port}`, dataDir }));
});

const sweep = () =>
  sweepLocalStorage(deps.table, deps.blobs).catch((error: unknown) => {
    console.error(JSON.stringify({ level: 'error', message: 'storage sweep failed', error: String(error) }));
  });
void sweep();
const sweeper = setInterval(() => void sweep(), 60 * 60 * 1000);
sweeper.unref();

async function shutdown(): Promise<void> {
  server.close();
  await deps.queue.stop();
  deps.table.close();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
