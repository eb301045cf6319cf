import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { clientCssGzip, clientJsGzip } from '../../ui/assets.generated.js';

/**
 * The policy every portal response carries: scripts and styles only from our own origin (no
 * inline script or style, no eval), API calls only to our own origin, never framed.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  name: string;
  type: string;
  gzipped: Buffer;
  /** Unzipped on first use, for the rare client that does not accept gzip. */
  plain?: Buffer;
}

function asset(stem: string, ext: string, type: string, base64: string): Asset {
  const gzipped = Buffer.from(base64, 'base64');
  const hash = createHash('sha256').update(gzipped).digest('hex').slice(0, 16);
  return { name: `${stem}.${hash}.${ext}`, type, gzipped };
}

// Names carry the content hash, so browsers keep them for a year and a new version is a new URL.
const script = asset('app', 'js', 'text/javascript; charset=utf-8', clientJsGzip);
const style = asset('app', 'css', 'text/css; charset=utf-8', clientCssGzip);
const assets = new Map([script, style].map((a) => [a.name, a]));

export const assetPaths = { script: `/ui/assets/${script.name}`, style: `/ui/assets/${style.name}` };

function securityHeaders(c: Context<AppEnv>): void {
  c.header('Content-Security-Policy', contentSecurityPolicy);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
  c.header('X-Frame-Options', 'DENY');
}

/**
 * The page every portal URL answers: an empty frame that loads the one script, which draws the
 * page from `/api/v2.0`. `data-auth` tells the script whether the registry runs with identity
 * (off: no login, and the API is not mounted).
 */
function shell(c: Context<AppEnv>): Response {
  securityHeaders(c);
  c.header('Cache-Control', 'no-cache');
  const auth = c.get('deps').identity ? 'on' : 'off';
  return c.html(
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Berth</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assetPaths.style}">
<script type="module" src="${assetPaths.script}"></script>
</head>
<body data-auth="${auth}">
<div id="app" aria-live="polite"><p class="boot">Loading Berth…</p></div>
<noscript><p class="boot">The Berth portal needs JavaScript. The registry itself (/v2) and its API (/api/v2.0) work without it.</p></noscript>
</body>
</html>
`,
  );
}

/** `/` and `/harbor/...` (Harbor's portal paths): the web UI; `/ui/assets/...`: its script and styles. */
export function portalRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/', shell);
  routes.get('/harbor', shell);
  routes.get('/harbor/*', shell);
  routes.get('/ui/assets/:name', (c) => {
    const found = assets.get(c.req.param('name'));
    if (!found) return c.json({ errors: [{ code: 'NOT_FOUND', message: 'no such asset' }] }, 404);
    securityHeaders(c);
    c.header('Content-Type', found.type);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('Vary', 'Accept-Encoding');
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      c.header('Content-Encoding', 'gzip');
      return c.body(new Uint8Array(found.gzipped));
    }
    found.plain ??= gunzipSync(found.gzipped);
    return c.body(new Uint8Array(found.plain));
  });
  return routes;
}
