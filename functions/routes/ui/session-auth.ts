import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../../app-env.js';
import type { Principal } from '../../identity/principal.js';
import { SessionStore, defaultSessionOptions } from '../../ui/session-store.js';
import { apiError } from '../api/api-context.js';

/** Harbor's names: the portal's session cookie and the header carrying the CSRF token. */
export const sessionCookie = 'sid';
export const csrfHeader = 'X-Harbor-Csrf-Token';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionsOf(c: Context<AppEnv>): SessionStore {
  const deps = c.get('deps');
  return new SessionStore(deps.table, deps.now ?? (() => new Date()), {
    lifetimeSeconds: deps.config.sessionLifetimeSeconds ?? defaultSessionOptions.lifetimeSeconds,
  });
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The principal of the request's session cookie, or null when it carries none that is live (the
 * caller is then anonymous, so public projects stay browsable with a stale cookie). A browser
 * sends the cookie on its own, so a state-changing call must also prove it comes from the
 * portal's script by echoing the session's CSRF token: 403 otherwise. Safe calls get the token
 * back in a header, so a reloaded page can recover it without it ever sitting in a cookie.
 */
export async function sessionPrincipal(c: Context<AppEnv>): Promise<Principal | null> {
  const id = getCookie(c, sessionCookie);
  if (!id) return null;
  const session = await sessionsOf(c).get(id);
  if (!session) return null;
  if (!safeMethods.has(c.req.method)) {
    const sent = c.req.header(csrfHeader) ?? '';
    if (!sameToken(sent, session.csrf)) throw apiError(403, 'FORBIDDEN', 'CSRF token missing or invalid; send the X-Harbor-Csrf-Token header');
  } else {
    c.header(csrfHeader, session.csrf);
  }
  const principal = await c.get('deps').identity!.principalOf(session.subject);
  if (!principal || principal.kind !== 'user') {
    await sessionsOf(c).delete(id);
    return null;
  }
  return principal;
}

/** Whether the request reached us over TLS (directly, or through a proxy or API Gateway that says so). */
export function isTls(c: Context<AppEnv>): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}
