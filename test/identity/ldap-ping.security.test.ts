import { type AddressInfo, type Server, createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type TestApp, adminPassword, basic, identityApp } from '../support/identity-app.js';

/**
 * The stored LDAP search password goes only to the stored server. A listener stands in for a
 * server someone would like the password sent to: it records every byte of the bind it is sent
 * (a simple bind carries the password in clear) and answers nothing.
 */
const storedPassword = 'the-stored-search-password';
const admin = basic('admin', adminPassword);
let t: TestApp;
let trap: Server;
let received: Buffer[];
let trapUrl: string;

beforeEach(async () => {
  t = await identityApp();
  await t.identity.config.update({ ldap_url: 'ldap://127.0.0.1:1', ldap_search_dn: 'cn=search,dc=example,dc=test', ldap_search_password: storedPassword, ldap_base_dn: 'dc=example,dc=test', ldap_timeout: 1 });
  received = [];
  trap = createServer((socket) => {
    socket.on('data', (data) => received.push(data));
    socket.on('error', () => undefined);
    setTimeout(() => socket.destroy(), 300);
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapUrl = `ldap://127.0.0.1:${(trap.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((resolve) => trap.close(resolve));
});

function call(method: string, path: string, body: unknown) {
  return t.request(`/api/v2.0${path}`, { method, headers: { authorization: admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('LDAP ping', () => {
  test('to another server without a password of its own is refused, and nothing is sent there', async () => {
    const response = await call('POST', '/ldap/ping', { ldap_url: trapUrl });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/ldap_search_password is required/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(Buffer.concat(received).length).toBe(0);
  });

  test('to another server with its own password sends that password, never the stored one', async () => {
    const response = await call('POST', '/ldap/ping', { ldap_url: trapUrl, ldap_search_password: 'a-password-for-the-trap' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { success: boolean }).success).toBe(false);
    const bytes = Buffer.concat(received).toString('latin1');
    expect(bytes).toContain('a-password-for-the-trap');
    expect(bytes).not.toContain(storedPassword);
  });

  test('the stored server is pinged with the stored password (a trailing slash is the same server)', async () => {
    await t.identity.config.update({ ldap_url: trapUrl });
    const response = await call('POST', '/ldap/ping', { ldap_url: `${trapUrl}/` });
    expect(response.status).toBe(200);
    expect(Buffer.concat(received).toString('latin1')).toContain(storedPassword);
  });
});

describe('configurations', () => {
  test('moving to another server needs that server\'s password in the same change', async () => {
    const moved = await call('PUT', '/configurations', { ldap_url: trapUrl });
    expect(moved.status).toBe(400);
    expect((await t.identity.config.get()).ldap_url).toBe('ldap://127.0.0.1:1');
    expect((await call('PUT', '/configurations', { ldap_url: trapUrl, ldap_search_password: 'new-one' })).status).toBe(200);
    expect((await t.identity.config.get()).ldap_search_password).toBe('new-one');
  });
});
