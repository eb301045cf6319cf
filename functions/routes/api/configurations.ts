import { Hono } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { ldapDirectory } from '../../identity/directory.js';
import { type AuthConfig, authConfigChangesSchema, secretConfigKeys } from '../../identity/stores/config-store.js';
import { apiError, identityOf, parseBody, requireSysadmin } from './api-context.js';

/** Unknown keys are refused rather than ignored, so a misspelt `ldap_*` setting is noticed. */
export const configurationsSchema = authConfigChangesSchema;
export const ldapPingSchema = authConfigChangesSchema;

/** `/api/v2.0/configurations` (system admin): the auth mode and LDAP settings, as Harbor names them. */
export function configurationRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/configurations', async (c) => {
    requireSysadmin(c);
    const config = await identityOf(c).config.get();
    const shown: Record<string, { value: unknown; editable: boolean }> = {};
    for (const [key, value] of Object.entries(config)) {
      if (!secretConfigKeys.has(key as keyof typeof config)) shown[key] = { value, editable: true };
    }
    return c.json(shown);
  });

  routes.put('/configurations', async (c) => {
    requireSysadmin(c);
    const body = await parseBody(c, configurationsSchema);
    const stored = await identityOf(c).config.get();
    const next = { ...stored, ...body };
    if (next.auth_mode === 'ldap_auth' && (!next.ldap_url || !next.ldap_base_dn)) {
      throw apiError(400, 'BAD_REQUEST', 'ldap_auth needs ldap_url and ldap_base_dn');
    }
    checkLdapUrl(next.ldap_url);
    requirePasswordForNewServer(stored, body);
    await identityOf(c).config.update(body);
    return c.body(null, 200);
  });

  // Harbor: POST /ldap/ping checks the given settings (or the stored ones) before saving them.
  routes.post('/ldap/ping', async (c) => {
    requireSysadmin(c);
    const body = c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : await parseBody(c, ldapPingSchema);
    const stored = await identityOf(c).config.get();
    const config = { ...stored, ...body };
    checkLdapUrl(config.ldap_url);
    requirePasswordForNewServer(stored, body);
    try {
      await ldapDirectory(config).ping();
      return c.json({ success: true });
    } catch (error) {
      return c.json({ success: false, message: (error as Error).message });
    }
  });

  return routes;
}

function checkLdapUrl(url: string): void {
  if (url && !/^ldaps?:\/\/[^/\s]+\/?$/.test(url)) throw apiError(400, 'BAD_REQUEST', 'ldap_url must be ldap://host[:port] or ldaps://host[:port]');
}

/**
 * The stored search password belongs to the stored server: whoever names another server (to ping
 * it or to switch to it) brings that server's password, else the stored one would be handed to
 * any host an admin session (or someone holding one) points at.
 */
function requirePasswordForNewServer(stored: AuthConfig, changes: Partial<AuthConfig>): void {
  const moves = changes.ldap_url !== undefined && changes.ldap_url.replace(/\/$/, '') !== stored.ldap_url.replace(/\/$/, '');
  if (moves && stored.ldap_search_password !== '' && changes.ldap_search_password === undefined) {
    throw apiError(400, 'BAD_REQUEST', 'ldap_search_password is required with an ldap_url other than the stored one: the stored password is only ever sent to the stored server');
  }
}
