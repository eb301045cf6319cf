import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildAssets, generatedModule, generatedPath } from '../../functions/ui/build-assets.js';
import { type LocalRegistry, localRegistry } from '../support/local-app.js';
import { identityRegistry } from '../support/identity-app.js';

/** The portal's page and assets as every runtime serves them: headers, caching, size, freshness. */
let open: LocalRegistry;
let secured: Awaited<ReturnType<typeof identityRegistry>>;

beforeAll(async () => {
  open = await localRegistry();
  secured = await identityRegistry();
});
afterAll(async () => {
  await open.cleanup();
  await secured.cleanup();
});

function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('the page', () => {
  test.each(['/', '/harbor', '/harbor/projects', '/harbor/projects/library/repositories/team/app/artifacts/sha256:abc', '/harbor/admin/users'])(
    '%s answers the portal with a CSP that allows no inline script',
    async (path) => {
      const response = await secured.request(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
      expect(csp).toMatch(/(^|; )default-src 'none'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await response.text();
      // No inline script or style at all: every script and stylesheet is a file of our own.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      expect(assetUrls(html)).toHaveLength(2);
    },
  );

  test('says whether the registry runs with identity', async () => {
    expect(await (await secured.request('/')).text()).toContain('data-auth="on"');
    expect(await (await open.request('/')).text()).toContain('data-auth="off"');
  });

  test('other paths still answer the JSON 404', async () => {
    const response = await open.request('/nothing-here');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ errors: [{ code: 'NOT_FOUND', message: expect.any(String) }] });
  });
});

describe('assets', () => {
  test('are served under content-hashed names, cached for a year, gzipped when asked', async () => {
    const html = await (await open.request('/')).text();
    for (const url of assetUrls(html)) {
      const plain = await open.request(url);
      expect(plain.status).toBe(200);
      expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(plain.headers.get('content-type')).toMatch(url.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      const body = await plain.text();
      const zipped = await open.request(url, { headers: { 'accept-encoding': 'gzip, deflate' } });
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      expect(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString('utf8')).toBe(body);
    }
  });

  test('the first page ships under 100 KB of gzipped JavaScript', async () => {
    const html = await (await open.request('/')).text();
    const script = assetUrls(html).find((url) => url.endsWith('.js'))!;
    const zipped = await open.request(script, { headers: { 'accept-encoding': 'gzip' } });
    expect((await zipped.arrayBuffer()).byteLength).toBeLessThan(100 * 1024);
  });

  test('an unknown asset is a 404, not the page', async () => {
    const response = await open.request('/ui/assets/app.0000000000000000.js');
    expect(response.status).toBe(404);
  });

  test('the committed generated module matches the client sources (run functions/ui/build-assets.ts)', async () => {
    expect(await readFile(generatedPath, 'utf8')).toBe(generatedModule(await buildAssets()));
  });
});
