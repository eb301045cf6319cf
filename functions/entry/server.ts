import { serve } from '@hono/node-server';
import { resolve } from 'node:path';
import { createApp } from '../app.js';
import type { AppDeps } from '../app-env.js';
import { identityFromEnv } from '../identity/from-env.js';
import { BlobLinks } from '../registry/blob-links.js';
import { jobHandlers } from '../worker/handlers.js';
import { sweepLocalStorage } from './janitor.js';
import { createLocalDeps } from './local-deps.js';

/**
 * `npm start`: the whole registry on one machine. PORT (default 5000), HOST (default all
 * interfaces), BERTH_DATA_DIR (default ./data). With BERTH_BACKEND=aws the same server runs on
 * S3, DynamoDB and SQS instead (see aws-deps.ts for its variables; jobs go to SQS for the
 * worker function). Auth is on with BERTH_AUTH=on or BERTH_ADMIN_PASSWORD (identityFromEnv);
 * else the registry is open.
 */
const port = Number(process.env.PORT ?? 5000);
const hostname = process.env.HOST ?? '0.0.0.0';
const cleanups: (() => Promise<void> | void)[] = [];

async function localDeps(): Promise<AppDeps> {
  const dataDir = resolve(process.env.BERTH_DATA_DIR ?? 'data');
  const deps = createLocalDeps(dataDir);
  const links = new BlobLinks(deps.table);
  deps.queue.start(
    jobHandlers({
      table: deps.table,
      blobs: deps.blobs,
      blobInUse: async (digest) => (await links.repositoriesHolding(digest, 1)).length > 0,
    }),
  );
  const sweep = () =>
    sweepLocalStorage(deps.table, deps.blobs).catch((error: unknown) => {
      console.error(JSON.stringify({ level: 'error', message: 'storage sweep failed', error: String(error) }));
    });
  void sweep();
  const sweeper = setInterval(() => void sweep(), 60 * 60 * 1000);
  sweeper.unref();
  cleanups.push(() => deps.queue.stop(), () => deps.table.close());
  console.log(JSON.stringify({ level: 'info', message: 'embedded storage', dataDir }));
  return deps;
}

async function awsDeps(): Promise<AppDeps> {
  const { createAwsDeps } = await import('./aws-deps.js');
  return createAwsDeps(process.env);
}

const deps = process.env.BERTH_BACKEND === 'aws' ? await awsDeps() : await localDeps();
const identity = await identityFromEnv(deps.table, process.env);
if (identity) deps.identity = identity;
const server = serve({ fetch: createApp(deps).fetch, port, hostname }, (info) => {
  console.log(JSON.stringify({ level: 'info', message: 'berth listening', address: `${hostname}:${info.port}`, backend: process.env.BERTH_BACKEND ?? 'local', auth: Boolean(identity) }));
});

async function shutdown(): Promise<void> {
  server.close();
  for (const cleanup of cleanups) await cleanup();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
