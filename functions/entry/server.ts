import { serve } from '@hono/node-server';
import { resolve } from 'node:path';
import type { AppDeps } from '../app-env.js';
import type { JobHandler } from '../ports/job-queue.js';
import { compose } from './compose.js';
import { sweepLocalStorage } from './janitor.js';
import { createLocalDeps } from './local-deps.js';
import { answerClientErrors } from './client-errors.js';
import { nodePeerAddress } from './peer-address.js';

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
const log = (fields: Record<string, unknown>) => console.log(JSON.stringify(fields));

/** How often the scheduler looks for due schedules. */
const tickMs = 30_000;

function every(ms: number, task: () => Promise<unknown>): void {
  const run = () =>
    void task().catch((error: unknown) => {
      console.error(JSON.stringify({ level: 'error', message: 'periodic task failed', error: String(error) }));
    });
  const timer = setInterval(run, ms);
  timer.unref();
  cleanups.push(() => clearInterval(timer));
}

async function startLocal(): Promise<{ deps: AppDeps; start(worker: JobHandler): void }> {
  const dataDir = resolve(process.env.BERTH_DATA_DIR ?? 'data');
  const deps = createLocalDeps(dataDir);
  log({ level: 'info', message: 'embedded storage', dataDir });
  return {
    deps,
    start(worker) {
      deps.queue.start(worker);
      const sweep = () => sweepLocalStorage(deps.table, deps.blobs);
      void sweep().catch(() => {});
      every(60 * 60 * 1000, sweep);
      cleanups.push(() => deps.queue.stop(), () => deps.table.close());
    },
  };
}

async function startAws(): Promise<{ deps: AppDeps; start(worker: JobHandler): void }> {
  const [{ createAwsDeps }, { sweepOutbox }] = await Promise.all([import('./aws-deps.js'), import('../adapters/aws/outbox.js')]);
  const deps = createAwsDeps(process.env);
  return {
    deps,
    start() {
      // No stream relay runs beside this process: it relays its own outbox to SQS.
      every(2_000, () => sweepOutbox(deps.table, (job) => deps.queue.enqueue(job), 0));
    },
  };
}

const backend = process.env.BERTH_BACKEND === 'aws' ? await startAws() : await startLocal();
backend.deps.peerAddress = nodePeerAddress;
const { app, worker } = await compose(backend.deps, process.env);
backend.start(worker);
every(tickMs, () => worker({ version: 1, kind: 'schedule-tick', id: `tick-${Date.now()}` }));
const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  log({ level: 'info', message: 'berth listening', address: `${hostname}:${info.port}`, backend: process.env.BERTH_BACKEND ?? 'local', auth: Boolean(backend.deps.identity) });
});
answerClientErrors(server);

async function shutdown(): Promise<void> {
  server.close();
  for (const cleanup of cleanups) await cleanup();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
