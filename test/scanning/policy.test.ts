import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gzipLayer, imageOf } from './support/layers.js';
import { type ScanningApp, admin, scanningApp } from './support/scanning-app.js';

let t: ScanningApp;
let vulnerable: string;
let clean: string;

async function nodeImage(lodash: string) {
  const lock = { lockfileVersion: 3, packages: { '': {}, 'node_modules/lodash': { version: lodash } } };
  return imageOf([await gzipLayer([{ name: 'app/package-lock.json', body: JSON.stringify(lock) }])]);
}

async function scan(repository: string, digest: string) {
  const [project, ...rest] = repository.split('/');
  const response = await t.request(`/api/v2.0/projects/${project}/repositories/${encodeURIComponent(encodeURIComponent(rest.join('/')))}/artifacts/${digest}/scan`, { method: 'POST', headers: admin });
  expect(response.status).toBe(202);
  return t.finished(repository, digest);
}

async function refusal(repository: string, reference: string): Promise<{ status: number; code?: string; message?: string }> {
  const response = await t.pull(repository, reference);
  if (response.status === 200) return { status: 200 };
  const body = (await response.json()) as { errors: { code: string; message: string }[] };
  return { status: response.status, code: body.errors[0]?.code, message: body.errors[0]?.message };
}

async function setSystemAllowlist(items: string[], expires_at: number | null) {
  const response = await t.request('/api/v2.0/system/CVEAllowlist', {
    method: 'PUT',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ items: items.map((cve_id) => ({ cve_id })), expires_at }),
  });
  expect(response.status).toBe(200);
}

/** The gate summaries are rewritten by a job after an allowlist change: wait for it. */
async function gatesSettled(digest: string, systemFlag: number) {
  const until = Date.now() + 10_000;
  for (;;) {
    const item = await t.deps.table.get({ pk: 'repo#guarded/app', sk: `summary#${digest}#scanning` });
    const findings = (item?.findings ?? []) as unknown as [string, number, number][];
    if (findings.length > 0 && findings.every((f) => f[2] === systemFlag)) return;
    if (Date.now() > until) throw new Error('gate summaries not rewritten');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  t = await scanningApp();
  await t.createProject('guarded');
  vulnerable = await t.push('guarded/app', 'bad', await nodeImage('4.17.15'));
  clean = await t.push('guarded/app', 'good', await nodeImage('4.17.21'));
  await scan('guarded/app', vulnerable);
  await scan('guarded/app', clean);
});
afterAll(async () => t.cleanup());

describe('prevent_vul', () => {
  test('off: everything pulls', async () => {
    expect(await refusal('guarded/app', 'bad')).toEqual({ status: 200 });
  });

  test('on at high: 412 PROJECTPOLICYVIOLATION naming the counts and the policy; a clean image pulls', async () => {
    await t.setMetadata('guarded', { prevent_vul: 'true', severity: 'high' });
    t.freshApp(); // the gate caches project metadata for 5 s per app
    const refused = await refusal('guarded/app', 'bad');
    expect(refused.status).toBe(412);
    expect(refused.code).toBe('PROJECTPOLICYVIOLATION');
    expect(refused.message).toContain('2 vulnerabilities (2 High)');
    expect(refused.message).toContain('severity of "High" or higher');
    expect(await refusal('guarded/app', 'good')).toEqual({ status: 200 });
    expect(await refusal('guarded/app', vulnerable)).toMatchObject({ status: 412 });
  });

  test('the project allowlist exempts findings by advisory id or CVE alias, until it expires', async () => {
    await t.setMetadata('guarded', { cve_allowlist: 'CVE-2021-23337, GHSA-p6mc-m468-83gw', cve_allowlist_expires_at: String(Math.floor(Date.now() / 1000) + 3600) });
    t.freshApp();
    expect(await refusal('guarded/app', 'bad')).toEqual({ status: 200 });
    await t.setMetadata('guarded', { cve_allowlist: 'CVE-2021-23337', cve_allowlist_expires_at: String(Math.floor(Date.now() / 1000) + 3600) });
    t.freshApp();
    expect((await refusal('guarded/app', 'bad')).message).toContain('1 vulnerabilities (1 High)');
    await t.setMetadata('guarded', { cve_allowlist: 'CVE-2021-23337, CVE-2020-8203', cve_allowlist_expires_at: String(Math.floor(Date.now() / 1000) - 1) });
    t.freshApp();
    expect((await refusal('guarded/app', 'bad')).message).toContain('2 vulnerabilities');
  });

  test('reuse_sys_cve_allowlist: the system list replaces the project one, with its expiry', async () => {
    await setSystemAllowlist(['CVE-2021-23337', 'CVE-2020-8203'], null);
    await gatesSettled(vulnerable, 1);
    await t.setMetadata('guarded', { reuse_sys_cve_allowlist: 'true', cve_allowlist: '' });
    t.freshApp();
    expect(await refusal('guarded/app', 'bad')).toEqual({ status: 200 });
    const listed = (await (await t.request('/api/v2.0/system/CVEAllowlist', { headers: admin })).json()) as { items: { cve_id: string }[]; expires_at: number | null };
    expect(listed).toMatchObject({ items: [{ cve_id: 'CVE-2021-23337' }, { cve_id: 'CVE-2020-8203' }], expires_at: null });

    await setSystemAllowlist(['CVE-2021-23337', 'CVE-2020-8203'], Math.floor(Date.now() / 1000) - 10);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await refusal('guarded/app', 'bad')).status).toBe(412);

    await setSystemAllowlist([], null);
    await gatesSettled(vulnerable, 0);
    expect((await refusal('guarded/app', 'bad')).status).toBe(412);
  });

  test('severity critical lets High findings through', async () => {
    await t.setMetadata('guarded', { severity: 'critical' });
    t.freshApp();
    expect(await refusal('guarded/app', 'bad')).toEqual({ status: 200 });
    await t.setMetadata('guarded', { severity: 'high' });
  });

  test('not yet scanned: allowed by default (as in Harbor), refused with prevent_unscanned', async () => {
    await t.push('guarded/app', 'new', await nodeImage('4.17.10'));
    t.freshApp();
    expect(await refusal('guarded/app', 'new')).toEqual({ status: 200 });
    await t.setMetadata('guarded', { prevent_unscanned: 'true' });
    t.freshApp();
    const refused = await refusal('guarded/app', 'new');
    expect(refused).toMatchObject({ status: 412, code: 'PROJECTPOLICYVIOLATION' });
    expect(refused.message).toContain('has not been scanned');
    expect(await refusal('guarded/app', 'good')).toEqual({ status: 200 });
  });
});
