import { type ServerType, serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { adapterMetadata, scanWithAdapter } from '../../functions/scanning/adapter-client.js';
import type { ScannerRegistration } from '../../functions/scanning/scanner-registry.js';
import { gzipLayer, imageOf } from './support/layers.js';
import { type ScanningApp, admin, scanningApp } from './support/scanning-app.js';

const apiKey = 'adapter-key-0123456789abcdef';
const reportType = 'application/vnd.security.vulnerability.report; version=1.1';

/** A Berth app behind a real HTTP server on a free loopback port; env may name the port. */
async function served(env: (url: string) => Record<string, string>): Promise<{ t: ScanningApp; url: string; server: ServerType }> {
  let target: ScanningApp | undefined;
  const server = serve({ fetch: (request) => target!.app.fetch(request), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  target = await scanningApp(env(url));
  return { t: target, url, server };
}

let registry: Awaited<ReturnType<typeof served>>;
let scanner: Awaited<ReturnType<typeof served>>;
let digest: string;

function registration(url: string, credential = apiKey): ScannerRegistration {
  return { uuid: 'x', name: 'berth-b', description: '', url, disabled: false, is_default: false, auth: 'X-ScannerAdapter-API-Key', access_credential: credential, skip_certVerify: false, use_internal_addr: false, create_time: '', update_time: '' };
}

beforeAll(async () => {
  // Two Berths: A is the registry (and a scanner-API client), B serves its scanner as an adapter.
  registry = await served((url) => ({ BERTH_SCANNING_REGISTRY_URL: url }));
  scanner = await served(() => ({ BERTH_SCANNER_ADAPTER_KEY: apiKey }));
  await registry.t.createProject('shop');
  const lock = { lockfileVersion: 3, packages: { '': {}, 'node_modules/lodash': { version: '4.17.15' } } };
  digest = await registry.t.push('shop/web/front', 'v1', imageOf([await gzipLayer([{ name: 'app/package-lock.json', body: JSON.stringify(lock) }])]));
});

afterAll(async () => {
  for (const side of [registry, scanner]) {
    side.server.close();
    await side.t.cleanup();
  }
});

describe("Berth's scanner served on the Pluggable Scanner API v1.2", () => {
  test('metadata names the scanner and its capabilities', async () => {
    const metadata = await adapterMetadata(registration(`${scanner.url}/scanner`));
    expect(metadata.scanner.name).toBe('Berth');
    expect(metadata.capabilities.find((c) => c.type === 'vulnerability')?.produces_mime_types).toContain(reportType);
  });

  test('the adapter API is closed without its key, and off where no key is set', async () => {
    expect((await fetch(`${scanner.url}/scanner/api/v1/metadata`)).status).toBe(401);
    expect((await fetch(`${scanner.url}/scanner/api/v1/metadata`, { headers: { 'x-scanneradapter-api-key': 'wrong-key-0123456789abcdef' } })).status).toBe(401);
    expect((await fetch(`${registry.url}/scanner/api/v1/metadata`, { headers: { 'x-scanneradapter-api-key': apiKey } })).status).toBe(404);
  });

  test('bad scan requests: 400 for non-JSON, 422 for missing fields, 404 for an unknown report', async () => {
    const headers = { 'x-scanneradapter-api-key': apiKey, 'content-type': 'application/vnd.scanner.adapter.scan.request+json; version=1.1' };
    expect((await fetch(`${scanner.url}/scanner/api/v1/scan`, { method: 'POST', headers, body: '{' })).status).toBe(400);
    const missing = await fetch(`${scanner.url}/scanner/api/v1/scan`, { method: 'POST', headers, body: JSON.stringify({ registry: { url: 'ftp://x' }, artifact: { repository: 'a' } }) });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/registry\.url|artifact\.digest/);
    expect((await fetch(`${scanner.url}/scanner/api/v1/scan/nope/report`, { headers })).status).toBe(404);
  });

  test('the client scans through it: pull token for the one repository, polling 302 + Refresh-After until the report', async () => {
    const { token } = await registry.t.deps.identity!.tokens.issueAccessToken('scanner', [{ type: 'repository', name: 'shop/web/front', actions: ['pull'] }]);
    let polls = 0;
    const report = await scanWithAdapter(registration(`${scanner.url}/scanner`), {
      registry: { url: registry.url, authorization: `Bearer ${token}` },
      artifact: { repository: 'shop/web/front', digest },
    }, { deadlineMs: 20_000, maxWaitMs: 200, sleep: async (ms) => { polls++; await new Promise((r) => setTimeout(r, ms)); } });
    expect(polls).toBeGreaterThan(0);
    expect(report.artifact.digest).toBe(digest);
    expect(report.vulnerabilities.map((v) => v.id)).toEqual(['GHSA-35jh-r3h4-6jhm', 'GHSA-p6mc-m468-83gw']);
  });

  test('a token for another repository does not let the adapter pull: the scan fails with the reason', async () => {
    const { token } = await registry.t.deps.identity!.tokens.issueAccessToken('scanner', [{ type: 'repository', name: 'shop/other', actions: ['pull'] }]);
    await expect(scanWithAdapter(registration(`${scanner.url}/scanner`), {
      registry: { url: registry.url, authorization: `Bearer ${token}` },
      artifact: { repository: 'shop/web/front', digest },
    }, { deadlineMs: 20_000, maxWaitMs: 200 })).rejects.toThrow(/failed the scan: .*(401|403)/);
  });
});

describe('Berth as a client of a registered adapter', () => {
  test('register, ping, read metadata, make it the default, scan an artifact with it', async () => {
    const t = registry.t;
    const json = { ...admin, 'content-type': 'application/json' };
    const body = JSON.stringify({ name: 'berth-b', url: `${scanner.url}/scanner`, auth: 'X-ScannerAdapter-API-Key', access_credential: apiKey });
    expect((await t.request('/api/v2.0/scanners/ping', { method: 'POST', headers: json, body })).status).toBe(200);
    const created = await t.request('/api/v2.0/scanners', { method: 'POST', headers: json, body });
    expect(created.status).toBe(201);
    const uuid = created.headers.get('location')!.split('/').pop()!;
    expect((await t.request('/api/v2.0/scanners', { method: 'POST', headers: json, body })).status).toBe(409);
    const listed = (await (await t.request('/api/v2.0/scanners', { headers: admin })).json()) as { uuid: string; name: string; is_default: boolean; access_credential: string }[];
    expect(listed.map((s) => [s.name, s.is_default])).toEqual([['Berth', true], ['berth-b', false]]);
    expect(listed[1]!.access_credential).toBe('********');
    const metadata = (await (await t.request(`/api/v2.0/scanners/${uuid}/metadata`, { headers: admin })).json()) as { scanner: { name: string } };
    expect(metadata.scanner.name).toBe('Berth');
    expect((await t.request(`/api/v2.0/scanners/${uuid}`, { method: 'PATCH', headers: json, body: JSON.stringify({ is_default: true }) })).status).toBe(200);

    expect((await t.request('/api/v2.0/projects/shop/repositories/web%252Ffront/artifacts/v1/scan', { method: 'POST', headers: admin })).status).toBe(202);
    const state = await t.finished('shop/web/front', digest);
    expect(state.status).toBe('Success');
    expect(state.summary).toEqual({ total: 2, fixable: 2, summary: { High: 2 } });
    // The report came from B: A kept no inventory of its own (nothing to re-match), B's request is done.
    expect(state.inventoryGen).toBeUndefined();

    expect((await t.request(`/api/v2.0/scanners/${uuid}`, { method: 'DELETE', headers: admin })).status).toBe(200);
    const after = (await (await t.request('/api/v2.0/scanners', { headers: admin })).json()) as { name: string; is_default: boolean }[];
    expect(after).toEqual([expect.objectContaining({ name: 'Berth', is_default: true })]);
  });
});
