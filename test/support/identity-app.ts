import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { FsBlobStore } from '../../functions/adapters/local/fs-blob-store.js';
import { TableJobQueue } from '../../functions/adapters/local/table-job-queue.js';
import { createApp } from '../../functions/app.js';
import type { AppDeps, AppEnv } from '../../functions/app-env.js';
import { nodePeerAddress } from '../../functions/entry/peer-address.js';
import { defaultRegistryConfig } from '../../functions/registry/registry-deps.js';
import { Identity, type IdentityOptions, bootstrapIdentity } from '../../functions/identity/identity.js';
import { hashPassword } from '../../functions/identity/passwords.js';
import { projectRoles, type ProjectRole } from '../../functions/identity/rbac.js';
import type { BlobStore } from '../../functions/ports/blob-store.js';
import type { JobQueue } from '../../functions/ports/job-queue.js';
import { mountIdentity } from '../../functions/routes/mount-identity.js';
import { renderError } from '../../functions/routes/render-error.js';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { WriteRecorder } from './write-recorder.js';

export const service = 'berth-test';
export const adminPassword = 'Admin-Passw0rd';
export const base = 'http://registry.test';

/**
 * The app as `createApp` builds it with identity on, except that /v2 ends in a recorder instead
 * of the registry: it notes each request that got through authorization, and for manifest PUTs
 * reports what `canOverwriteTag` and `canPull` answer, so tests see exactly what the registry
 * would be allowed to do.
 */
export async function identityApp(options: Partial<IdentityOptions> = {}) {
  const table = new WriteRecorder(new SqliteTable(':memory:'));
  const identity = new Identity(table, { service, ...options });
  await bootstrapIdentity(identity, adminPassword);
  const deps: AppDeps = {
    table,
    blobs: {} as BlobStore,
    queue: {} as JobQueue,
    config: { ...defaultRegistryConfig },
    identity,
    peerAddress: nodePeerAddress,
  };
  const hits: string[] = [];
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set('deps', deps);
    c.set('requestId', 'test');
    await next();
  });
  mountIdentity(app);
  app.all('/v2/*', async (c) => {
    hits.push(`${c.req.method} ${c.req.path}`);
    const repository = c.req.query('repo');
    return c.json({
      reached: true,
      principal: c.get('principal')?.kind ?? null,
      canOverwriteTag: repository ? await c.get('canOverwriteTag')?.(repository, 'v1') : undefined,
      canPull: c.req.query('from') ? await c.get('canPull')?.(c.req.query('from')!) : undefined,
    });
  });
  app.onError(renderError);
  const request = (path: string, init?: RequestInit) => app.request(`${base}${path}`, init);
  /** A request as the Node server hands it over from a socket connected from `address`. */
  const requestFrom = (address: string, path: string, init?: RequestInit) =>
    app.request(`${base}${path}`, init, { incoming: { socket: { remoteAddress: address, remotePort: 40000, remoteFamily: address.includes(':') ? 'IPv6' : 'IPv4' } } });
  return { app, table, identity, hits, request, requestFrom, deps };
}

export type TestApp = Awaited<ReturnType<typeof identityApp>>;

export function basic(login: string, password: string): string {
  return `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
}

export const userPassword = 'User-Passw0rd';

/** A local user straight into the store (the API path has its own tests). */
export async function addUser(identity: Identity, username: string, options: { sysadmin?: boolean } = {}) {
  const user = await identity.users.create({
    username,
    email: `${username}@example.test`,
    realname: username,
    comment: '',
    passwordHash: await hashPassword(userPassword),
    sysadmin: options.sysadmin ?? false,
    source: 'db',
    ldapDn: null,
    ldapGroups: [],
  });
  if (!user) throw new Error(`user ${username} exists`);
  return user;
}

export async function addProject(identity: Identity, name: string, isPublic: boolean) {
  const project = await identity.projects.create({ name, public: isPublic, ownerId: 1, ownerName: 'admin' });
  if (!project) throw new Error(`project ${name} exists`);
  return project;
}

export async function addMember(identity: Identity, project: string, username: string, role: ProjectRole) {
  const user = await identity.users.get(username);
  await identity.members.add({ project, entityType: 'u', entityName: username, entityId: user!.id, roleId: projectRoles[role] });
}

/** A token from the token endpoint (GET with Basic credentials, or anonymous). */
export async function fetchToken(t: Pick<TestApp, 'request'>, scopes: string[], credentials?: { login: string; password: string }) {
  const query = new URLSearchParams({ service });
  for (const scope of scopes) query.append('scope', scope);
  const response = await t.request(`/service/token?${query}`, {
    headers: credentials ? { authorization: basic(credentials.login, credentials.password) } : {},
  });
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { token: string; access_token: string; scope: string; expires_in: number; refresh_token?: string };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Writes so far, without login-throttle counters (which a refused login is meant to write). */
export function stateOf(t: TestApp) {
  return t.table.writes.filter((write) => !/ throttle(-address)?#/.test(write)).length;
}

/**
 * The real app (`createApp` with the registry, local adapters) with identity on, its table
 * wrapped so a test can see every write. For tests where what the registry itself answers matters.
 */
export async function identityRegistry(config: Partial<AppDeps['config']> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-identity-registry-'));
  const table = new WriteRecorder(new SqliteTable(':memory:'));
  const identity = new Identity(table, { service });
  await bootstrapIdentity(identity, adminPassword);
  const deps: AppDeps = { table, blobs: new FsBlobStore(dir), queue: new TableJobQueue(table), config: { ...defaultRegistryConfig, ...config }, identity };
  const app = createApp(deps);
  const request = (path: string, init?: RequestInit) => app.request(`${base}${path}`, init);
  const cleanup = () => rm(dir, { recursive: true, force: true });
  return { app, table, identity, request, cleanup, deps };
}
