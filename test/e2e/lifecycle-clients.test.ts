import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBerthServer } from './support/berth-server.js';
import { type ContainersTools, createContainersTools } from './support/containers-tools.js';
import { MiB, OciLayout } from './support/oci-layout.js';
import { type TempDir, makeTempDir } from './support/process.js';
import type { RegistryServer } from './support/registry-server.js';

/**
 * skopeo against `npm start` with auth on: a push over a project's quota and a push onto an
 * immutable tag are refused with messages a person can act on; a manual garbage collection run by
 * the server's own worker frees what a deleted image held.
 */
const adminPassword = 'E2e-Admin-Passw0rd';
const creds = `admin:${adminPassword}`;

let server: RegistryServer;
let tools: ContainersTools;
let work: TempDir;
let layout: OciLayout;
const stops: (() => Promise<void>)[] = [];

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}/api/v2.0${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(creds).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const output = (result: { stdout: string; stderr: string }) => `${result.stdout}${result.stderr}`;
const copy = (tag: string, to: string) =>
  tools.skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:${tag}`, `docker://${server.host}/${to}`], { allowFailure: true });

beforeAll(async () => {
  server = await startBerthServer({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
  stops.push(() => server.stop());
  tools = await createContainersTools();
  stops.push(() => tools.remove());
  work = await makeTempDir('lifecycle-clients');
  stops.push(() => work.remove());
  layout = await OciLayout.create(join(work.path, 'layout'));
  const small = await layout.addImage({ layerSizes: [256 * 1024] });
  await layout.tag(small.manifest, 'small');
  const other = await layout.addImage({ layerSizes: [300 * 1024] });
  await layout.tag(other.manifest, 'other');
  const collected = await layout.addImage({ layerSizes: [400 * 1024] });
  await layout.tag(collected.manifest, 'collected');
  const big = await layout.addImage({ layerSizes: [3 * MiB] });
  await layout.tag(big.manifest, 'big');
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
});

describe('skopeo meets lifecycle rules', () => {
  test('a push over the project quota is refused with the needed, used and limit sizes', async () => {
    expect((await api('POST', '/projects', { project_name: 'limited', storage_limit: 2 * MiB })).status).toBe(201);
    const small = await copy('small', 'limited/app:small');
    expect(small.code, output(small)).toBe(0);
    const big = await copy('big', 'limited/app:big');
    expect(big.code).not.toBe(0);
    expect(output(big)).toMatch(/denied: Quota exceeded when processing the request of adding 3 MiB of storage resource, which when updated to current usage of 25\d\.\d KiB will exceed the configured upper limit of 2 MiB/);
    const project = (await (await api('GET', '/projects/limited')).json()) as { project_id: number };
    const quota = (await (await api('GET', `/quotas/${project.project_id}`)).json()) as { used: { storage: number } };
    expect(quota.used.storage).toBeLessThan(300 * 1024);
  });

  test('a push moving an immutable tag is refused naming the rule; other tags still move', async () => {
    expect((await api('POST', '/projects', { project_name: 'frozen' })).status).toBe(201);
    const rule = {
      tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'release-*' }],
      scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
    };
    expect((await api('POST', '/projects/frozen/immutabletagrules', rule)).status).toBe(201);
    expect((await copy('small', 'frozen/app:release-1')).code).toBe(0);
    const moved = await copy('other', 'frozen/app:release-1');
    expect(moved.code).not.toBe(0);
    expect(output(moved)).toMatch(/The tag release-1 of frozen\/app is immutable: immutable tag rule \d+/);
    expect((await copy('small', 'frozen/app:latest')).code).toBe(0);
    const latest = await copy('other', 'frozen/app:latest');
    expect(latest.code, output(latest)).toBe(0);
  });

  test('garbage collection run through the API frees the blobs of a deleted image', async () => {
    expect((await copy('collected', 'collect/app:v1')).code).toBe(0);
    const deleted = await tools.skopeo(['delete', '--tls-verify=false', '--creds', creds, `docker://${server.host}/collect/app:v1`], { allowFailure: true });
    expect(deleted.code, output(deleted)).toBe(0);

    const started = await api('POST', '/system/gc/schedule', { schedule: { type: 'Manual' }, parameters: { delete_untagged: true, grace_seconds: 0 } });
    expect(started.status).toBe(201);
    const id = started.headers.get('location')!.split('/').pop();
    let status = '';
    for (let i = 0; i < 120 && status !== 'Success' && status !== 'Error'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = ((await (await api('GET', `/system/gc/${id}`)).json()) as { job_status: string }).job_status;
    }
    expect(status).toBe('Success');
    expect(await (await api('GET', `/system/gc/${id}/log`)).text()).toMatch(/freed \d+ bytes/);
    // At least the layer only this image held was freed (the refused pushes left nothing).
    const run = (await (await api('GET', `/system/gc/${id}`)).json()) as { job_parameters: string };
    expect((JSON.parse(run.job_parameters) as { freed_space: number }).freed_space).toBeGreaterThanOrEqual(400 * 1024);
    const catalog = (await (await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: `Basic ${Buffer.from(creds).toString('base64')}` } })).json()) as { repositories: string[] };
    expect(catalog.repositories).not.toContain('collect/app');
    const pulled = await tools.skopeo(['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${server.host}/frozen/app:latest`, `oci:${join(work.path, 'pulled')}:latest`], { allowFailure: true });
    expect(pulled.code, output(pulled)).toBe(0);
  });
});
