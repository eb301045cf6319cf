import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { OciError } from '../../core/errors.js';
import { apiVersionCheck } from './base.js';
import { deleteBlob, getBlob } from './blobs.js';
import { apiVersionHeader } from './http.js';
import { listRepositories } from './catalog.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';
import { listReferrers } from './referrers.js';
import { listTags } from './tags.js';
import { cancelUpload, finishUpload, patchUpload, startUpload, uploadStatus } from './uploads.js';

export type RepositoryAction = 'pull' | 'push' | 'delete';

interface V2Route {
  /** The spec's endpoint id (distribution-spec "Endpoints" table), or Berth's name for extras. */
  endpoint: string;
  methods: readonly string[];
  /** Matched against the raw path after `/v2`; group `name` is the repository. */
  pattern: RegExp;
  /** What the caller must be allowed on the repository; null for registry-level endpoints. */
  action: RepositoryAction | null;
  handler: (c: Context<AppEnv>) => Promise<Response> | Response;
}

const name = '(?<name>[^%]+?)';
const read = ['GET', 'HEAD'] as const;

/** The distribution-spec v1.1 route table, in match order. */
export const v2Routes: readonly V2Route[] = [
  { endpoint: 'end-1', methods: read, pattern: /^\/?$/, action: null, handler: apiVersionCheck },
  { endpoint: 'catalog', methods: read, pattern: /^\/_catalog$/, action: null, handler: listRepositories },
  { endpoint: 'end-8', methods: read, pattern: new RegExp(`^/${name}/tags/list$`), action: 'pull', handler: listTags },
  { endpoint: 'end-3', methods: read, pattern: new RegExp(`^/${name}/manifests/(?<reference>[^/]+)$`), action: 'pull', handler: getManifest },
  { endpoint: 'end-7', methods: ['PUT'], pattern: new RegExp(`^/${name}/manifests/(?<reference>[^/]+)$`), action: 'push', handler: putManifest },
  { endpoint: 'end-9', methods: ['DELETE'], pattern: new RegExp(`^/${name}/manifests/(?<reference>[^/]+)$`), action: 'delete', handler: deleteManifest },
  { endpoint: 'end-4', methods: ['POST'], pattern: new RegExp(`^/${name}/blobs/uploads/?$`), action: 'push', handler: startUpload },
  { endpoint: 'end-5', methods: ['PATCH'], pattern: new RegExp(`^/${name}/blobs/uploads/(?<uuid>[^/]+)$`), action: 'push', handler: patchUpload },
  { endpoint: 'end-6', methods: ['PUT'], pattern: new RegExp(`^/${name}/blobs/uploads/(?<uuid>[^/]+)$`), action: 'push', handler: finishUpload },
  { endpoint: 'end-13', methods: ['GET'], pattern: new RegExp(`^/${name}/blobs/uploads/(?<uuid>[^/]+)$`), action: 'push', handler: uploadStatus },
  { endpoint: 'end-14', methods: ['DELETE'], pattern: new RegExp(`^/${name}/blobs/uploads/(?<uuid>[^/]+)$`), action: 'push', handler: cancelUpload },
  { endpoint: 'end-2', methods: read, pattern: new RegExp(`^/${name}/blobs/(?<digest>[^/]+)$`), action: 'pull', handler: getBlob },
  { endpoint: 'end-10', methods: ['DELETE'], pattern: new RegExp(`^/${name}/blobs/(?<digest>[^/]+)$`), action: 'delete', handler: deleteBlob },
  { endpoint: 'end-12', methods: ['GET'], pattern: new RegExp(`^/${name}/referrers/(?<digest>[^/]+)$`), action: 'pull', handler: listReferrers },
];

export interface V2Match {
  route: V2Route;
  params: Record<string, string>;
}

/** The route a request path (the raw path below `/v2`, still percent-encoded) hits, if any. */
export function matchV2Route(method: string, path: string): V2Match | null {
  for (const route of v2Routes) {
    if (!route.methods.includes(method)) continue;
    const match = route.pattern.exec(path);
    if (match) return { route, params: { ...match.groups } };
  }
  return null;
}

export interface V2Access {
  /** The route matched, kept so the dispatcher does not match the path again. */
  match?: V2Match;
  endpoint: string;
  repository: string | null;
  actions: RepositoryAction[];
  /** A cross-repository mount also reads this repository. */
  mountFrom?: string;
  catalog?: boolean;
}

/**
 * What a `/v2/...` request needs to be allowed (the access layer's input): the repository and
 * actions, as Docker token scopes name them. Null when no route matches.
 */
export function classifyV2Request(method: string, path: string, query: URLSearchParams | (() => URLSearchParams)): V2Access | null {
  const below = path.replace(/^\/v2/, '');
  const match = matchV2Route(method, below);
  if (!match) return null;
  const { route, params } = match;
  const access: V2Access = { match, endpoint: route.endpoint, repository: params.name ?? null, actions: route.action ? [route.action] : [] };
  if (route.endpoint === 'catalog') access.catalog = true;
  if (route.endpoint === 'end-4') {
    const search = typeof query === 'function' ? query() : query;
    if (search.get('mount') !== null && search.get('from')) access.mountFrom = search.get('from')!;
  }
  if (route.action === 'push') access.actions = ['pull', 'push'];
  return access;
}

/** Raw path of a request, percent-encoding intact (Hono's own path is partly decoded). */
export function rawPathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const end = url.indexOf('?', start);
  return url.slice(start, end === -1 ? undefined : end);
}

/** The `/v2` sub-application: one dispatcher over the route table. */
export function v2App(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.all('*', async (c) => {
    const path = rawPathOf(c.req.url).replace(/^\/v2/, '');
    if (path.includes('%')) throw new OciError('NAME_INVALID', 'percent-encoded characters are not allowed in names, tags or digests', { path });
    // Matched already when the access layer classified the request (identity on).
    const match = c.get('v2Match') ?? matchV2Route(c.req.method, path);
    if (!match) {
      const exists = v2Routes.some((route) => route.pattern.test(path));
      if (exists) throw new OciError('UNSUPPORTED', 'method not allowed on this endpoint', { method: c.req.method }, { status: 405 });
      throw new OciError('NAME_INVALID', 'no such endpoint or invalid repository name', { path }, { status: 404 });
    }
    c.set('params', match.params);
    c.set('route', match.route.endpoint);
    const response = await match.route.handler(c);
    if (response !== RESPONSE_ALREADY_SENT && c.get('complete')?.response !== response) {
      for (const [name, value] of Object.entries(apiVersionHeader)) response.headers.set(name, value);
    }
    return response;
  });
  return app;
}
