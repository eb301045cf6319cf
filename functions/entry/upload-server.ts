import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { createAwsDeps } from './aws-deps.js';
import { compose } from './compose.js';
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
): Promise<{ server: ServerType; url: string; close(): Promise<void> }> {
  const deps = createAwsDeps(env);
  delete deps.config.maxRequestBytes;
  deps.peerAddress = nodePeerAddress;
  // Clients reach this host with the upload token in the Location's query; callers that send
  // Authorization instead (skopeo, oras) are checked like anywhere else.
  const { app } = await compose(deps, env);
  const hostname = options.hostname ?? env.HOST ?? '0.0.0.0';
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, port: options.port ?? Number(env.PORT ?? 8080), hostname }, () =>
      resolve(started),
    );
  });
  // A 10 GB layer on a slow link takes long: let the body stream as long as bytes keep coming.
  if ('requestTimeout' in server) server.requestTimeout = 0;
  answerClientErrors(server);
  const { port } = server.address() as AddressInfo;
  const url = `http://${hostname === '0.0.0.0' ? '127.0.0.1' : hostname}:${port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, close } = await startUploadServer();
  console.log(JSON.stringify({ level: 'info', message: 'berth upload service listening', url }));
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
