import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import type { AppEnv } from '../../app-env.js';
import type { Identity } from '../../identity/identity.js';
import { type Principal, anonymous } from '../../identity/principal.js';
import type { Action } from '../../identity/rbac.js';
import type { Project } from '../../identity/stores/project-store.js';

// zod/mini carries no messages of its own ("Invalid input"); API callers deserve the English ones.
z.config(en());

/** Harbor's error codes for its REST API. */
export type ApiErrorCode = 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'PRECONDITION' | 'INTERNAL_SERVER_ERROR';

/** An error in Harbor's shape, `{"errors":[{"code","message"}]}`, rendered by `app.onError` as is. */
export function apiError(status: ContentfulStatusCode, code: ApiErrorCode, message: string): HTTPException {
  const res = new Response(JSON.stringify({ errors: [{ code, message }] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
  return new HTTPException(status, { res, message });
}

export function identityOf(c: Context<AppEnv>): Identity {
  return c.get('deps').identity!;
}

export function principalOf(c: Context<AppEnv>): Principal {
  return c.get('principal') ?? anonymous;
}

/** 401 for anonymous callers, 403 for everyone else. */
export function refuse(c: Context<AppEnv>, message = 'permission denied'): HTTPException {
  return principalOf(c).kind === 'anonymous' ? apiError(401, 'UNAUTHORIZED', 'authentication required') : apiError(403, 'FORBIDDEN', message);
}

export function requireSysadmin(c: Context<AppEnv>): void {
  const principal = principalOf(c);
  if (principal.kind !== 'user' || !principal.user.sysadmin) throw refuse(c, 'system admin only');
}

/** The body, checked against `schema`; 400 in Harbor's shape when it is not JSON or does not fit. */
export async function parseBody<T extends z.ZodMiniType>(c: Context<AppEnv>, schema: T): Promise<z.infer<T>> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw apiError(400, 'BAD_REQUEST', 'the body is not valid JSON');
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw apiError(400, 'BAD_REQUEST', issues);
  }
  return result.data;
}

/** A positive integer path parameter, or 400. */
export function idParam(c: Context<AppEnv>, name: string): number {
  const raw = c.req.param(name) ?? '';
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw apiError(400, 'BAD_REQUEST', `${name} must be a positive integer`);
  return Number(raw);
}

/**
 * The project named (or numbered) by the `project_name_or_id` parameter, provided the caller may
 * do `action` on it: 404 when it does not exist, 401/403 when they may not.
 */
export async function projectFor(c: Context<AppEnv>, action: Action): Promise<Project> {
  const identity = identityOf(c);
  const raw = c.req.param('project_name_or_id') ?? '';
  const byName = c.req.header('x-is-resource-name') === 'true' || !/^[0-9]+$/.test(raw);
  const project = byName ? await identity.projects.get(raw) : await identity.projects.getById(Number(raw));
  if (!project) throw apiError(404, 'NOT_FOUND', `project ${raw} not found`);
  const { actions } = await identity.access.actionsOn(principalOf(c), project.name);
  if (!actions.has(action)) throw refuse(c);
  return project;
}

/** Harbor's paging: `page` from 1, `page_size` up to 100; sets X-Total-Count and Link. */
export function paginate<T>(c: Context<AppEnv>, all: T[]): T[] {
  const url = new URL(c.req.url);
  const page = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1);
  const size = Math.min(100, Math.max(1, Number.parseInt(url.searchParams.get('page_size') ?? '10', 10) || 10));
  c.header('X-Total-Count', String(all.length));
  const links: string[] = [];
  const link = (p: number, rel: string) => {
    url.searchParams.set('page', String(p));
    url.searchParams.set('page_size', String(size));
    links.push(`<${url.pathname}?${url.searchParams}>; rel="${rel}"`);
  };
  if (page > 1) link(page - 1, 'prev');
  if (page * size < all.length) link(page + 1, 'next');
  if (links.length > 0) c.header('Link', links.join(' , '));
  return all.slice((page - 1) * size, page * size);
}
