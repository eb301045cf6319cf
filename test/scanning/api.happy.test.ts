import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { osvDocuments } from '../../functions/scanning/osv-archive.js';
import { gzipLayer, imageOf } from './support/layers.js';
import { type ScanningApp, admin, fixtures, scanningApp } from './support/scanning-app.js';
import { importOsv } from '../../functions/scanning/vuln-db-import.js';

const reportType = 'application/vnd.security.vulnerability.report; version=1.1';
let t: ScanningApp;

/** This machine's Debian 12 (os-release + dpkg status) with libc6 set back before DSA-5514-1's fix. */
async function debianImage() {
  const status = readFileSync('/var/lib/dpkg/status', 'utf8').replace(/(Package: libc6\n(?:[^\n]+\n)*?Version: )[^\n]+/, '$12.36-9+deb12u1');
  return imageOf([
    await gzipLayer([
      { name: 'usr/lib/os-release', body: readFileSync('/usr/lib/os-release') },
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      { name: 'var/lib/dpkg/status', body: status },
    ]),
  ]);
}

async function nodeImage(lodash: string, seed = '') {
  const lock = { name: 'app', lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/lodash': { version: lodash } } };
  return imageOf([await gzipLayer([{ name: 'srv/app/package-lock.json', body: JSON.stringify(lock) }, { name: 'srv/app/seed', body: seed }])]);
}

beforeAll(async () => {
  t = await scanningApp();
  await t.createProject('auto', { auto_scan: 'true' });
  await t.createProject('manual');
});
afterAll(async () => t.cleanup());

describe('scan on push, reports, overview, SBOM', () => {
  let digest: string;

  test('auto_scan: a push is scanned from its registry event; the report names the finding and its fix', async () => {
    digest = await t.push('auto/debian', '12', await debianImage());
    const state = await t.finished('auto/debian', digest);
    expect(state.status).toBe('Success');
    const response = await t.request('/api/v2.0/projects/auto/repositories/debian/artifacts/12/additions/vulnerabilities', { headers: admin });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, { scanner: { name: string }; vulnerabilities: { id: string; package: string; version: string; fix_version: string; severity: string; links: string[]; description: string }[] }>;
    const report = body[reportType]!;
    expect(report.scanner.name).toBe('Berth');
    const dsa = report.vulnerabilities.find((v) => v.id === 'DSA-5514-1' && v.package === 'libc6');
    expect(dsa).toMatchObject({ version: '2.36-9+deb12u1', fix_version: '2.36-9+deb12u3', severity: 'Unknown', links: ['https://www.debian.org/security/2023/dsa-5514'] });
    expect(dsa!.description).toContain('GLIBC_TUNABLES');
  });

  test('webhooks hear of it: a SCANNING_COMPLETED notify job with the overview, in Harbor\'s shape', async () => {
    const seen: { kind: string; eventType?: string; payload?: { resources: { digest: string; scan_overview: Record<string, { scan_status: string }> }[] } }[] = [];
    const enqueue = t.deps.queue.enqueue.bind(t.deps.queue);
    t.deps.queue.enqueue = async (job) => {
      seen.push(job as never);
      return enqueue(job);
    };
    try {
      const again = await t.request('/api/v2.0/projects/auto/repositories/debian/artifacts/12/scan', { method: 'POST', headers: admin });
      expect(again.status).toBe(202);
      const until = Date.now() + 15_000;
      while (!seen.some((j) => j.kind === 'notify') && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      t.deps.queue.enqueue = enqueue;
    }
    const notify = seen.find((j) => j.kind === 'notify')!;
    expect(notify.eventType).toBe('SCANNING_COMPLETED');
    expect(notify.payload!.resources[0]!.digest).toBe(digest);
    expect(notify.payload!.resources[0]!.scan_overview[reportType]!.scan_status).toBe('Success');
  });

  test('scan_overview: counts per severity, status, complete_percent (what the artifacts API shows)', async () => {
    const { scanOverviewFor } = await import('../../functions/scanning/scan-service.js');
    const overview = (await scanOverviewFor(t.deps, 'auto/debian', digest))![reportType]!;
    expect(overview).toMatchObject({ scan_status: 'Success', complete_percent: 100, severity: 'Unknown', scanner: { name: 'Berth' } });
    expect(overview.summary!.total).toBeGreaterThanOrEqual(2);
    expect(overview.summary!.summary.Unknown).toBe(overview.summary!.total);
    expect(overview.summary!.fixable).toBe(1);
  });

  test('SBOM: the inventory as SPDX 2.3 JSON, one package per installed package plus the image', async () => {
    const response = await t.request(`/api/v2.0/projects/auto/repositories/debian/artifacts/${digest}/additions/sbom`, { headers: admin });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/spdx+json');
    const sbom = (await response.json()) as { spdxVersion: string; dataLicense: string; SPDXID: string; packages: { SPDXID: string; name: string; versionInfo: string; externalRefs: { referenceLocator: string }[] }[]; relationships: { relationshipType: string }[] };
    expect(sbom).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT' });
    const inventory = (await t.scanning.service.store.inventory((await t.scanning.service.store.state('auto/debian', digest))!))!;
    expect(sbom.packages.length).toBe(inventory.packages.length + 1);
    expect(new Set(sbom.packages.map((p) => p.SPDXID)).size).toBe(sbom.packages.length);
    expect(sbom.packages.every((p) => /^SPDXRef-[A-Za-z0-9.-]+$/.test(p.SPDXID))).toBe(true);
    expect(sbom.packages.find((p) => p.name === 'libc6')?.externalRefs[0]?.referenceLocator).toMatch(/^pkg:deb\/debian\/libc6@2\.36-9%2Bdeb12u1\?arch=amd64$/);
    expect(sbom.relationships.filter((r) => r.relationshipType === 'CONTAINS').length).toBe(inventory.packages.length);
  });

  test('no auto_scan: nothing is scanned on push; POST .../scan scans (repository names encoded twice)', async () => {
    const image = await nodeImage('4.17.15');
    const pushed = await t.push('manual/team/web', 'v1', image);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await t.scanning.service.store.state('manual/team/web', pushed)).toBeNull();
    const response = await t.request('/api/v2.0/projects/manual/repositories/team%252Fweb/artifacts/v1/scan', { method: 'POST', headers: admin });
    expect(response.status).toBe(202);
    expect((await t.finished('manual/team/web', pushed)).summary).toEqual({ total: 2, fixable: 2, summary: { High: 2 } });
    const report = (await (await t.request(`/api/v2.0/projects/manual/repositories/team%252Fweb/artifacts/${pushed}/additions/vulnerabilities`, { headers: admin })).json()) as Record<string, { vulnerabilities: { id: string; fix_version: string }[] }>;
    expect(report[reportType]!.vulnerabilities.map((v) => [v.id, v.fix_version])).toEqual([
      ['GHSA-35jh-r3h4-6jhm', '4.17.21'],
      ['GHSA-p6mc-m468-83gw', '4.17.19'],
    ]);
  });
});

describe('rescans when the data changes', () => {
  test('new advisories re-match stored inventories without reading a layer', async () => {
    const image = await nodeImage('4.17.15', 'rescan');
    const digest = await t.push('manual/rescan', 'v1', image);
    await t.request('/api/v2.0/projects/manual/repositories/rescan/artifacts/v1/scan', { method: 'POST', headers: admin });
    const first = await t.finished('manual/rescan', digest);
    expect(first.summary?.total).toBe(2);
    // The layers are gone from the blob store: a rescan that read them would fail.
    for (const layer of image.layers) await t.deps.blobs.delete((await import('./support/layers.js')).sha256(layer));
    await importOsv(t.deps.table, osvDocuments(join(fixtures, 'osv-update')), 'update');
    await t.deps.queue.enqueue({ version: 1, kind: 'scan-rematch', id: 'rematch-1' });
    const until = Date.now() + 10_000;
    let state = first;
    while (state.summary?.total === 2 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = (await t.scanning.service.store.state('manual/rescan', digest))!;
    }
    expect(state.status).toBe('Success');
    expect(state.summary).toEqual({ total: 3, fixable: 3, summary: { High: 2, Medium: 1 } });
    expect(state.generation).toBe((await t.scanning.service.db.meta())!.generation);
  });
});

describe('scan all', () => {
  test('now: every image of every repository gets scanned; signatures and other artifacts are left alone', async () => {
    const image = await nodeImage('4.17.20', 'all');
    const digest = await t.push('manual/later', 'v1', image);
    const response = await t.request('/api/v2.0/system/scanAll/now', { method: 'POST', headers: admin });
    expect(response.status).toBe(201);
    // 4.17.20: the command injection (High) and, since the data update above, the ReDoS (Medium).
    expect((await t.finished('manual/later', digest)).summary).toEqual({ total: 2, fixable: 2, summary: { High: 1, Medium: 1 } });
  });

  test('schedule: set, read back, and removed with type None', async () => {
    const set = await t.request('/api/v2.0/system/scanAll/schedule', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ schedule: { type: 'Daily' } }) });
    expect(set.status).toBe(200);
    expect(await (await t.request('/api/v2.0/system/scanAll/schedule', { headers: admin })).json()).toMatchObject({ schedule: { type: 'Daily', cron: '0 0 0 * * *' } });
    const custom = await t.request('/api/v2.0/system/scanAll/schedule', { method: 'PUT', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ schedule: { type: 'Custom', cron: '0 30 1 * * *' } }) });
    expect(custom.status).toBe(200);
    expect(await (await t.request('/api/v2.0/system/scanAll/schedule', { headers: admin })).json()).toMatchObject({ schedule: { type: 'Custom', cron: '0 30 1 * * *' } });
    await t.request('/api/v2.0/system/scanAll/schedule', { method: 'PUT', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ schedule: { type: 'None' } }) });
    expect(await (await t.request('/api/v2.0/system/scanAll/schedule', { headers: admin })).json()).toEqual({ schedule: { type: 'None', cron: '' } });
  });
});
