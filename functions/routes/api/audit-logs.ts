import { Hono } from 'hono';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { type Principal, subjectOf } from '../../identity/principal.js';
import { AuditQueryError, type AuditEntry, type AuditRecord, parseAuditQuery } from '../../lifecycle/audit-log.js';
import { apiError, identityOf, paginate, principalOf, projectFor, requireSysadmin } from './api-context.js';

/** The management API's resources, by the path segment that names them (Harbor's resource_type). */
const resourceTypes: Record<string, string> = {
  projects: 'project',
  members: 'project_member',
  metadatas: 'project_metadata',
  users: 'user',
  robots: 'robot',
  retentions: 'retention',
  webhook: 'webhook_policy',
  immutabletagrules: 'immutable_rule',
  configurations: 'configuration',
  quotas: 'quota',
  registries: 'registry',
  replication: 'replication_policy',
  gc: 'gc',
  scanners: 'scanner',
};

const operations: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

function present(record: AuditRecord) {
  return {
    id: record.id,
    username: record.username,
    resource: record.resource,
    resource_type: record.resource_type,
    operation: record.operation,
    op_time: record.op_time,
  };
}

async function jsonOf(text: Promise<string> | undefined): Promise<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse((await text) ?? '');
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The project a management path is about, by name (a numeric id is looked up). */
async function projectNamed(c: Context<AppEnv>, raw: string): Promise<string | undefined> {
  if (!/^[0-9]+$/.test(raw) || c.req.header('x-is-resource-name') === 'true') return raw;
  return (await identityOf(c).projects.getById(Number(raw)))?.name;
}

/**
 * What a successful change through the management API was, in Harbor's audit terms. Changes to
 * repositories and artifacts are left out: they are registry events, audited from the events.
 */
async function describeChange(c: Context<AppEnv>): Promise<AuditEntry | null> {
  const operation = operations[c.req.method];
  if (!operation) return null;
  const segments = c.req.path.replace(/^.*?\/api\/v2\.0\//, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (segments.length === 0 || segments.includes('repositories') || segments[segments.length - 1] === 'ping') return null;
  const username = subjectOf(principalOf(c)) || 'anonymous';
  const typeSegment = [...segments].reverse().find((segment) => resourceTypes[segment]) ?? segments[0]!;
  const resource_type = resourceTypes[typeSegment] ?? typeSegment;
  const request = await jsonOf(c.req.method === 'DELETE' ? undefined : c.req.text());
  const response = c.res.headers.get('content-type')?.includes('json') ? await jsonOf(c.res.clone().text()) : {};
  const created = c.res.headers.get('location')?.split('/').pop();
  let project = segments[0] === 'projects' && segments[1] ? await projectNamed(c, segments[1]) : undefined;
  let resource = segments.join('/');
  if (segments[0] === 'projects' && segments.length <= 2) {
    project ??= typeof request.project_name === 'string' ? request.project_name : undefined;
    resource = project ?? resource;
  } else if (resource_type === 'project_member') {
    const member = (request.member_user as { username?: string } | undefined)?.username ?? (request.member_group as { ldap_group_dn?: string } | undefined)?.ldap_group_dn;
    const id = segments[3] ?? created;
    resource = `${project}/members/${member ?? id}${typeof request.role_id === 'number' ? ` (role_id ${request.role_id})` : ''}`;
  } else if (resource_type === 'robot' && typeof response.name === 'string') {
    resource = response.name;
    const scoped = /^robot\$([^+]+)\+/.exec(response.name);
    if (scoped) project = scoped[1];
  } else if (resource_type === 'user' && typeof request.username === 'string') {
    resource = request.username;
  } else if (created && operation === 'create') {
    resource = `${resource}/${created}`;
  }
  return { operation, resource, resource_type, username, ...(project ? { project } : {}) };
}

/**
 * Records every successful change (POST, PUT, PATCH, DELETE answered below 400) made through the
 * management API: who did what to which resource. Mounted once in front of the API routes.
 */
export function auditChanges(): MiddlewareHandler<AppEnv> {
  return async function auditChanges(c, next) {
    await next();
    const audit = c.get('deps').audit;
    if (!audit || c.res.status >= 400) return;
    try {
      const entry = await describeChange(c);
      if (entry) await audit.record(entry);
    } catch (error) {
      // The change is made: answering 500 now would have the client retry something that worked.
      console.error(JSON.stringify({ level: 'error', message: 'audit record of an API change not written', path: c.req.path, requestId: c.get('requestId'), error: String(error) }));
    }
  };
}

/** Records a login (a token issued to checked credentials). */
export async function auditLogin(c: Context<AppEnv>, principal: Principal): Promise<void> {
  if (principal.kind === 'anonymous') return;
  const username = subjectOf(principal);
  try {
    await c.get('deps').audit?.record({ operation: 'login', resource: username, resource_type: principal.kind === 'robot' ? 'robot' : 'user', username });
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', message: 'audit record of a login not written', username, error: String(error) }));
  }
}

async function listed(c: Context<AppEnv>, project: string | undefined) {
  const audit = c.get('deps').audit;
  if (!audit) return c.json([]);
  const query = new URL(c.req.url).searchParams;
  let filter;
  try {
    filter = parseAuditQuery(query.get('q'));
  } catch (error) {
    if (error instanceof AuditQueryError) throw apiError(400, 'BAD_REQUEST', error.message);
    throw error;
  }
  const sort = query.get('sort');
  if (sort && !/^-?op_time$/.test(sort)) throw apiError(400, 'BAD_REQUEST', 'sort takes op_time or -op_time');
  const records = await audit.list(project, filter);
  if (sort === 'op_time') records.reverse();
  return c.json(paginate(c, records).map(present));
}

/** `/api/v2.0/audit-logs` (system admins) and `/api/v2.0/projects/{p}/logs` (project members). */
export function auditLogRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/audit-logs', async (c) => {
    requireSysadmin(c);
    return listed(c, undefined);
  });
  // Harbor's log:list is held by guests and above, the same as the member list.
  routes.get('/projects/:project_name_or_id/logs', async (c) => listed(c, (await projectFor(c, 'list-members')).name));
  return routes;
}
