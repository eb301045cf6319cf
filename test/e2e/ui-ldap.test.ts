import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Slapd, ldapAdmin, ldapBase, startSlapd } from '../support/slapd.js';
import { startBerthServer } from './support/berth-server.js';
import { launchChromium, screenshotDir } from './support/browser.js';
import type { RegistryServer } from './support/registry-server.js';

/**
 * LDAP through the web UI against a real OpenLDAP: a system admin switches the auth mode to LDAP
 * on the configuration page (testing the server first), then directory users sign in on the same
 * form as local ones, and members of the admin group get Administration.
 */
const adminPassword = 'Ldap-Admin-Passw0rd';

let slapd: Slapd;
let server: RegistryServer;
let browser: Browser;
let shots: string;
const problems: string[] = [];

async function signIn(username: string, password: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${server.url}/harbor/sign-in`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  return page;
}

beforeAll(async () => {
  slapd = await startSlapd();
  server = await startBerthServer({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
  browser = await launchChromium();
  shots = await screenshotDir('ui-ldap');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await slapd?.stop();
});

describe('LDAP in the web UI', () => {
  test('a system admin tests and saves the LDAP settings on the configuration page', async () => {
    const page = await signIn('admin', adminPassword);
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('link', { name: 'Configuration' }).click();
    await page.getByLabel('LDAP URL').fill(slapd.url);
    await page.getByLabel('Search DN').fill(ldapAdmin.dn);
    await page.getByLabel('Search password').fill('wrong-password');
    await page.getByLabel('Base DN', { exact: true }).fill(`ou=people,${ldapBase}`);
    await page.getByLabel('Filter', { exact: true }).fill('(objectClass=inetOrgPerson)');
    await page.getByLabel('UID attribute').fill('uid');
    await page.getByLabel('Group DN of system admins').fill(`cn=registry-admins,ou=groups,${ldapBase}`);
    await page.getByRole('button', { name: 'Test LDAP server' }).click();
    await expect.poll(() => page.locator('form .error').textContent()).toMatch(/^LDAP test failed/);
    await page.getByLabel('Search password').fill(ldapAdmin.password);
    await page.getByRole('button', { name: 'Test LDAP server' }).click();
    await expect.poll(() => page.locator('form p.ok').textContent()).toMatch(/answered/);
    await page.getByLabel('Auth mode').selectOption('ldap_auth');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Configuration saved.').waitFor();
    await page.screenshot({ path: join(shots, '01-configuration.png'), fullPage: true });
    const stored = await fetch(`${server.url}/api/v2.0/configurations`, { headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` } });
    const config = (await stored.json()) as Record<string, { value: unknown }>;
    expect(config.auth_mode?.value).toBe('ldap_auth');
    expect(config.ldap_url?.value).toBe(slapd.url);
    // The search password is written, never read back.
    expect(JSON.stringify(config)).not.toContain(ldapAdmin.password);
    await page.context().close();
  });

  test('a directory user signs in on the same form; a member of the admin group gets Administration', async () => {
    const alice = await signIn('alice', 'alicepw');
    await alice.getByRole('heading', { name: 'Projects' }).waitFor();
    expect(await alice.getByRole('link', { name: 'alice' }).count()).toBe(1);
    expect(await alice.getByRole('link', { name: 'Administration' }).count()).toBe(0);
    await alice.context().close();
    const carol = await signIn('carol', 'carolpw');
    await carol.getByRole('link', { name: 'Administration' }).waitFor();
    expect(await carol.getByRole('link', { name: 'carol' }).count()).toBe(1);
    await carol.context().close();
    const wrong = await signIn('alice', 'not-her-password');
    await expect.poll(() => wrong.getByRole('alert').textContent()).toMatch(/Invalid username or password/);
    await wrong.context().close();
  });

  test('no script error', () => {
    expect(problems).toEqual([]);
  });
});
