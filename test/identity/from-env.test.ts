import { describe, expect, test } from 'vitest';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { identityFromEnv } from '../../functions/identity/from-env.js';
import { verifyPassword } from '../../functions/identity/passwords.js';

describe('identity from the environment', () => {
  test('off unless BERTH_AUTH=on or BERTH_ADMIN_PASSWORD is set', async () => {
    expect(await identityFromEnv(new SqliteTable(':memory:'), {})).toBeUndefined();
    expect(await identityFromEnv(new SqliteTable(':memory:'), { BERTH_AUTH: 'off', BERTH_ADMIN_PASSWORD: 'x' })).toBeUndefined();
  });

  test('BERTH_ADMIN_PASSWORD sets the admin password on first start only', async () => {
    const table = new SqliteTable(':memory:');
    const lines: string[] = [];
    const identity = await identityFromEnv(table, { BERTH_ADMIN_PASSWORD: 'First-Passw0rd' }, (l) => lines.push(l));
    const admin = await identity!.users.get('admin');
    expect(admin?.sysadmin).toBe(true);
    expect(await verifyPassword('First-Passw0rd', admin!.passwordHash!)).toBe(true);
    expect(lines).toEqual([]);
    const again = await identityFromEnv(table, { BERTH_ADMIN_PASSWORD: 'Second-Passw0rd' }, (l) => lines.push(l));
    expect(await verifyPassword('First-Passw0rd', (await again!.users.get('admin'))!.passwordHash!)).toBe(true);
  });

  test('BERTH_AUTH=on without a password generates one and prints it once', async () => {
    const table = new SqliteTable(':memory:');
    const lines: string[] = [];
    const identity = await identityFromEnv(table, { BERTH_AUTH: 'on' }, (l) => lines.push(l));
    expect(lines).toHaveLength(1);
    const { password } = JSON.parse(lines[0]!) as { password: string };
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(await verifyPassword(password, (await identity!.users.get('admin'))!.passwordHash!)).toBe(true);
    await identityFromEnv(table, { BERTH_AUTH: 'on' }, (l) => lines.push(l));
    expect(lines).toHaveLength(1);
  });

  test('deployment-time LDAP settings, overridable by the API', async () => {
    const table = new SqliteTable(':memory:');
    const identity = await identityFromEnv(table, {
      BERTH_AUTH: 'on',
      BERTH_AUTH_MODE: 'ldap_auth',
      BERTH_LDAP_URL: 'ldap://127.0.0.1:3890',
      BERTH_LDAP_BASE_DN: 'dc=example,dc=test',
      BERTH_LDAP_SCOPE: '1',
      BERTH_LDAP_VERIFY_CERT: 'false',
      BERTH_SERVICE: 'registry.example',
    }, () => {});
    expect(await identity!.config.get()).toMatchObject({ auth_mode: 'ldap_auth', ldap_url: 'ldap://127.0.0.1:3890', ldap_scope: 1, ldap_verify_cert: false });
    expect(identity!.options.service).toBe('registry.example');
    await identity!.config.update({ ldap_scope: 2 });
    expect((await identity!.config.get()).ldap_scope).toBe(2);
    await expect(identityFromEnv(table, { BERTH_AUTH: 'on', BERTH_LDAP_SCOPE: '9' })).rejects.toThrow(/ldap_scope/);
    await expect(identityFromEnv(table, { BERTH_AUTH: 'on', BERTH_LDAP_URLL: 'x' })).rejects.toThrow(/invalid auth settings/);
  });
});
