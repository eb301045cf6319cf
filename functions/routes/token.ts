import { Hono } from 'hono';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env.js';
import { OciError } from '../core/errors.js';
import type { Identity } from '../identity/identity.js';
import { type Principal, anonymous, credentialOf, subjectOf } from '../identity/principal.js';
import { parseScopes } from '../identity/scope.js';
import { isRobotUsable } from '../identity/stores/robot-store.js';
import { parseAuthorization } from './credentials.js';
import { loginOrThrow } from './login.js';
import { auditLogin } from './api/audit-logs.js';

/**
 * Docker's token authentication endpoint (`/service/token`). `GET` with optional Basic
 * credentials (docker, skopeo, podman, ctr --user); `POST` with the OAuth2 `password` and
 * `refresh_token` grants (docker after `docker login` keeps a refresh token). No credentials get
 * an anonymous token, which holds pull on public projects only. Requested scopes are cut down to
 * what the caller holds; a scope the caller holds nothing of is left out, never refused.
 */
export function tokenRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/token', async (c) => {
    const identity = requireIdentity(c);
    const query = new URL(c.req.url).searchParams;
    checkService(identity, query.get('service'));
    const credentials = parseAuthorization(c.req.header('authorization'));
    let principal: Principal = anonymous;
    if (credentials.scheme === 'basic') principal = await login(c, identity, credentials.login, credentials.password);
    else if (credentials.scheme !== 'none') throw unauthorized('unsupported authorization');
    await auditLogin(c, principal);
    const body = await issue(identity, principal, query.getAll('scope'));
    const refresh = query.get('offline_token') === 'true' && principal.kind !== 'anonymous';
    return c.json({ token: body.access_token, ...body, ...(refresh ? { refresh_token: await refreshTokenFor(identity, principal) } : {}) });
  });

  routes.post('/token', async (c) => {
    const identity = requireIdentity(c);
    const type = c.req.header('content-type') ?? '';
    if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      throw new OciError('UNSUPPORTED', 'the token endpoint takes a form (application/x-www-form-urlencoded)');
    }
    const form = new URLSearchParams(await c.req.text());
    checkService(identity, form.get('service'));
    const scopes = form.getAll('scope');
    const grant = form.get('grant_type');
    if (grant === 'password') {
      const username = form.get('username') ?? '';
      const principal = await login(c, identity, username, form.get('password') ?? '');
      await auditLogin(c, principal);
      const body = await issue(identity, principal, scopes);
      const refresh = form.get('access_type') === 'offline' ? { refresh_token: await refreshTokenFor(identity, principal) } : {};
      return c.json({ ...body, ...refresh });
    }
    if (grant === 'refresh_token') {
      const refreshToken = form.get('refresh_token') ?? '';
      const claims = await identity.tokens.verifyRefreshToken(refreshToken);
      const principal = claims === null ? null : await identity.principalOf(claims.subject);
      if (!claims || !principal || principal.kind === 'anonymous') throw unauthorized('invalid refresh token');
      // The token dies with the credential it was issued for: a deleted account (even one whose
      // name was taken again), a changed password or secret, a robot disabled since.
      const current = credentialOf(principal);
      if (!current || current.account !== claims.credential.account || current.version !== claims.credential.version) {
        throw unauthorized('refresh token revoked: log in again');
      }
      if (principal.kind === 'robot' && !isRobotUsable(principal.robot, Math.floor(identity.now().getTime() / 1000))) {
        throw unauthorized('robot account disabled or expired');
      }
      return c.json({ ...(await issue(identity, principal, scopes)), refresh_token: refreshToken });
    }
    throw new OciError('UNSUPPORTED', 'grant_type must be password or refresh_token', undefined, { status: 400 });
  });

  routes.get('/keys', async (c) => c.json(await requireIdentity(c).tokens.jwks()));

  return routes;
}

async function refreshTokenFor(identity: Identity, principal: Principal): Promise<string> {
  const credential = credentialOf(principal);
  if (!credential) throw unauthorized('anonymous callers get no refresh token');
  return identity.tokens.issueRefreshToken(subjectOf(principal), credential);
}

function requireIdentity(c: Context<AppEnv>): Identity {
  const identity = c.get('deps').identity;
  if (!identity) throw new OciError('UNSUPPORTED', 'authentication is not enabled', undefined, { status: 404 });
  return identity;
}

/** A token for another service would be refused by that service's registry: say so now. */
function checkService(identity: Identity, service: string | null): void {
  if (service !== null && service !== identity.options.service) {
    throw new OciError('DENIED', `this token service issues tokens for service "${identity.options.service}"`, undefined, { status: 400 });
  }
}

function unauthorized(message: string): OciError {
  return new OciError('UNAUTHORIZED', message);
}

function login(c: Context<AppEnv>, identity: Identity, username: string, password: string): Promise<Principal> {
  return loginOrThrow(c, identity, username, password, () => unauthorized('invalid username or password'));
}

async function issue(identity: Identity, principal: Principal, scopes: string[]) {
  const granted = await identity.access.grant(principal, parseScopes(scopes));
  const { token, claims } = await identity.tokens.issueAccessToken(subjectOf(principal), granted);
  return {
    access_token: token,
    scope: granted.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' '),
    expires_in: claims.expiresAt - claims.issuedAt,
    issued_at: new Date(claims.issuedAt * 1000).toISOString(),
  };
}
