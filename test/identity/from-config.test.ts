import { describe, expect, test } from 'vitest';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { loadConfig } from '../../functions/config.js';
import { identityFromConfig } from '../../functions/identity/from-config.js';
import { verifyPassword } from '../../functions/identity/passwords.js';

const quiet = () => {};

describe('identity from the settings', () => {
  test('off on fresh data unless BERTH_AUTH=on or BERTH_ADMIN_PASSWORD is set', async () => {
    expect(await identityFromConfig(new SqliteTable(':memory:'), loadConfig({}))).toBeUndefined();
    expect(await identityFromConfig(new SqliteTable(':memory:'), loadConfig({ BERTH_AUTH: 'off', BERTH_ADMIN_PASSWORD: 'x' }), quiet)).toBeUndefined();
  });

  test('once on for a table, it stays on without the password; only BERTH_AUTH=off turns it off, with a warning', async () => {
    const table = new SqliteTable(':memory:');
    await identityFromConfig(table, loadConfig({ BERTH_ADMIN_PASSWORD: 'First-Passw0rd' }), quiet);
    const again = await identityFromConfig(table, loadConfig({}), quiet);
    expect(again).toBeDefined();
    expect(await verifyPassword('First-Passw0rd', (await again!.users.get('admin'))!.passwordHash!)).toBe(true);
    const notices: string[] = [];
    expect(await identityFromConfig(table, loadConfig({ BERTH_AUTH: 'off' }), (message) => notices.push(message))).toBeUndefined();
    expect(notices).toEqual([expect.stringMatching(/now OFF/)]);
    // An explicit off leaves the marker: the next start without settings is secured again.
    expect(await identityFromConfig(table, loadConfig({}), quiet)).toBeDefined();
  });

  test('BERTH_ADMIN_PASSWORD sets the admin password on first start only', async () => {
    const table = new SqliteTable(':memory:');
    const notices: string[] = [];
    const identity = await identityFromConfig(table, loadConfig({ BERTH_ADMIN_PASSWORD: 'First-Passw0rd' }), (message) => notices.push(message));
    const admin = await identity!.users.get('admin');
    expect(admin?.sysadmin).toBe(true);
    expect(await verifyPassword('First-Passw0rd', admin!.passwordHash!)).toBe(true);
    expect(notices).toEqual([]);
    const again = await identityFromConfig(table, loadConfig({ BERTH_ADMIN_PASSWORD: 'Second-Passw0rd' }), (message) => notices.push(message));
    expect(await verifyPassword('First-Passw0rd', (await again!.users.get('admin'))!.passwordHash!)).toBe(true);
  });

  test('BERTH_AUTH=on without a password generates one and shows it once', async () => {
    const table = new SqliteTable(':memory:');
    const passwords: string[] = [];
    const identity = await identityFromConfig(table, loadConfig({ BERTH_AUTH: 'on' }), (_message, fields) => passwords.push(fields.password as string));
    expect(passwords).toHaveLength(1);
    expect(passwords[0]!.length).toBeGreaterThanOrEqual(20);
    expect(await verifyPassword(passwords[0]!, (await identity!.users.get('admin'))!.passwordHash!)).toBe(true);
    await identityFromConfig(table, loadConfig({ BERTH_AUTH: 'on' }), (_message, fields) => passwords.push(fields.password as string));
    expect(passwords).toHaveLength(1);
  });

  test('deployment-time LDAP settings, overridable by the API', async () => {
    const table = new SqliteTable(':memory:');
    const identity = await identityFromConfig(table, loadConfig({
      BERTH_AUTH: 'on',
      BERTH_AUTH_MODE: 'ldap_auth',
      BERTH_LDAP_URL: 'ldap://127.0.0.1:3890',
      BERTH_LDAP_BASE_DN: 'dc=example,dc=test',
      BERTH_LDAP_SCOPE: '1',
      BERTH_LDAP_VERIFY_CERT: 'false',
      BERTH_SERVICE: 'registry.example',
    }), quiet);
    expect(await identity!.config.get()).toMatchObject({ auth_mode: 'ldap_auth', ldap_url: 'ldap://127.0.0.1:3890', ldap_scope: 1, ldap_verify_cert: false });
    expect(identity!.options.service).toBe('registry.example');
    await identity!.config.update({ ldap_scope: 2 });
    expect((await identity!.config.get()).ldap_scope).toBe(2);
    expect(() => loadConfig({ BERTH_AUTH: 'on', BERTH_LDAP_SCOPE: '9' })).toThrow(/^BERTH_LDAP_SCOPE="9" is not allowed/);
    expect(() => loadConfig({ BERTH_AUTH: 'on', BERTH_LDAP_URLL: 'x' })).toThrow('BERTH_LDAP_URLL is not a Berth variable: did you mean BERTH_LDAP_URL?');
  });
});
