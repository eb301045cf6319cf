import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import * as z from 'zod/mini';
import type { AppEnv } from '../app-env.js';
import { parseDigest } from '../core/digest.js';
import { AdapterRequests } from '../scanning/adapter-requests.js';
import { adapterTypes } from '../scanning/adapter-client.js';
import { builtinScanner, vulnerabilityReportType } from '../scanning/report.js';
import { scanningOf } from '../scanning/scanning-capability.js';
import { spdxMediaType, spdxOf } from '../scanning/spdx.js';

function adapterError(status: ContentfulStatusCode, message: string): HTTPException {
  const res = new Response(JSON.stringify({ error: { message } }), { status, headers: { 'content-type': adapterTypes.error } });
  return new HTTPException(status, { res, message });
}

const scanRequest = z.object({
  registry: z.object({
    url: z.string().check(z.refine((u) => /^https?:\/\/[^\s]+$/.test(u), 'registry.url must be an http(s) URL')),
    authorization: z.optional(z.string()),
  }),
  artifact: z.object({
    repository: z.string().check(z.minLength(1)),
    digest: z.string().check(z.refine((d) => parseDigest(d) !== null, 'artifact.digest must be a digest')),
    tag: z.optional(z.string()),
    mime_type: z.optional(z.string()),
  }),
});

const consumes = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Berth's built-in scanner served as a Pluggable Scanner API v1.2 adapter (`/scanner/api/v1`), so
 * Harbor, or another Berth, can register it. It pulls what it scans from the registry the request
 * names: that is fetching URLs on a caller's behalf, so the API is off unless an API key is set,
 * and every call must carry it (`Authorization: Bearer <key>` or `X-ScannerAdapter-API-Key`).
 */
export function scannerAdapterRoutes(options: { refreshAfterSeconds?: number } = {}): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const refreshAfter = String(options.refreshAfterSeconds ?? 1);

  routes.use(async (c, next) => {
    const apiKey = scanningOf(c.get('deps')).settings.adapterApiKey;
    if (!apiKey) throw adapterError(404, 'the scanner adapter API is not enabled on this registry');
    const header = c.req.header('x-scanneradapter-api-key') ?? c.req.header('authorization')?.replace(/^Bearer\s+/i, '') ?? '';
    if (!sameSecret(header, apiKey)) throw adapterError(401, 'a valid scanner adapter API key is required');
    await next();
  });

  routes.get('/metadata', (c) =>
    c.body(
      JSON.stringify({
        scanner: builtinScanner,
        capabilities: [
          { type: 'vulnerability', consumes_mime_types: consumes, produces_mime_types: [vulnerabilityReportType, adapterTypes.harborReport] },
          { type: 'sbom', consumes_mime_types: consumes, produces_mime_types: [adapterTypes.sbomReport], additional_attributes: { sbom_media_types: [spdxMediaType] } },
        ],
        properties: { 'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability' },
      }),
      200,
      { 'content-type': adapterTypes.metadata },
    ),
  );

  routes.post('/scan', async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw adapterError(400, 'the body is not valid JSON');
    }
    const parsed = scanRequest.safeParse(body);
    if (!parsed.success) throw adapterError(422, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const requests = new AdapterRequests(c.get('deps'), scanningOf(c.get('deps')).service);
    const id = await requests.accept(parsed.data);
    return c.body(JSON.stringify({ id }), 202, { 'content-type': adapterTypes.scanResponse });
  });

  routes.get('/scan/:id/report', async (c) => {
    const deps = c.get('deps');
    const requests = new AdapterRequests(deps, scanningOf(deps).service);
    const state = await requests.get(c.req.param('id'));
    if (!state) throw adapterError(404, 'no such scan request');
    if (state.status === 'Pending' || state.status === 'Running') return c.body(null, 302, { 'refresh-after': refreshAfter });
    if (state.status === 'Error') throw adapterError(500, state.message ?? 'scan failed');
    const accept = c.req.header('accept') ?? vulnerabilityReportType;
    if (accept.includes('application/vnd.security.sbom.report+json')) {
      const wanted = c.req.query('sbom_media_type');
      if (wanted !== spdxMediaType) throw adapterError(400, `sbom_media_type must be ${spdxMediaType}`);
      const inventory = await requests.inventory(state);
      if (!inventory) throw adapterError(500, 'the scan kept no inventory');
      const { repository, digest } = state.request.artifact;
      return c.body(
        JSON.stringify({ generated_at: new Date().toISOString(), artifact: state.request.artifact, scanner: builtinScanner, media_type: spdxMediaType, sbom: spdxOf(inventory, repository, digest, new Date(), 'Berth-1.0') }),
        200,
        { 'content-type': adapterTypes.sbomReport },
      );
    }
    const type = accept.includes(adapterTypes.harborReport) ? adapterTypes.harborReport : vulnerabilityReportType;
    if (!accept.includes('vuln') && !accept.includes('*/*')) throw adapterError(501, `no report of type ${accept}`);
    const report = await requests.report(state);
    if (!report) throw adapterError(500, 'the report is missing');
    return c.body(JSON.stringify(report), 200, { 'content-type': type });
  });

  return routes;
}
