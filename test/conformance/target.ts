import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTokenAuth } from './token-auth.js';

/**
 * The registry a conformance test talks to, seen only through HTTP. By default it is Berth built
 * in-process with the local adapters and driven through `app.request()`; with CONFORMANCE_URL set
 * (`http://127.0.0.1:5000`) the same tests run against any live registry, Berth or a peer.
 */
export interface Target {
  /**
   * Sends one request. `url` is a path on the registry (`/v2/...`) or an absolute URL taken from
   * a `Location` header, which the spec lets point at another host. Redirects are never followed.
   */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** Releases everything the target holds (database handles, temporary directories). */
  close(): Promise<void>;
}

/** Base of the in-process app's URLs; any host works because nothing leaves the process. */
const inProcessOrigin = 'http://berth.test';

export async function openTarget(): Promise<Target> {
  const url = process.env.CONFORMANCE_URL;
  const target = url ? liveTarget(url) : await inProcessTarget();
  // With credentials the suite runs as a token-auth client (CONFORMANCE_USERNAME/PASSWORD for a
  // live registry; CONFORMANCE_AUTH=on turns identity on in-process, as the system admin).
  const username = process.env.CONFORMANCE_USERNAME ?? (process.env.CONFORMANCE_AUTH === 'on' ? 'admin' : undefined);
  const password = process.env.CONFORMANCE_PASSWORD ?? inProcessAdminPassword;
  return username ? { ...target, fetch: withTokenAuth(target.fetch, username, password) } : target;
}

const inProcessAdminPassword = 'Conformance-Admin-0';

function liveTarget(base: string): Target {
  return {
    fetch: (url, init = {}) =>
      fetch(new URL(url, base), {
        ...init,
        redirect: 'manual',
        ...(isStream(init.body) ? { duplex: 'half' } : {}),
      } as RequestInit),
    close: async () => {},
  };
}

async function inProcessTarget(): Promise<Target> {
  // Loaded here rather than at the top so a run against a live server needs none of Berth's
  // adapters (native SQLite included) to load.
  const [{ createApp }, { createLocalDeps }] = await Promise.all([
    import('../../functions/app.js'),
    import('../../functions/entry/local-deps.js'),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'berth-conformance-'));
  // The embedded default exactly as `npm start` wires it: filesystem blobs, SQLite, table queue.
  const deps = createLocalDeps(dir);
  if (process.env.CONFORMANCE_AUTH === 'on') {
    const [{ identityFromConfig }, { loadConfig }] = await Promise.all([import('../../functions/identity/from-config.js'), import('../../functions/config.js')]);
    deps.identity = await identityFromConfig(deps.table, loadConfig({ BERTH_ADMIN_PASSWORD: inProcessAdminPassword }));
  }
  const app = createApp(deps);
  return {
    fetch: async (url, init = {}) => app.request(new URL(url, inProcessOrigin).toString(), withWireHeaders(init)),
    close: async () => {
      await deps.queue.stop();
      deps.table.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A request that crossed a socket carries Content-Length for every body of known size (and for an
 * empty POST or PUT); a Request built in memory does not. Add it so routes see what a server sees.
 */
function withWireHeaders(init: RequestInit): RequestInit {
  const headers = new Headers(init.headers);
  const method = (init.method ?? 'GET').toUpperCase();
  if (!headers.has('content-length') && !isStream(init.body)) {
    const length = bodyLength(init.body);
    if (length !== undefined && (length > 0 || ['POST', 'PUT', 'PATCH'].includes(method))) {
      headers.set('content-length', String(length));
    }
  }
  return { ...init, headers, ...(isStream(init.body) ? { duplex: 'half' } : {}) } as RequestInit;
}

function bodyLength(body: RequestInit['body']): number | undefined {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  if (body instanceof Blob) return body.size;
  return undefined;
}

function isStream(body: RequestInit['body']): boolean {
  return body instanceof ReadableStream;
}
