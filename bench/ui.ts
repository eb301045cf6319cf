/**
 * The web UI's first page against `npm start` (embedded default, auth on), in Debian's Chromium:
 *
 * - time to interactive: from navigation start to the portal's `berth:interactive` mark (the
 *   first page drawn from the API, its controls live), with a cold cache each run (a fresh
 *   browser context); for the sign-in page an anonymous visitor lands on, and for the projects
 *   list a logged-in user lands on (50 projects, one API page of 15 drawn);
 * - JavaScript shipped for the first page: the encoded (gzipped) body bytes of every script the
 *   page loaded, from the browser's resource timing.
 *
 * There is no peer to run beside it (Distribution has no UI, Harbor's portal does not run here),
 * so the figures are stated against the targets: interactive within 1 s, under 100 KB of JS.
 * BENCH_RUNS runs each (default 10), medians and worst. Writes bench/results/ui.json.
 *
 *   npm run bench:ui
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { repoRoot, startBerthServer } from '../test/e2e/support/berth-server.js';
import { launchChromium } from '../test/e2e/support/browser.js';

const runs = Number(process.env.BENCH_RUNS ?? 10);
const adminPassword = 'Bench-Admin-Passw0rd';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface Sample {
  interactiveMs: number;
  scriptBytes: number;
}

async function measure(browser: Browser, url: string, cookie?: { name: string; value: string; url: string }): Promise<Sample> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (cookie) await context.addCookies([cookie]);
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('berth:interactive').length > 0, undefined, { timeout: 10_000 });
  const sample = await page.evaluate(() => ({
    interactiveMs: performance.getEntriesByName('berth:interactive')[0]!.startTime,
    scriptBytes: (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((entry) => entry.initiatorType === 'script' || entry.name.endsWith('.js'))
      .reduce((sum, entry) => sum + entry.encodedBodySize, 0),
  }));
  await context.close();
  return sample;
}

const server = await startBerthServer({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
const browser = await launchChromium();
try {
  const admin = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
  for (let i = 0; i < 50; i++) {
    const response = await fetch(`${server.url}/api/v2.0/projects`, {
      method: 'POST',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ project_name: `project-${String(i).padStart(2, '0')}`, metadata: { public: String(i % 2 === 0) } }),
    });
    if (response.status !== 201) throw new Error(`seeding: ${response.status} ${await response.text()}`);
  }
  const login = await fetch(`${server.url}/c/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ principal: 'admin', password: adminPassword }),
  });
  const sid = /^sid=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
  if (!sid) throw new Error('login failed');

  // One warm-up of each, so the server's own first-request costs (JIT, SQLite page cache) are not counted as the UI's.
  await measure(browser, `${server.url}/`);
  await measure(browser, `${server.url}/harbor/projects`, { name: 'sid', value: sid, url: server.url });

  const signIn: Sample[] = [];
  const projects: Sample[] = [];
  for (let run = 0; run < runs; run++) {
    signIn.push(await measure(browser, `${server.url}/`));
    projects.push(await measure(browser, `${server.url}/harbor/projects`, { name: 'sid', value: sid, url: server.url }));
  }
  const row = (name: string, samples: Sample[]) => ({
    page: name,
    medianInteractiveMs: Math.round(median(samples.map((s) => s.interactiveMs))),
    worstInteractiveMs: Math.round(Math.max(...samples.map((s) => s.interactiveMs))),
    scriptKiB: Math.round((median(samples.map((s) => s.scriptBytes)) / 1024) * 10) / 10,
  });
  const results = {
    when: new Date().toISOString(),
    runs,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    pages: [row('sign-in (anonymous, `/`)', signIn), row('projects (logged in, 50 projects)', projects)],
  };
  console.log(`\nWeb UI first page, ${runs} cold-cache runs each, load average ${results.loadAverage.join(' ')}\n`);
  console.log('| first page | interactive (median) | worst | JS shipped (gzipped) |');
  console.log('|---|---|---|---|');
  for (const p of results.pages) console.log(`| ${p.page} | ${p.medianInteractiveMs} ms | ${p.worstInteractiveMs} ms | ${p.scriptKiB} KiB |`);
  const dir = join(repoRoot, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'ui.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  await browser.close();
  await server.stop();
}
