import { Hono } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { ldapDirectory } from '../../identity/directory.js';
import { authConfigChangesSchema, secretConfigKeys } from '../../identity/stores/config-store.js';
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
    const next = { ...(await identityOf(c).config.get()), ...body };
    if (next.auth_mode === 'ldap_auth' && (!next.ldap_url || !next.ldap_base_dn)) {
      throw apiError(400, 'BAD_REQUEST', 'ldap_auth needs ldap_url and ldap_base_dn');
    }
    if (next.ldap_url && !/^ldaps?:\/\/[^/\s]+\/?$/.test(next.ldap_url)) throw apiError(400, 'BAD_REQUEST', 'ldap_url must be ldap://host[:port] or ldaps://host[:port]');
    await identityOf(c).config.update(body);
    return c.body(null, 200);
  });

  // Harbor: POST /ldap/ping checks the given settings (or the stored ones) before saving them.
  routes.post('/ldap/ping', async (c) => {
    requireSysadmin(c);
    const body = c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : await parseBody(c, ldapPingSchema);
    const config = { ...(await identityOf(c).config.get()), ...body };
    try {
      await ldapDirectory(config).ping();
      return c.json({ success: true });
    } catch (error) {
      return c.json({ success: false, message: (error as Error).message });
    }
  });

  return routes;
}
