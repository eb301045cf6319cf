import * as z from 'zod/mini';
import type { Item, Table } from '../../ports/table.js';
import { keys } from './keys.js';

/**
 * The settings Harbor exposes under `/api/v2.0/configurations` that Berth honours, with Harbor's
 * names and defaults. `ldap_scope` and `ldap_group_search_scope`: 0 base, 1 one level, 2 subtree.
 */
export const authConfigSchema = z.object({
  auth_mode: z.enum(['db_auth', 'ldap_auth']),
  project_creation_restriction: z.enum(['everyone', 'adminonly']),
  ldap_url: z.string(),
  ldap_search_dn: z.string(),
  ldap_search_password: z.string(),
  ldap_base_dn: z.string(),
  ldap_filter: z.string(),
  ldap_uid: z.string().check(z.minLength(1)),
  ldap_scope: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  ldap_timeout: z.int().check(z.minimum(1), z.maximum(300)),
  ldap_verify_cert: z.boolean(),
  ldap_group_base_dn: z.string(),
  ldap_group_search_filter: z.string(),
  ldap_group_attribute_name: z.string(),
  ldap_group_search_scope: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  ldap_group_admin_dn: z.string(),
  ldap_group_membership_attribute: z.string(),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;

/** Any subset of the settings, as stored or sent; unknown keys refused. */
export const authConfigChangesSchema = z.strictObject(z.partial(authConfigSchema).shape);

/** Keys never echoed back by the API. */
export const secretConfigKeys: ReadonlySet<keyof AuthConfig> = new Set(['ldap_search_password']);

export const defaultAuthConfig: AuthConfig = {
  auth_mode: 'db_auth',
  project_creation_restriction: 'everyone',
  ldap_url: '',
  ldap_search_dn: '',
  ldap_search_password: '',
  ldap_base_dn: '',
  ldap_filter: '',
  ldap_uid: 'uid',
  ldap_scope: 2,
  ldap_timeout: 5,
  ldap_verify_cert: true,
  ldap_group_base_dn: '',
  ldap_group_search_filter: '',
  ldap_group_attribute_name: 'cn',
  ldap_group_search_scope: 2,
  ldap_group_admin_dn: '',
  ldap_group_membership_attribute: 'memberof',
};

export class ConfigStore {
  /**
   * @param deployed settings given at deployment time; stored settings (from the API) win over
   * them key by key, and both win over Harbor's defaults.
   */
  constructor(
    private readonly table: Table,
    private readonly deployed: Partial<AuthConfig> = {},
  ) {}

  async get(): Promise<AuthConfig> {
    const item = await this.table.get(keys.authConfig);
    const stored = z.partial(authConfigSchema).safeParse(item?.settings ?? {});
    return { ...defaultAuthConfig, ...this.deployed, ...(stored.success ? stored.data : {}) };
  }

  /** Stores the given keys on top of what is stored; returns the effective settings. */
  async update(changes: Partial<AuthConfig>): Promise<AuthConfig> {
    const item = await this.table.get(keys.authConfig);
    const settings = { ...((item?.settings as Record<string, unknown>) ?? {}), ...changes };
    await this.table.put({ ...keys.authConfig, settings: settings as Item['settings'] });
    return this.get();
  }
}
