import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, variables } from '../../functions/config.js';
import { berthVersion } from '../../functions/ops/version.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** README's variable table as it must read: one row per entry of `variables`, in order. */
function variableTable(): string {
  const rows = Object.entries(variables).map(([name, variable]) => `| \`${name}\` | ${variable.doc.replaceAll('|', '\\|')} |`);
  return ['| variable | meaning |', '|---|---|', ...rows].join('\n');
}

describe('one configuration', () => {
  test('README lists every variable, as config.ts says it (regenerate the table from this test on failure)', () => {
    const start = readme.indexOf('<!-- variables:start -->');
    const end = readme.indexOf('<!-- variables:end -->');
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + '<!-- variables:start -->'.length, end).trim()).toBe(variableTable());
  });

  test('typed values and defaults left to the entry points', () => {
    const config = loadConfig({ PORT: '8080', BERTH_AWS_MAX_ATTEMPTS: '3', BERTH_LDAP_VERIFY_CERT: 'false', BERTH_AUTH: '' });
    expect(config.PORT).toBe(8080);
    expect(config.BERTH_AWS_MAX_ATTEMPTS).toBe(3);
    expect(config.BERTH_LDAP_VERIFY_CERT).toBe('false');
    expect(config.BERTH_AUTH).toBeUndefined();
  });

  test.each([
    [{ PORT: '70000' }, /^PORT="70000" is not allowed/],
    [{ BERTH_AUTH: 'ON ' }, /^BERTH_AUTH="ON " is not allowed: `on` or `off`/],
    [{ BERTH_UPLOAD_TOKEN_SECRET: 'short' }, /^BERTH_UPLOAD_TOKEN_SECRET=\(hidden\) is not allowed/],
    [{ BERTH_TABEL: 'x' }, /^BERTH_TABEL is not a Berth variable: did you mean BERTH_TABLE\?$/],
    [{ BERTH_LDAP_PASSWORD: 'x' }, /^BERTH_LDAP_PASSWORD is not a Berth variable: did you mean one of BERTH_LDAP_URL, /],
    [{ BERTH_BACKEND: 'aws', BERTH_BUCKET: 'b-1', BERTH_TABLE: 't-1' }, /^BERTH_QUEUE_URL must be set with BERTH_BACKEND=aws/],
    [{ BERTH_UPLOAD_SERVICE_URL: 'https://uploads.example' }, /^BERTH_UPLOAD_TOKEN_SECRET \(at least 32 characters\) must be set with BERTH_UPLOAD_SERVICE_URL$/],
    [{ BERTH_TLS_KEY: 'k.pem' }, /^BERTH_TLS_CERT and BERTH_TLS_KEY go together/],
    [{ BERTH_AUTH_MODE: 'ldap_auth' }, /^BERTH_LDAP_URL must be set with BERTH_AUTH_MODE=ldap_auth$/],
  ])('refused: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('names far from any variable (test harness settings) are not refused', () => {
    expect(() => loadConfig({ BERTH_CRASH_SEED: '1', BERTH_QUEUE_NAME: 'x' })).not.toThrow();
  });

  test('secrets never appear in a refusal', () => {
    expect(() => loadConfig({ BERTH_ADMIN_PASSWORD: '', BERTH_UPLOAD_TOKEN_SECRET: 'hunter2' })).toThrow(/^(?!.*hunter2)/);
  });

  test('systeminfo reports the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(berthVersion).toBe(pkg.version);
  });
});
