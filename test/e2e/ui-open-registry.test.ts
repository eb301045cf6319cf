import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBerthServer } from './support/berth-server.js';
import { launchChromium, screenshotDir } from './support/browser.js';
import { type ContainersTools, createContainersTools } from './support/containers-tools.js';
import { OciLayout } from './support/oci-layout.js';
import { type TempDir, makeTempDir } from './support/process.js';
import type { RegistryServer } from './support/registry-server.js';

/**
 * The web UI of a registry running open (no identity, so no management API): it says so, and
 * browses what the distribution API allows anyone: repositories, tags with digest and size, and
 * deleting a tag.
 */
let server: RegistryServer;
let browser: Browser;
let page: Page;
let tools: ContainersTools;
let work: TempDir;
let shots: string;
const problems: string[] = [];
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startBerthServer({ env: { BERTH_AUTH: 'off', BERTH_ADMIN_PASSWORD: '' } });
  stops.push(() => server.stop());
  tools = await createContainersTools();
  stops.push(() => tools.remove());
  work = await makeTempDir('ui-open');
  stops.push(() => work.remove());
  shots = await screenshotDir('ui-open-registry');
  browser = await launchChromium();
  stops.push(() => browser.close());
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(message.text());
  });
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
});

describe('an open registry in the browser', () => {
  test('says it runs open and shows how to push into an empty registry', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('note').waitFor();
    expect(await page.getByRole('note').textContent()).toMatch(/^This registry runs open: there is no login/);
    await page.getByText('No repositories yet.').waitFor();
    expect(await page.locator('main .command code').allTextContents()).toContain(`docker push ${server.host}/REPOSITORY[:TAG]`);
    // No sign-in link where there is nothing to sign in to.
    expect(await page.getByRole('link', { name: 'Log in' }).count()).toBe(0);
    await page.screenshot({ path: join(shots, '01-empty.png') });
  });

  test('a pushed image shows with its tags and size; a tag is deleted from the page', async () => {
    const layout = await OciLayout.create(join(work.path, 'layout'));
    const image = await layout.addImage({ layerSizes: [400 * 1024] });
    await layout.tag(image.manifest, 'v1');
    for (const tag of ['v1', 'v2']) {
      await tools.skopeo(['copy', '--dest-tls-verify=false', `oci:${layout.dir}:v1`, `docker://${server.host}/team/app:${tag}`]);
    }
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'team/app' }).click();
    await page.getByRole('heading', { name: 'team/app' }).waitFor();
    const size = image.config.size + image.layers.reduce((sum, layer) => sum + layer.size, 0);
    const shown = `${(size / 1024).toFixed(1)} KiB`;
    await expect.poll(() => page.locator('td[data-label="Size"]').allTextContents()).toEqual([shown, shown]);
    await expect.poll(() => page.locator('td[data-label="Digest"] code').first().textContent()).toBe(image.manifest.digest.slice(0, 'sha256:'.length + 12));
    await page.screenshot({ path: join(shots, '02-repository.png') });
    await page.getByRole('button', { name: 'Delete tag v2' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete tag' }).click();
    await expect.poll(() => page.locator('td[data-label="Tag"]').allTextContents()).toEqual(['v1']);
    const tags = (await (await fetch(`${server.url}/v2/team/app/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['v1']);
  });

  test('no script error and no CSP violation', () => {
    expect(problems).toEqual([]);
  });
});
