import type { AuthConfig } from './stores/config-store.js';

/** Someone the directory vouched for. */
export interface DirectoryUser {
  dn: string;
  username: string;
  email: string;
  realname: string;
  /** DNs of the groups the user belongs to, lower-cased. */
  groups: string[];
  /** Member of `ldap_group_admin_dn`. */
  admin: boolean;
}

/** The directory could not be asked (unreachable, timed out, the search account refused). */
export class DirectoryUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectoryUnavailableError';
  }
}

/** Checks a login against a directory: the user, or null for an unknown name or a wrong password. */
export interface Directory {
  authenticate(username: string, password: string): Promise<DirectoryUser | null>;
  /** Checks the connection and search account; throws DirectoryUnavailableError. */
  ping(): Promise<void>;
}

/**
 * The LDAP directory for these settings. ldapts loads only here, on first use: deployments
 * without LDAP never load it.
 */
export function ldapDirectory(config: AuthConfig): Directory {
  const load = import('./ldap-directory.js').then(({ LdapDirectory }) => new LdapDirectory(config));
  load.catch(() => undefined);
  return {
    authenticate: async (username, password) => (await load).authenticate(username, password),
    ping: async () => (await load).ping(),
  };
}

/** DNs compare case-insensitively and without spaces after separators. */
export function normalizeDn(dn: string): string {
  return dn
    .split(',')
    .map((part) => part.trim())
    .join(',')
    .toLowerCase();
}
