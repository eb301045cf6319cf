import { Hono } from 'hono';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../../app-env.js';
import { apiError } from '../api/api-context.js';
import { auditLogin } from '../api/audit-logs.js';
import { loginOrThrow } from '../login.js';
import { csrfHeader, isTls, sessionCookie, sessionsOf } from './session-auth.js';

function cookieOptions(c: Context<AppEnv>) {
  return { path: '/', httpOnly: true, sameSite: 'Strict' as const, secure: isTls(c) };
}

/**
 * A login form posted from another site would sign the victim in as the attacker (login CSRF):
 * browsers send Origin on every cross-origin POST, so one naming another host is refused. Scripts
 * (curl) send none and are fine.
 */
function checkOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header('origin');
  if (origin === undefined) return;
  const host = c.req.header('x-forwarded-host') ?? c.req.header('host') ?? new URL(c.req.url).host;
  let originHost: string | null = null;
  try {
    originHost = new URL(origin).host;
  } catch {
    // `null` (a sandboxed or privacy-sensitive context) or garbage: not our own page.
  }
  if (originHost !== host) throw apiError(403, 'FORBIDDEN', 'cross-origin login refused');
}

/**
 * `/c`: Harbor's portal session endpoints. `POST /c/login` takes the form fields `principal` and
 * `password` (local or LDAP users, exactly as Basic auth checks them) and answers 200 with the
 * `sid` cookie and the CSRF token in `X-Harbor-Csrf-Token`; `GET /c/log_out` ends the session.
 */
export function sessionRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/login', async (c) => {
    checkOrigin(c);
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) {
      throw apiError(400, 'BAD_REQUEST', 'send principal and password as a form');
    }
    let form: Record<string, unknown>;
    try {
      form = await c.req.parseBody();
    } catch {
      throw apiError(400, 'BAD_REQUEST', 'the form cannot be read');
    }
    const login = typeof form.principal === 'string' ? form.principal : '';
    const password = typeof form.password === 'string' ? form.password : '';
    if (login === '' || password === '') throw apiError(400, 'BAD_REQUEST', 'principal and password are required');
    const identity = c.get('deps').identity!;
    const principal = await loginOrThrow(c, identity, login, password, () => apiError(401, 'UNAUTHORIZED', 'invalid username or password'));
    if (principal.kind !== 'user') throw apiError(401, 'UNAUTHORIZED', 'robot accounts cannot sign in to the portal');
    const previous = getCookie(c, sessionCookie);
    if (previous) await sessionsOf(c).delete(previous);
    const { id, session } = await sessionsOf(c).create(principal.user.username);
    setCookie(c, sessionCookie, id, { ...cookieOptions(c), maxAge: session.expiresAt - Math.floor(Date.parse(session.createdAt) / 1000) });
    c.header(csrfHeader, session.csrf);
    c.header('Cache-Control', 'no-store');
    await auditLogin(c, principal);
    return c.body(null, 200);
  });

  routes.get('/log_out', async (c) => {
    const id = getCookie(c, sessionCookie);
    if (id) await sessionsOf(c).delete(id);
    deleteCookie(c, sessionCookie, cookieOptions(c));
    c.header('Cache-Control', 'no-store');
    return c.body(null, 200);
  });

  return routes;
}
