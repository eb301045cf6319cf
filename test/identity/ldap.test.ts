import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DirectoryUnavailableError, normalizeDn } from '../../functions/identity/directory.js';
import { LdapDirectory } from '../../functions/identity/ldap-directory.js';
import { defaultAuthConfig, type AuthConfig } from '../../functions/identity/stores/config-store.js';
import { keys } from '../../functions/identity/stores/keys.js';
import { freePort } from '../support/moto.js';
import { type TestApp, adminPassword, basic, fetchToken, identityApp, service } from '../support/identity-app.js';
import { type Slapd, ldapAdmin, ldapBase, startSlapd } from '../support/slapd.js';

/** LDAP login against a real slapd: bind-and-search, groups, admin group, failures. */
let slapd: Slapd;
let config: AuthConfig;

beforeAll(async () => {
  slapd = await startSlapd();
  config = {
    ...defaultAuthConfig,
    auth_mode: 'ldap_auth',
    ldap_url: slapd.url,
    ldap_search_dn: ldapAdmin.dn,
    ldap_search_password: ldapAdmin.password,
    ldap_base_dn: `ou=people,${ldapBase}`,
    ldap_filter: '(objectClass=inetOrgPerson)',
    ldap_uid: 'uid',
    ldap_group_admin_dn: `cn=registry-admins,ou=groups,${ldapBase}`,
  };
});

afterAll(async () => {
  await slapd?.stop();
});

describe('LdapDirectory', () => {
  test('a right password finds the user, their groups (memberOf) and details', async () => {
    const user = await new LdapDirectory(config).authenticate('alice', 'alicepw');
    expect(user).toEqual({
      dn: `uid=alice,ou=people,${ldapBase}`,
      username: 'alice',
      email: 'alice@bench.test',
      realname: 'Alice',
      groups: [normalizeDn(`cn=pushers,ou=groups,${ldapBase}`)],
      admin: false,
    });
    expect((await new LdapDirectory(config).authenticate('carol', 'carolpw'))?.admin).toBe(true);
  });

  test('groups found by searching the group base when the membership attribute is absent', async () => {
    const directory = new LdapDirectory({ ...config, ldap_group_membership_attribute: 'notAnAttribute', ldap_group_base_dn: `ou=groups,${ldapBase}` });
    expect((await directory.authenticate('alice', 'alicepw'))?.groups).toEqual([normalizeDn(`cn=pushers,ou=groups,${ldapBase}`)]);
  });

  test.each([
    ['a wrong password', 'alice', 'bobpw'],
    ['an empty password (an unauthenticated bind would succeed)', 'alice', ''],
    ['an unknown user', 'mallory', 'alicepw'],
    ['a filter injection', 'alice)(uid=*', 'alicepw'],
    ['a wildcard name', '*', 'alicepw'],
    ['another user\'s password', 'bob', 'alicepw'],
  ])('%s is refused', async (_label, username, password) => {
    expect(await new LdapDirectory(config).authenticate(username, password)).toBeNull();
  });

  test('a search account with a wrong password is "unavailable", not "wrong user password"', async () => {
    await expect(new LdapDirectory({ ...config, ldap_search_password: 'nope' }).authenticate('alice', 'alicepw')).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  test('an unreachable server fails fast with DirectoryUnavailableError', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(new LdapDirectory({ ...config, ldap_url: `ldap://127.0.0.1:${port}`, ldap_timeout: 2 }).authenticate('alice', 'alicepw')).rejects.toBeInstanceOf(DirectoryUnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('LDAP through the app', () => {
  let t: TestApp;
  const admin = basic('admin', adminPassword);
  const json = (auth: string, body: unknown, method = 'POST') => ({
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  beforeAll(async () => {
    t = await identityApp();
    const { auth_mode, ldap_url, ldap_search_dn, ldap_search_password, ldap_base_dn, ldap_filter, ldap_uid, ldap_group_admin_dn } = config;
    const put = await t.request('/api/v2.0/configurations', json(admin, { auth_mode, ldap_url, ldap_search_dn, ldap_search_password, ldap_base_dn, ldap_filter, ldap_uid, ldap_group_admin_dn }, 'PUT'));
    expect(put.status).toBe(200);
    expect((await t.request('/api/v2.0/projects', json(admin, { project_name: 'builds' }))).status).toBe(201);
    // Harbor-style group membership: the LDAP group `pushers` are developers of `builds`.
    const member = await t.request('/api/v2.0/projects/builds/members', json(admin, { role_id: 2, member_group: { ldap_group_dn: `cn=pushers,ou=groups,${ldapBase}`, group_type: 1 } }));
    expect(member.status).toBe(201);
  });

  test('ldap ping checks the settings', async () => {
    const ok = await t.request('/api/v2.0/ldap/ping', json(admin, {}));
    expect(await ok.json()).toEqual({ success: true });
    const bad = await t.request('/api/v2.0/ldap/ping', json(admin, { ldap_search_password: 'wrong' }));
    expect(((await bad.json()) as { success: boolean }).success).toBe(false);
  });

  test('a group member logs in (user created on first login) and gets the group role', async () => {
    expect(await t.identity.users.get('alice')).toBeNull();
    const { scope } = await fetchToken(t, ['repository:builds/app:pull,push'], { login: 'alice', password: 'alicepw' });
    expect(scope).toBe('repository:builds/app:pull,push');
    expect(await t.identity.users.get('alice')).toMatchObject({ source: 'ldap', email: 'alice@bench.test', passwordHash: null, sysadmin: false });
    const users = (await (await t.request('/api/v2.0/users', { headers: { authorization: admin } })).json()) as { username: string }[];
    expect(users.map((u) => u.username)).toContain('alice');
  });

  test('a directory user outside the group gets nothing on the private project', async () => {
    const { scope } = await fetchToken(t, ['repository:builds/app:pull,push'], { login: 'bob', password: 'bobpw' });
    expect(scope).toBe('');
  });

  test('the admin group makes a system admin', async () => {
    const { scope } = await fetchToken(t, ['registry:catalog:*'], { login: 'carol', password: 'carolpw' });
    expect(scope).toBe('registry:catalog:*');
  });

  test('wrong directory passwords are 401 and count towards throttling', async () => {
    const response = await t.request(`/service/token?service=${service}`, { headers: { authorization: basic('bob', 'wrong') } });
    expect(response.status).toBe(401);
    expect((await t.table.get(keys.throttle('bob', 'unknown')))?.failures).toBe(1);
  });

  test('local accounts still log in in LDAP mode, and a name stays with its source', async () => {
    expect((await fetchToken(t, [], { login: 'admin', password: adminPassword })).token).toBeTruthy();
    const response = await t.request(`/service/token?service=${service}`, { headers: { authorization: basic('alice', 'wrong') } });
    expect(response.status).toBe(401);
  });

  test('an unreachable directory answers 503 and does not count as a failed login', async () => {
    const port = await freePort();
    await t.identity.config.update({ ldap_url: `ldap://127.0.0.1:${port}`, ldap_timeout: 2 });
    try {
      const response = await t.request(`/service/token?service=${service}`, { headers: { authorization: basic('carol', 'carolpw') } });
      expect(response.status).toBe(503);
      expect(await t.table.get(keys.throttle('carol', 'unknown'))).toBeNull();
    } finally {
      await t.identity.config.update({ ldap_url: slapd.url });
    }
  });
});
