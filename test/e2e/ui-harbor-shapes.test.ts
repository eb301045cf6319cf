import { join } from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBerthServer } from './support/berth-server.js';
import { launchChromium, screenshotDir } from './support/browser.js';
import type { RegistryServer } from './support/registry-server.js';

/**
 * The repository and artifact pages against Harbor v2.0's documented response shapes: the browser
 * talks to a real Berth (login, session, project), and the requests for one fixture repository
 * (an index, signatures, scan results and vulnerabilities no test image here would have) are
 * answered from fixtures in Harbor's shape. What this proves is the pages (paths they call,
 * double-encoded repository names, the CSRF header on changes, how tags, sizes, platforms, scan
 * summaries, signatures and vulnerabilities are shown); Berth's own answers to those paths are
 * tested in test/lifecycle, test/scanning and test/trust, and in the browser journeys.
 */
const adminPassword = 'Shapes-Admin-Passw0rd';
const imageDigest = `sha256:${'a1'.repeat(32)}`;
const indexDigest = `sha256:${'b2'.repeat(32)}`;
const signatureDigest = `sha256:${'c3'.repeat(32)}`;

const artifacts = [
  {
    id: 1,
    type: 'IMAGE',
    digest: imageDigest,
    manifest_media_type: 'application/vnd.oci.image.manifest.v1+json',
    media_type: 'application/vnd.oci.image.config.v1+json',
    size: 12_897_484,
    push_time: '2026-11-20T10:00:00.000Z',
    pull_time: '0001-01-01T00:00:00.000Z',
    extra_attrs: { architecture: 'amd64', os: 'linux', created: '2026-11-19T09:00:00Z' },
    tags: [
      { id: 1, name: 'v1', push_time: '2026-11-20T10:00:00.000Z', pull_time: '0001-01-01T00:00:00.000Z', immutable: false, signed: true },
      { id: 2, name: 'latest', push_time: '2026-11-20T10:00:00.000Z', pull_time: '0001-01-01T00:00:00.000Z', immutable: false, signed: false },
    ],
    scan_overview: {
      'application/vnd.security.vulnerability.report; version=1.1': {
        report_id: 'r1',
        scan_status: 'Success',
        severity: 'Critical',
        summary: { total: 5, fixable: 3, summary: { Critical: 2, High: 1, Low: 2 } },
      },
    },
    accessories: [{ id: 9, type: 'signature.cosign', digest: signatureDigest, size: 742, creation_time: '2026-11-20T10:01:00.000Z' }],
  },
  {
    id: 2,
    type: 'IMAGE',
    digest: indexDigest,
    manifest_media_type: 'application/vnd.oci.image.index.v1+json',
    size: 25_000_000,
    push_time: '2026-11-21T10:00:00.000Z',
    tags: null,
    references: [
      { parent_id: 2, child_id: 3, child_digest: `sha256:${'d4'.repeat(32)}`, platform: { os: 'linux', architecture: 'amd64' } },
      { parent_id: 2, child_id: 4, child_digest: `sha256:${'e5'.repeat(32)}`, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
    accessories: null,
  },
];

const vulnerabilities = {
  'application/vnd.security.vulnerability.report; version=1.1': {
    generated_at: '2026-11-20T10:05:00Z',
    severity: 'Critical',
    vulnerabilities: [
      { id: 'CVE-2024-0003', package: 'zlib1g', version: '1:1.2.13.dfsg-1', fix_version: '', severity: 'Low', description: 'low one', links: [] },
      { id: 'CVE-2024-0001', package: 'openssl', version: '3.0.11-1', fix_version: '3.0.13-1', severity: 'Critical', description: 'critical one', links: ['https://avd.example/CVE-2024-0001'] },
      { id: 'CVE-2024-0002', package: 'libc6', version: '2.36-9', fix_version: '2.36-9+deb12u4', severity: 'High', description: 'high one', links: [] },
    ],
  },
};

const history = [
  { created: '2026-11-19T09:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
  { created: '2026-11-19T09:00:01Z', created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
];

const sbom = {
  spdxVersion: 'SPDX-2.3',
  packages: [
    { name: 'openssl', versionInfo: '3.0.11-1' },
    { name: 'libc6', versionInfo: '2.36-9' },
  ],
};

let server: RegistryServer;
let browser: Browser;
let page: Page;
let shots: string;
const seen: { method: string; url: string; csrf: string | null }[] = [];
const problems: string[] = [];

/** Answers a request for the fixture repository from its Harbor-shaped fixture. */
async function fixture(route: Route, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const request = route.request();
  seen.push({ method: request.method(), url: request.url(), csrf: (await request.allHeaders())['x-harbor-csrf-token'] ?? null });
  await route.fulfill({ status: 200, contentType: 'application/json', headers, body: JSON.stringify(body) });
}

beforeAll(async () => {
  server = await startBerthServer({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
  await fetch(`${server.url}/api/v2.0/projects`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ project_name: 'shapes' }),
  });
  shots = await screenshotDir('ui-harbor-shapes');
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => problems.push(error.message));
  const api = `${server.url}/api/v2.0/projects/shapes/repositories`;
  await page.route(`${api}?*`, (route) => fixture(route, [{ id: 1, project_id: 1, name: 'shapes/team/app', artifact_count: 2, pull_count: 7, update_time: '2026-11-21T10:00:00Z' }], { 'X-Total-Count': '1' }));
  await page.route(`${api}/team%252Fapp`, (route) => fixture(route, { id: 1, name: 'shapes/team/app', artifact_count: 2, pull_count: 7 }));
  await page.route(`${api}/team%252Fapp/artifacts?*`, (route) => fixture(route, artifacts, { 'X-Total-Count': '2' }));
  await page.route(`${api}/team%252Fapp/artifacts/*`, (route) => {
    const url = new URL(route.request().url());
    if (route.request().method() === 'DELETE') return fixture(route, null);
    const digest = decodeURIComponent(url.pathname.split('/artifacts/')[1]!.split('/')[0]!);
    return fixture(route, artifacts.find((a) => a.digest === digest) ?? artifacts[0]);
  });
  await page.route(`${api}/team%252Fapp/artifacts/*/additions/vulnerabilities`, (route) => fixture(route, vulnerabilities));
  await page.route(`${api}/team%252Fapp/artifacts/*/additions/build_history`, (route) => fixture(route, history));
  await page.route(`${api}/team%252Fapp/artifacts/*/tags/*`, (route) => fixture(route, null));
  await page.route(`${api}/team%252Fapp/artifacts/*/additions/sbom`, (route) => fixture(route, sbom));

  await page.goto(`${server.url}/harbor/sign-in`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(adminPassword);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('pages drawn from Harbor-shaped answers', () => {
  test('the repository list links to the repository by its name inside the project', async () => {
    await page.goto(`${server.url}/harbor/projects/shapes`);
    await page.getByRole('link', { name: 'shapes/team/app' }).click();
    await page.getByRole('heading', { name: 'team/app' }).waitFor();
    expect(page.url()).toBe(`${server.url}/harbor/projects/shapes/repositories/team/app`);
  });

  test('artifacts: tags, size, platforms of an index, severity counts, signed; Harbor’s year-1 pull time reads as never', async () => {
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const first = rows.nth(0);
    expect(await first.locator('td[data-label="Tags"] li').allTextContents()).toEqual(['v1×', 'latest×']);
    expect(await first.locator('td[data-label="Size"]').textContent()).toBe('12.3 MiB');
    expect(await first.locator('td[data-label="Platform"]').textContent()).toBe('linux/amd64');
    expect(await first.locator('td[data-label="Vulnerabilities"] .badge').allTextContents()).toEqual(['2 Critical', '1 High', '2 Low']);
    expect(await first.locator('td[data-label="Signed"]').textContent()).toBe('Signed');
    expect(await first.locator('td[data-label="Pulled"]').textContent()).toBe('—');
    const second = rows.nth(1);
    expect(await second.locator('td[data-label="Tags"]').textContent()).toBe('untagged');
    expect(await second.locator('td[data-label="Platform"]').textContent()).toBe('linux/amd64, linux/arm64/v8');
    expect(await second.locator('td[data-label="Vulnerabilities"]').textContent()).toBe('Not scanned');
    expect(await second.locator('td[data-label="Signed"]').textContent()).toBe('Unsigned');
    await page.screenshot({ path: join(shots, '01-repository.png'), fullPage: true });
    const list = seen.find((s) => s.url.includes('/artifacts?'))!;
    expect(new URL(list.url).searchParams.get('with_tag')).toBe('true');
    expect(new URL(list.url).searchParams.get('with_scan_overview')).toBe('true');
  });

  test('deleting a tag calls Harbor’s tag endpoint with the session’s CSRF token', async () => {
    await page.getByRole('button', { name: 'Delete tag latest' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete tag' }).click();
    await expect.poll(() => seen.some((s) => s.method === 'DELETE')).toBe(true);
    const call = seen.find((s) => s.method === 'DELETE')!;
    expect(new URL(call.url).pathname).toBe(`/api/v2.0/projects/shapes/repositories/team%252Fapp/artifacts/${encodeURIComponent(imageDigest)}/tags/latest`);
    expect(call.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('the artifact page: pull commands, history, vulnerabilities by severity with fix versions, signatures', async () => {
    await page.locator('td[data-label="Digest"] a').first().click();
    await page.getByRole('heading', { name: 'team/app:v1' }).waitFor();
    await page.getByText(`docker pull ${server.host}/shapes/team/app@${imageDigest}`).waitFor();
    await page.getByText(`podman pull ${server.host}/shapes/team/app@${imageDigest}`).waitFor();
    const vulnerabilityIds = () => page.locator('table:has(caption:text("Vulnerabilities")) td[data-label="ID"]').allTextContents();
    await expect.poll(vulnerabilityIds).toEqual(['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003']);
    expect(await page.locator('td[data-label="Fixed in"]').allTextContents()).toEqual(['3.0.13-1', '2.36-9+deb12u4', 'no fix yet']);
    const vulnerabilityTable = page.locator('table:has(caption:text("Vulnerabilities"))');
    await vulnerabilityTable.getByRole('button', { name: 'Package' }).click();
    await expect.poll(vulnerabilityIds).toEqual(['CVE-2024-0002', 'CVE-2024-0001', 'CVE-2024-0003']);
    expect(await vulnerabilityTable.locator('th[aria-sort]').textContent()).toBe('Package');
    await page.getByText('/bin/sh -c #(nop) ADD file:abc in /').waitFor();
    await page.locator('td[data-label="Kind"]', { hasText: 'cosign' }).waitFor();
    await page.getByText('SPDX-2.3 document, 2 packages.').waitFor();
    expect(await page.locator('table:has(caption:text("SBOM packages")) td[data-label="Package"]').allTextContents()).toEqual(['openssl', 'libc6']);
    await page.screenshot({ path: join(shots, '02-artifact.png'), fullPage: true });
  });

  test('a slow call shows the loading bar and a spinner, then the answer', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(`${server.url}/api/v2.0/projects?*`, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${server.url}/harbor/projects`);
    await page.getByRole('progressbar', { name: 'Loading' }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'Loading…' }).count()).toBe(1);
    release();
    await page.getByRole('link', { name: 'shapes' }).waitFor();
    await expect.poll(() => page.getByRole('progressbar', { name: 'Loading' }).isVisible()).toBe(false);
    await page.unroute(`${server.url}/api/v2.0/projects?*`);
  });

  test('no script error', () => {
    expect(problems).toEqual([]);
  });
});
