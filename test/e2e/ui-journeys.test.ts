import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBerthServer } from './support/berth-server.js';
import { launchChromium, screenshotDir } from './support/browser.js';
import { type ContainersTools, createContainersTools } from './support/containers-tools.js';
import { OciLayout } from './support/oci-layout.js';
import { type TempDir, makeTempDir } from './support/process.js';
import type { RegistryServer } from './support/registry-server.js';

/**
 * The web UI in a real browser against `npm start` with auth on: a person logs in, creates a
 * project, adds a member, makes a robot account whose secret then pushes with skopeo, finds the
 * image and deletes a tag, and logs out. Every page visited is screenshotted, checked for
 * unlabelled controls, script errors and CSP violations.
 */
const adminPassword = 'Ui-Admin-Passw0rd';

let server: RegistryServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let tools: ContainersTools;
let work: TempDir;
let shots: string;
const problems: string[] = [];
const stops: (() => Promise<void>)[] = [];

async function api(path: string): Promise<Response> {
  return fetch(`${server.url}/api/v2.0${path}`, { headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` } });
}

/** Screenshot, and every form control on the page must carry a label. */
async function snap(name: string, target: Page = page): Promise<void> {
  await target.waitForLoadState('networkidle');
  await target.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const unlabelled = await target.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')]
      .filter((e) => (e as HTMLInputElement).type !== 'hidden' && !(e as HTMLInputElement).labels?.length && !e.getAttribute('aria-label'))
      .map((e) => e.outerHTML),
  );
  expect(unlabelled, `unlabelled controls on ${name}`).toEqual([]);
}

function watch(target: Page): void {
  target.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  target.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
}

beforeAll(async () => {
  server = await startBerthServer({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
  stops.push(() => server.stop());
  tools = await createContainersTools();
  stops.push(() => tools.remove());
  work = await makeTempDir('ui');
  stops.push(() => work.remove());
  shots = await screenshotDir('ui-journeys');
  browser = await launchChromium();
  stops.push(() => browser.close());
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  watch(page);
  console.log(`screenshots in ${shots}`);
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
});

describe('the journeys', () => {
  test('log in with the keyboard alone; the session cookie is HttpOnly and SameSite=Strict', async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.url()).toMatch(/\/harbor\/sign-in/);
    await snap('01-sign-in');
    // The field has focus on arrival; focus is visibly outlined.
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.type(adminPassword);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    await expect.poll(() => page.url()).toMatch(/\/harbor\/projects$/);
    const cookies = await context.cookies();
    const sid = cookies.find((c) => c.name === 'sid')!;
    expect(sid).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('sid=');
    await snap('02-projects-empty');
  });

  test('a wrong password reads as a message, not a failure', async () => {
    const other = await context.browser()!.newContext();
    const fresh = await other.newPage();
    watch(fresh);
    await fresh.goto(`${server.url}/harbor/sign-in`);
    await fresh.getByLabel('Username').fill('admin');
    await fresh.getByLabel('Password').fill('Wrong-Passw0rd');
    await fresh.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => fresh.getByRole('alert').textContent()).toMatch(/Invalid username or password/);
    await other.close();
  });

  test('create a user in Administration', async () => {
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username').fill('dev1');
    await dialog.getByLabel('Email').fill('dev1@example.test');
    await dialog.getByLabel('Full name').fill('Dev One');
    await dialog.getByLabel('Password').fill('Dev1-Passw0rd');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'dev1', exact: true }).waitFor();
    await snap('03-admin-users');
  });

  test('create a project; its empty state gives the push commands', async () => {
    await page.getByRole('link', { name: 'Projects' }).first().click();
    await page.getByRole('button', { name: 'New project' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Project name').fill('journey');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'journey' }).waitFor();
    await expect.poll(() => page.url()).toMatch(/\/harbor\/projects\/journey$/);
    expect((await api('/projects/journey')).status).toBe(200);
    await page.getByText(`docker push ${server.host}/journey/REPOSITORY[:TAG]`).waitFor();
    await snap('04-project-new');
  });

  test('an invalid project name shows the API’s message and creates nothing', async () => {
    await page.getByRole('link', { name: 'Projects' }).first().click();
    await page.getByRole('button', { name: 'New project' }).click();
    const dialog = page.getByRole('dialog');
    // The browser's own pattern check is bypassed to see what the API says.
    await dialog.getByLabel('Project name').evaluate((input) => input.removeAttribute('pattern'));
    await dialog.getByLabel('Project name').fill('Bad_Name');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/project_name must be lower-case/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await api('/projects/Bad_Name')).status).toBe(404);
  });

  test('add a member with a role, then change the role', async () => {
    await page.goto(`${server.url}/harbor/projects/journey/members`);
    await page.getByRole('button', { name: 'Add member' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username or group DN').fill('dev1');
    await dialog.getByLabel('Role').selectOption({ label: 'Developer' });
    await dialog.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('cell', { name: 'dev1', exact: true }).waitFor();
    const members = (await (await api('/projects/journey/members')).json()) as { entity_name: string; role_id: number }[];
    expect(members.find((m) => m.entity_name === 'dev1')?.role_id).toBe(2);
    await page.getByLabel('Role of dev1').selectOption({ label: 'Maintainer' });
    await expect
      .poll(async () => ((await (await api('/projects/journey/members')).json()) as { entity_name: string; role_id: number }[]).find((m) => m.entity_name === 'dev1')?.role_id)
      .toBe(4);
    await snap('05-members');
  });

  let robot = { name: '', secret: '' };

  test('create a robot account: the secret is shown once, then gone from the page', async () => {
    await page.getByRole('link', { name: 'Robot accounts' }).click();
    await page.getByRole('button', { name: 'New robot account' }).click();
    const form = page.getByRole('dialog');
    await form.getByLabel('Name', { exact: true }).fill('ci');
    await form.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByRole('dialog', { name: 'Robot account created' });
    await shown.waitFor();
    robot = { name: 'robot$journey+ci', secret: (await shown.locator('code.secret').textContent())! };
    expect(robot.secret.length).toBeGreaterThan(20);
    await snap('06-robot-secret');
    await shown.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('cell', { name: robot.name, exact: true }).waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await page.content()).not.toContain(robot.secret);
    await snap('07-robots');
  });

  test('the robot’s secret pushes with skopeo', async () => {
    const layout = await OciLayout.create(join(work.path, 'layout'));
    const image = await layout.addImage({ layerSizes: [300 * 1024] });
    await layout.tag(image.manifest, 'v1');
    for (const tag of ['v1', 'v2']) {
      const pushed = await tools.skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', `${robot.name}:${robot.secret}`, `oci:${layout.dir}:v1`, `docker://${server.host}/journey/app:${tag}`], { allowFailure: true });
      expect(pushed.code, pushed.stderr).toBe(0);
    }
    const listed = await fetch(`${server.url}/v2/journey/app/tags/list`, { headers: { authorization: `Basic ${Buffer.from(`${robot.name}:${robot.secret}`).toString('base64')}` } });
    expect(((await listed.json()) as { tags: string[] }).tags.sort()).toEqual(['v1', 'v2']);
  });

  test('refresh the robot’s secret: the new one logs in, the old one no longer does', async () => {
    const tokenWith = (secret: string) =>
      fetch(`${server.url}/service/token?service=berth&scope=repository:journey/app:pull`, { headers: { authorization: `Basic ${Buffer.from(`${robot.name}:${secret}`).toString('base64')}` } }).then((r) => r.status);
    await page.goto(`${server.url}/harbor/projects/journey/robots`);
    await page.getByRole('button', { name: `Refresh the secret of ${robot.name}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Refresh secret' }).click();
    const shown = page.getByRole('dialog', { name: 'New robot secret' });
    const secret = (await shown.locator('code.secret').textContent())!;
    expect(secret).not.toBe(robot.secret);
    await shown.getByRole('button', { name: 'Close' }).click();
    expect(await tokenWith(secret)).toBe(200);
    expect(await tokenWith(robot.secret)).toBe(401);
    robot.secret = secret;
  });

  test('the search box finds the project', async () => {
    await page.getByRole('searchbox', { name: 'Search projects and repositories' }).fill('journ');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Search: journ' }).waitFor();
    await page.getByRole('link', { name: 'journey', exact: true }).waitFor();
    await snap('07b-search');
  });

  test('a user changes their own password on the account page', async () => {
    const own = await browser.newContext();
    const mine = await own.newPage();
    watch(mine);
    await mine.goto(`${server.url}/harbor/sign-in`);
    await mine.getByLabel('Username').fill('dev1');
    await mine.getByLabel('Password').fill('Dev1-Passw0rd');
    await mine.getByRole('button', { name: 'Log in' }).click();
    await mine.getByRole('link', { name: 'dev1' }).click();
    await mine.getByLabel('Current password').fill('Dev1-Passw0rd');
    await mine.getByLabel('New password', { exact: true }).fill('Dev1-Passw0rd-2');
    await mine.getByLabel('New password again').fill('Dev1-Passw0rd-2');
    await mine.getByRole('button', { name: 'Change password' }).click();
    await mine.getByText('Password changed.').waitFor();
    await snap('07c-account', mine);
    const check = (password: string) =>
      fetch(`${server.url}/api/v2.0/users/current`, { headers: { authorization: `Basic ${Buffer.from(`dev1:${password}`).toString('base64')}` } }).then((r) => r.status);
    expect(await check('Dev1-Passw0rd-2')).toBe(200);
    expect(await check('Dev1-Passw0rd')).toBe(401);
    // The UI holds no rules: a maintainer is offered the button, and the API's refusal is shown as a sentence.
    await mine.goto(`${server.url}/harbor/projects/journey/members`);
    await mine.getByRole('button', { name: 'Remove admin' }).click();
    await mine.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await mine.getByText(/You do not have permission for this/).waitFor();
    await snap('07d-refused', mine);
    const members = (await (await api('/projects/journey/members')).json()) as { entity_name: string }[];
    expect(members.map((m) => m.entity_name)).toContain('admin');
    await own.close();
  });

  test('a system admin resets another user’s password, and deletes a project', async () => {
    await page.goto(`${server.url}/harbor/admin/users`);
    await page.getByRole('button', { name: 'Reset the password of dev1' }).click();
    await page.getByRole('dialog').getByLabel('New password').fill('Dev1-Reset-Passw0rd');
    await page.getByRole('dialog').getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Password of dev1 changed.').waitFor();
    const login = await fetch(`${server.url}/api/v2.0/users/current`, { headers: { authorization: `Basic ${Buffer.from('dev1:Dev1-Reset-Passw0rd').toString('base64')}` } });
    expect(login.status).toBe(200);

    const made = await fetch(`${server.url}/api/v2.0/projects`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ project_name: 'short-lived' }),
    });
    expect(made.status).toBe(201);
    await page.goto(`${server.url}/harbor/projects/short-lived`);
    await page.getByRole('button', { name: 'Delete project' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    expect((await api('/projects/short-lived')).status).toBe(404);
  });

  test('see the image with its tags and size, then delete a tag', async () => {
    await page.goto(`${server.url}/harbor/projects/journey`);
    expect((await api('/projects/journey/repositories')).status).toBe(200);
    await page.getByRole('link', { name: 'journey/app' }).click();
    await page.getByRole('heading', { name: 'app' }).waitFor();
    await page.getByRole('button', { name: 'Delete tag v2' }).waitFor();
    await expect.poll(() => page.locator('td[data-label="Size"]').first().textContent()).toMatch(/KiB|MiB/);
    await snap('08-repository');
    await page.getByRole('button', { name: 'Delete tag v2' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete tag' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Delete tag v2' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Delete tag v1' }).waitFor();
    const tags = await fetch(`${server.url}/v2/journey/app/tags/list`, { headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` } });
    expect(((await tags.json()) as { tags: string[] }).tags).toEqual(['v1']);
    await page.locator('td[data-label="Digest"] a').first().click();
    await page.getByRole('heading', { name: 'Pull commands' }).waitFor();
    await snap('09-artifact');
  });

  test('a system robot made in Administration pulls from any project', async () => {
    await page.goto(`${server.url}/harbor/admin/robots`);
    await page.getByRole('button', { name: 'New robot account' }).click();
    const form = page.getByRole('dialog');
    await form.getByLabel('Name', { exact: true }).fill('mirror');
    await form.getByLabel('Push').uncheck();
    await form.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByRole('dialog', { name: 'Robot account created' });
    const secret = (await shown.locator('code.secret').textContent())!;
    await snap('17e-admin-robot-secret');
    await shown.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('cell', { name: 'robot$mirror', exact: true }).waitFor();
    const inspected = await tools.skopeo(['inspect', '--tls-verify=false', '--creds', `robot$mirror:${secret}`, `docker://${server.host}/journey/app:v1`], { allowFailure: true });
    expect(inspected.code, inspected.stderr).toBe(0);
    const pushed = await tools.skopeo(['copy', '--dest-tls-verify=false', '--src-tls-verify=false', '--src-creds', `robot$mirror:${secret}`, '--dest-creds', `robot$mirror:${secret}`, `docker://${server.host}/journey/app:v1`, `docker://${server.host}/journey/app:copy`], { allowFailure: true });
    expect(pushed.code).not.toBe(0);
  });

  test('text from the API is shown as text, never run as markup', async () => {
    const payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const made = await fetch(`${server.url}/api/v2.0/users`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'mallory', email: 'mallory@example.test', realname: payload.slice(0, 255), password: 'Mallory-Passw0rd' }),
    });
    expect(made.status).toBe(201);
    await page.goto(`${server.url}/harbor/admin/users`);
    await page.getByRole('cell', { name: 'mallory', exact: true }).waitFor();
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.getByText(payload).count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  test('every other page draws, with what exists and what does not yet', async () => {
    for (const [path, name] of [
      ['/harbor/projects/journey/policy', '10-policies'],
      ['/harbor/projects/journey/webhooks', '11-webhooks'],
      ['/harbor/projects/journey/logs', '12-logs'],
      ['/harbor/admin/registries', '13-admin-registries'],
      ['/harbor/admin/replications', '14-admin-replications'],
      ['/harbor/admin/scanners', '15-admin-scanners'],
      ['/harbor/admin/gc', '16-admin-gc'],
      ['/harbor/admin/cve-allowlist', '17-admin-cve-allowlist'],
      ['/harbor/admin/audit', '17b-admin-audit'],
      ['/harbor/admin/configuration', '18-admin-configuration'],
    ] as const) {
      await page.goto(`${server.url}${path}`);
      await page.locator('main h1').waitFor();
      await expect.poll(() => page.locator('main .loading').count(), { message: path }).toBe(0);
      await snap(name);
    }
    await page.goto(`${server.url}/harbor/admin/configuration`);
    await expect.poll(() => page.getByLabel('Auth mode').inputValue()).toBe('db_auth');
  });

  test('the policies page saves the project’s settings through the API', async () => {
    await page.goto(`${server.url}/harbor/projects/journey/policy`);
    await page.getByLabel('Public', { exact: true }).check();
    await page.getByLabel('Scan images on push').check();
    await page.getByLabel('Prevent vulnerable images from running').check();
    await page.getByLabel('Severity that blocks pulls').selectOption({ label: 'Critical' });
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(async () => ((await (await api('/projects/journey')).json()) as { metadata: Record<string, string> }).metadata)
      .toMatchObject({ public: 'true', auto_scan: 'true', prevent_vul: 'true', severity: 'critical', enable_content_trust_cosign: 'false' });
  });

  test('long lists page through the API (X-Total-Count), and Escape closes a dialog', async () => {
    const admin = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
    for (let i = 0; i < 16; i++) {
      const made = await fetch(`${server.url}/api/v2.0/projects`, {
        method: 'POST',
        headers: { authorization: admin, 'content-type': 'application/json' },
        body: JSON.stringify({ project_name: `bulk-${String(i).padStart(2, '0')}` }),
      });
      expect(made.status).toBe(201);
    }
    await page.goto(`${server.url}/harbor/projects`);
    await page.getByText('1–15 of 17').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(15);
    await page.getByRole('button', { name: 'Next ›' }).click();
    await page.getByText('16–17 of 17').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(2);
    await page.getByRole('searchbox', { name: 'Filter projects by name' }).fill('bulk-1');
    await page.getByText('1–6 of 6').waitFor();
    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  });

  test('at a 390 px phone width and in dark mode, the pages still fit', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', storageState: await context.storageState() });
    const small = await phone.newPage();
    watch(small);
    for (const [path, name] of [
      ['/harbor/projects', '20-phone-projects'],
      ['/harbor/projects/journey/members', '21-phone-members'],
      ['/harbor/projects/journey/robots', '22-phone-robots'],
    ] as const) {
      await small.goto(`${server.url}${path}`);
      await small.locator('main h1').waitFor();
      await expect.poll(() => small.locator('main .loading').count()).toBe(0);
      const overflow = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
      await snap(name, small);
    }
    const background = await small.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).not.toBe('rgb(247, 248, 250)');
    await phone.close();
  });

  test('log out: the session ends on the server, not just in the page', async () => {
    const sid = (await context.cookies()).find((c) => c.name === 'sid')!.value;
    await page.goto(`${server.url}/harbor/projects`);
    await page.getByRole('link', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in to Berth' }).waitFor();
    expect((await context.cookies()).find((c) => c.name === 'sid')).toBeUndefined();
    const replayed = await fetch(`${server.url}/api/v2.0/users/current`, { headers: { cookie: `sid=${sid}` } });
    expect(replayed.status).toBe(401);
    await snap('23-logged-out');
  });

  test('a session that ends on the server sends the user to sign in, and back where they were', async () => {
    const other = await browser.newContext();
    const again = await other.newPage();
    watch(again);
    await again.goto(`${server.url}/harbor/sign-in`);
    await again.getByLabel('Username').fill('admin');
    await again.getByLabel('Password').fill(adminPassword);
    await again.getByRole('button', { name: 'Log in' }).click();
    await again.getByRole('link', { name: 'Administration' }).waitFor();
    // The projects page has finished its calls: a call still in flight when the session ends would
    // (rightly) send the user to sign in and back to the projects page, not to where they go next.
    await again.waitForLoadState('networkidle');
    const sid = (await other.cookies()).find((c) => c.name === 'sid')!.value;
    expect((await fetch(`${server.url}/c/log_out`, { headers: { cookie: `sid=${sid}` } })).status).toBe(200);
    await again.getByRole('link', { name: 'Administration' }).click();
    await again.getByRole('heading', { name: 'Log in to Berth' }).waitFor();
    expect(new URL(again.url()).searchParams.get('next')).toBe('/harbor/admin/users');
    await again.getByLabel('Username').fill('admin');
    await again.getByLabel('Password').fill(adminPassword);
    await again.getByRole('button', { name: 'Log in' }).click();
    await again.getByRole('heading', { name: 'Administration: Users' }).waitFor();
    expect(new URL(again.url()).pathname).toBe('/harbor/admin/users');
    await other.close();
  });

  test('no script error and no CSP violation on any page', () => {
    expect(problems).toEqual([]);
  });
});
