import { Client, InvalidCredentialsError } from 'ldapts';
import { type Directory, DirectoryUnavailableError, type DirectoryUser, normalizeDn } from './directory.js';
import type { AuthConfig } from './stores/config-store.js';

const scopes = { 0: 'base', 1: 'one', 2: 'sub' } as const;

/**
 * LDAP/AD login the way Harbor does it: bind with the search account, find exactly one entry by
 * `ldap_uid` under `ldap_base_dn` (narrowed by `ldap_filter`), then bind as that entry with the
 * given password. Groups come from the membership attribute (`memberOf`, which AD and slapd's
 * memberof overlay maintain) and, when a group base DN is set, from a search for groups naming
 * the user as `member` or `uniqueMember`.
 */
export class LdapDirectory implements Directory {
  constructor(private readonly config: AuthConfig) {}

  /** The user, or null when the name is unknown, ambiguous or the password is wrong. */
  async authenticate(username: string, password: string): Promise<DirectoryUser | null> {
    // An empty password would be an unauthenticated bind, which LDAP servers accept (RFC 4513 5.1.2).
    if (password === '' || username === '') return null;
    const c = this.config;
    const search = this.client();
    try {
      try {
        if (c.ldap_search_dn) await search.bind(c.ldap_search_dn, c.ldap_search_password);
      } catch (error) {
        throw new DirectoryUnavailableError('the LDAP search account could not bind', { cause: error });
      }
      const userFilter = `(${c.ldap_uid}=${escapeFilterValue(username)})`;
      const filter = c.ldap_filter ? `(&${wrap(c.ldap_filter)}${userFilter})` : userFilter;
      const membership = c.ldap_group_membership_attribute || 'memberof';
      const { searchEntries } = await search.search(c.ldap_base_dn, {
        scope: scopes[c.ldap_scope],
        filter,
        sizeLimit: 2,
        attributes: [c.ldap_uid, 'mail', 'cn', 'displayName', membership],
      });
      if (searchEntries.length !== 1) return null;
      const entry = searchEntries[0]!;
      if (!(await this.passwordMatches(entry.dn, password))) return null;

      const groups = new Set(values(entry[Object.keys(entry).find((k) => k.toLowerCase() === membership.toLowerCase()) ?? '']).map(normalizeDn));
      if (c.ldap_group_base_dn) {
        const dn = escapeFilterValue(entry.dn);
        const groupFilter = `(&${wrap(c.ldap_group_search_filter || '(objectClass=*)')}(|(member=${dn})(uniqueMember=${dn})))`;
        const found = await search.search(c.ldap_group_base_dn, { scope: scopes[c.ldap_group_search_scope], filter: groupFilter, attributes: ['dn'] });
        for (const group of found.searchEntries) groups.add(normalizeDn(group.dn));
      }
      return {
        dn: entry.dn,
        username,
        email: values(entry.mail)[0] ?? '',
        realname: values(entry.displayName)[0] ?? values(entry.cn)[0] ?? username,
        groups: [...groups],
        admin: c.ldap_group_admin_dn !== '' && groups.has(normalizeDn(c.ldap_group_admin_dn)),
      };
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) throw error;
      throw new DirectoryUnavailableError(`LDAP search failed: ${(error as Error).message}`, { cause: error });
    } finally {
      await search.unbind().catch(() => undefined);
    }
  }

  /** Checks the connection and search account, for `POST /api/v2.0/ldap/ping`. */
  async ping(): Promise<void> {
    const client = this.client();
    try {
      if (this.config.ldap_search_dn) await client.bind(this.config.ldap_search_dn, this.config.ldap_search_password);
      else await client.search(this.config.ldap_base_dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['dn'] });
    } catch (error) {
      throw new DirectoryUnavailableError(`LDAP ping failed: ${(error as Error).message}`, { cause: error });
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  private async passwordMatches(dn: string, password: string): Promise<boolean> {
    const client = this.client();
    try {
      await client.bind(dn, password);
      return true;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) return false;
      throw new DirectoryUnavailableError(`LDAP bind failed: ${(error as Error).message}`, { cause: error });
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  private client(): Client {
    const ms = this.config.ldap_timeout * 1000;
    const secure = this.config.ldap_url.toLowerCase().startsWith('ldaps://');
    // ldapts speaks TLS whenever tlsOptions is given, so plain ldap:// must go without it.
    return new Client({
      url: this.config.ldap_url,
      timeout: ms,
      connectTimeout: ms,
      ...(secure ? { tlsOptions: { rejectUnauthorized: this.config.ldap_verify_cert } } : {}),
    });
  }
}

/** RFC 4515 value escaping, so a login name cannot add filter syntax. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function wrap(filter: string): string {
  const trimmed = filter.trim();
  return trimmed.startsWith('(') ? trimmed : `(${trimmed})`;
}

function values(value: unknown): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}
