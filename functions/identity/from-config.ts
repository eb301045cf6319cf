import type { Config } from '../config.js';
import { log } from '../ops/logger.js';
import type { Table } from '../ports/table.js';
import { Identity, bootstrapIdentity, identityWasOn } from './identity.js';
import { type AuthConfig, authConfigChangesSchema } from './stores/config-store.js';

/** Where identity's notices go: the generated admin password, auth turned off on secured data. */
export type IdentityNotice = (message: string, fields: Record<string, unknown>) => void;

/**
 * Identity for an entry point, from its parsed settings; undefined when auth is off.
 *
 * On with BERTH_AUTH=on or BERTH_ADMIN_PASSWORD, and on by itself once identity has been on for
 * this table (the marker bootstrapIdentity leaves): restarting a secured registry without the
 * password keeps it secured. Only an explicit BERTH_AUTH=off turns it off, with a warning.
 * The admin password applies on first start only; without it one is generated and shown once.
 */
export async function identityFromConfig(
  table: Table,
  config: Config,
  notice: IdentityNotice = (message, fields) => log.warn(message, fields),
): Promise<Identity | undefined> {
  const password = config.BERTH_ADMIN_PASSWORD;
  if (config.BERTH_AUTH === 'off') {
    // Only a warning depends on it: a table that cannot be read now must not stop the process.
    if (await identityWasOn(table).catch(() => false)) {
      notice('BERTH_AUTH=off: identity was on for this registry and is now OFF; anyone can pull, push and delete', { auth: 'off' });
    }
    return undefined;
  }
  if (config.BERTH_AUTH !== 'on' && !password && !(await identityWasOn(table))) return undefined;
  const identity = new Identity(table, {
    service: config.BERTH_SERVICE ?? 'berth',
    ...(config.BERTH_TOKEN_REALM ? { realm: config.BERTH_TOKEN_REALM } : {}),
    authConfig: authConfigOf(config),
  });
  const result = await bootstrapIdentity(identity, password);
  if (result.generatedPassword) {
    notice('created the system admin with a generated password; it is shown only this once', { username: 'admin', password: result.generatedPassword });
  }
  return identity;
}

/** BERTH_AUTH_MODE and BERTH_LDAP_* as Harbor's keys (BERTH_LDAP_URL → ldap_url), typed and checked. */
export function authConfigOf(config: Config): Partial<AuthConfig> {
  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (name === 'BERTH_AUTH_MODE') raw.auth_mode = value;
    else if (name.startsWith('BERTH_LDAP_')) {
      const key = `ldap_${name.slice('BERTH_LDAP_'.length).toLowerCase()}`;
      raw[key] = /^(ldap_scope|ldap_group_search_scope)$/.test(key) ? Number(value) : key === 'ldap_verify_cert' ? value === 'true' : value;
    }
  }
  const parsed = authConfigChangesSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid auth settings in the environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
