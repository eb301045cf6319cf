import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { StartupError } from './startup-error.js';

export interface ListenOptions {
  port: number;
  hostname: string;
  /** PEM files (BERTH_TLS_CERT, BERTH_TLS_KEY): serve HTTPS instead of HTTP. */
  tls?: { cert: string; key: string };
}

export interface RunningServer {
  server: Server;
  /** A URL one can paste into a client: the bound port, loopback for a wildcard address. */
  url: string;
  /**
   * Stops taking connections, lets requests in flight finish for up to `timeoutMs`, then cuts
   * whatever is left. Resolves once no connection remains.
   */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * Serves `fetch` on Node (HTTP, or HTTPS with `tls`), resolving once listening. A port in use,
 * a port needing privileges, an unknown address or unreadable TLS files are StartupErrors.
 */
export async function listen(fetch: (request: Request, env: unknown) => Response | Promise<Response>, options: ListenOptions): Promise<RunningServer> {
  const tls = options.tls ? readTls(options.tls) : undefined;
  let server: Server;
  try {
    server = (tls ? createAdaptorServer({ fetch, createServer: createHttpsServer, serverOptions: tls }) : createAdaptorServer({ fetch })) as Server;
  } catch (error) {
    throw new StartupError(`BERTH_TLS_CERT and BERTH_TLS_KEY must be a PEM certificate and its private key (${(error as Error).message})`);
  }
  let inFlight = 0;
  let idle: (() => void) | undefined;
  server.on('request', (_request, response) => {
    inFlight++;
    response.once('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, options)));
    server.listen(options.port, options.hostname, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.hostname === '0.0.0.0' || options.hostname === '::' ? 'localhost' : options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname;
  return {
    server,
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    drain: async (timeoutMs) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          idle = resolve;
          setTimeout(resolve, timeoutMs).unref();
        });
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

function readTls(files: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const read = (name: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new StartupError(`${name}=${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  return { cert: read('BERTH_TLS_CERT', files.cert), key: read('BERTH_TLS_KEY', files.key) };
}

function listenError(error: NodeJS.ErrnoException, options: ListenOptions): Error {
  const where = `${options.hostname}:${options.port}`;
  if (error.code === 'EADDRINUSE') return new StartupError(`PORT=${options.port}: ${where} is already in use by another process; stop it or choose another PORT`);
  if (error.code === 'EACCES') return new StartupError(`PORT=${options.port}: binding ${where} needs privileges; choose a PORT above 1023`);
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') return new StartupError(`HOST=${options.hostname} is not an address of this machine`);
  return new StartupError(`cannot listen on ${where} (${error.code ?? error.message})`);
}
