import { resolve } from 'node:path';
import { nodeStreams } from '../adapters/node/node-streams.js';
import type { AppDeps } from '../app-env.js';
import { type Config, loadConfig } from '../config.js';
import { prepareDataDir, lockDataDir } from '../ops/data-dir.js';
import { listen } from '../ops/http-server.js';
import { configureLogging, logger } from '../ops/logger.js';
import { countedJobs } from '../ops/metrics.js';
import { PrometheusMetrics } from '../ops/prometheus-metrics.js';
import { StartupError, exitOnStartupError } from '../ops/startup-error.js';
import type { JobHandler } from '../ports/job-queue.js';
import { replicationKeyFor } from '../replication/local-key.js';
import { compose } from './compose.js';
import { answerClientErrors } from './client-errors.js';
import { nodePeerAddress } from './peer-address.js';

/**
 * `npm start`: the whole registry in one process. The embedded default keeps everything under
 * BERTH_DATA_DIR (locked to this process); with BERTH_BACKEND=aws the same server runs on S3,
 * DynamoDB and SQS and consumes its own job queues. Every setting comes from config.ts; anything
 * wrong stops the process with one line on stderr and a non-zero exit. SIGTERM or SIGINT drain
 * requests in flight (BERTH_SHUTDOWN_TIMEOUT) and exit 0.
 */

/** How often the scheduler looks for due schedules. */
const tickMs = 30_000;

interface Backend {
  deps: AppDeps;
  /** Starts the backend's background work with the composed dispatch; returns its stops. */
  start(worker: JobHandler): (() => Promise<void> | void)[];
  describe: string;
}

async function localBackend(config: Config): Promise<Backend> {
  const { createLocalDeps } = await import('./local-deps.js');
  const { sweepLocalStorage } = await import('./janitor.js');
  const dataDir = resolve(config.BERTH_DATA_DIR ?? 'data');
  prepareDataDir(dataDir);
  const release = lockDataDir(dataDir);
  const deps = createLocalDeps(dataDir);
  deps.config.replicationKey = replicationKeyFor(dataDir, config.BERTH_REPLICATION_KEY);
  return {
    deps,
    describe: `data in ${dataDir}`,
    start(worker) {
      deps.queue.start(worker);
      const sweep = every(60 * 60 * 1000, () => sweepLocalStorage(deps.table, deps.blobs), true);
      return [sweep, () => deps.queue.stop(), () => deps.table.close(), release];
    },
  };
}

async function awsBackend(config: Config): Promise<Backend> {
  const [{ createAwsDeps }, { sweepOutbox }, { checkAwsResources }, { pollQueue }, { sqsBatchHandler }] = await Promise.all([
    import('./aws-deps.js'),
    import('../adapters/aws/outbox.js'),
    import('../adapters/aws/preflight.js'),
    import('../adapters/aws/sqs-poller.js'),
    import('../worker/sqs-batch.js'),
  ]);
  const deps = createAwsDeps(config);
  const queueUrls = [config.BERTH_QUEUE_URL!, config.BERTH_LONG_QUEUE_URL ?? config.BERTH_QUEUE_URL!];
  const problems = await checkAwsResources(deps.clients, { bucket: config.BERTH_BUCKET!, table: config.BERTH_TABLE!, queueUrls });
  if (problems.length > 0) throw new StartupError(problems.join('; '));
  return {
    deps,
    describe: `bucket ${config.BERTH_BUCKET}, table ${config.BERTH_TABLE}`,
    start(worker) {
      // No stream relay runs beside this process: it relays its own outbox to SQS, and consumes
      // both queues with the worker Lambda's batch handling.
      const sweep = every(2_000, () => sweepOutbox(deps.table, (job) => deps.queue.enqueue(job), 0));
      const batch = sqsBatchHandler(worker, logger);
      const pollers = [...new Set(queueUrls)].map((url) => pollQueue(deps.clients.sqs, url, batch, (error) => logger.error('queue poll failed', { queueUrl: url, error: error as Error })));
      return [sweep, ...pollers.map((poller) => () => poller.stop())];
    },
  };
}

/** Runs `task` every `ms` (and at once with `now`), logging failures; returns the stop. */
function every(ms: number, task: () => Promise<unknown>, now = false): () => void {
  const run = () => void task().catch((error: unknown) => logger.error('periodic task failed', { error: error as Error }));
  if (now) run();
  const timer = setInterval(run, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** SIGTERM or SIGINT: drain requests in flight, run the stops last first, exit 0; a second signal exits 1. */
function onStopSignal(running: Awaited<ReturnType<typeof listen>>, stops: (() => Promise<void> | void)[], config: Config): void {
  const timeoutMs = (config.BERTH_SHUTDOWN_TIMEOUT ?? 10) * 1000;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info('berth stopping', { signal, drainSeconds: timeoutMs / 1000 });
    await running.drain(timeoutMs);
    for (const stop of [...stops].reverse()) await stop();
    logger.info('berth stopped', { signal });
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

async function main(): Promise<void> {
  let stops: (() => Promise<void> | void)[] = [];
  try {
    const config = loadConfig(process.env);
    configureLogging(config, { batched: true });
    const backend = config.BERTH_BACKEND === 'aws' ? await awsBackend(config) : await localBackend(config);
    backend.deps.fastPath = nodeStreams;
    backend.deps.peerAddress = nodePeerAddress;
    const metrics = new PrometheusMetrics(backend.deps.queue);
    backend.deps.metrics = metrics;
    const composed = await compose(backend.deps, config);
    const { app } = composed;
    const worker = countedJobs(composed.worker, metrics);
    const running = await listen(app.fetch, {
      port: config.PORT ?? 5000,
      hostname: config.HOST ?? '0.0.0.0',
      ...(config.BERTH_TLS_CERT && config.BERTH_TLS_KEY ? { tls: { cert: config.BERTH_TLS_CERT, key: config.BERTH_TLS_KEY } } : {}),
    });
    answerClientErrors(running.server);
    stops = [
      ...backend.start(worker),
      every(tickMs, () => worker({ version: 1, kind: 'schedule-tick', id: `tick-${Date.now()}` })),
      // Stops run last first: the pull counts held in memory are written while the table is open.
      async () => {
        await backend.deps.pulls?.flush();
      },
    ];
    // The handlers go in before the start line: whoever reads that line may signal at once.
    onStopSignal(running, stops, config);
    const auth = backend.deps.identity ? 'auth on' : 'auth OFF: anyone can pull, push and delete';
    logger.info(`berth listening on ${running.url} (${config.BERTH_BACKEND ?? 'local'} backend, ${backend.describe}, ${auth})`, {
      url: running.url,
      backend: config.BERTH_BACKEND ?? 'local',
      auth: Boolean(backend.deps.identity),
    });
  } catch (error) {
    for (const stop of stops.reverse()) await stop();
    exitOnStartupError(error);
  }
}

await main();
