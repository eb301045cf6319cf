import type { Table } from '../ports/table.js';
import { Identity, bootstrapIdentity } from './identity.js';
import { type AuthConfig, authConfigChangesSchema } from './stores/config-store.js';

/**
 * Identity for an entry point, from environment variables; undefined when auth is off (the open
 * embedded default). On when BERTH_AUTH=on or BERTH_ADMIN_PASSWORD is set.
 *
 * - BERTH_ADMIN_PASSWORD: the `admin` password on first start; without it one is generated and
 *   printed once.
 * - BERTH_SERVICE (default `berth`): the token service name; BERTH_TOKEN_REALM: the token URL
 *   clients are sent to, when the registry sits behind a proxy that changes its origin.
 * - BERTH_AUTH_MODE and BERTH_LDAP_* (BERTH_LDAP_URL → ldap_url, ...): deployment-time auth
 *   settings; the configurations API overrides them.
 */
export async function identityFromEnv(
  table: Table,
  env: Record<string, string | undefined>,
  log: (line: string) => void = (line) => console.log(line),
): Promise<Identity | undefined> {
  const password = env.BERTH_ADMIN_PASSWORD;
  const flag = env.BERTH_AUTH?.toLowerCase();
  if (flag === 'off' || (flag !== 'on' && !password)) return undefined;
  const identity = new Identity(table, {
    service: env.BERTH_SERVICE || 'berth',
    ...(env.BERTH_TOKEN_REALM ? { realm: env.BERTH_TOKEN_REALM } : {}),
    authConfig: authConfigFromEnv(env),
  });
  const result = await bootstrapIdentity(identity, password);
  if (result.generatedPassword) {
    log(JSON.stringify({ level: 'warn', message: 'created the system admin with a generated password; it is shown only this once', username: 'admin', password: result.generatedPassword }));
  }
  return identity;
}

/** BERTH_AUTH_MODE and BERTH_LDAP_* as Harbor's keys, typed and checked. */
export function authConfigFromEnv(env: Record<string, string | undefined>): Partial<AuthConfig> {
  const raw: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name === 'BERTH_AUTH_MODE') raw.auth_mode = value;
    else if (name.startsWith('BERTH_LDAP_')) {
      const key = `ldap_${name.slice('BERTH_LDAP_'.length).toLowerCase()}`;
      raw[key] = /^(ldap_scope|ldap_group_search_scope|ldap_timeout)$/.test(key) ? Number(value) : key === 'ldap_verify_cert' ? value === 'true' : value;
    }
  }
  const parsed = authConfigChangesSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid auth settings in the environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
