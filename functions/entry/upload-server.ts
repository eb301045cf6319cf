import { pathToFileURL } from 'node:url';
import type { Server } from 'node:http';
import { nodeStreams } from '../adapters/node/node-streams.js';
import { loadConfig } from '../config.js';
import { listen } from '../ops/http-server.js';
import { configureLogging, logger } from '../ops/logger.js';
import { exitOnStartupError } from '../ops/startup-error.js';
import { createAwsDeps } from './aws-deps.js';
import { composeApp } from './compose-app.js';
import { answerClientErrors } from './client-errors.js';
import { nodePeerAddress } from './peer-address.js';

/**
 * The upload service: the same app on Node (Fargate behind a load balancer) with the AWS
 * adapters, taking PATCH and PUT bodies of any size as streams. The API on Lambda opens sessions
 * and points clients here with a signed token; this process has no request limit.
 *
 * Every Location it answers is relative, with a fresh token (see routes/v2/uploads.ts), so it
 * needs no knowledge of its own public name.
 */
export async function startUploadServer(
  env: Record<string, string | undefined> = process.env,
  options: { port?: number; hostname?: string } = {},
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const config = loadConfig(env);
  configureLogging(config, { batched: true });
  const deps = createAwsDeps(config);
  delete deps.config.maxRequestBytes;
  deps.fastPath = nodeStreams;
  deps.peerAddress = nodePeerAddress;
  // Clients reach this host with the upload token in the Location's query; callers that send
  // Authorization instead (skopeo, oras) are checked like anywhere else.
  const { app } = await composeApp(deps, config);
  const running = await listen(app.fetch, {
    port: options.port ?? config.PORT ?? 8080,
    hostname: options.hostname ?? config.HOST ?? '0.0.0.0',
    ...(config.BERTH_TLS_CERT && config.BERTH_TLS_KEY ? { tls: { cert: config.BERTH_TLS_CERT, key: config.BERTH_TLS_KEY } } : {}),
  });
  // A 10 GB layer on a slow link takes long: let the body stream as long as bytes keep coming.
  running.server.requestTimeout = 0;
  answerClientErrors(running.server);
  return {
    server: running.server,
    url: running.url.replace('//localhost:', '//127.0.0.1:'),
    close: () => running.drain(0),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = await startUploadServer().catch((error: unknown) => exitOnStartupError(error, 'berth upload service'));
  const stop = () => void started.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  logger.info(`berth upload service listening on ${started.url}`, { url: started.url });
}
