import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { webhookReceiver } from '../lifecycle/webhook-receiver.js';
import { startBerthServer } from './support/berth-server.js';
import { createContainersTools, type ContainersTools } from './support/containers-tools.js';
import { OciLayout } from './support/oci-layout.js';
import { makeTempDir, waitFor, type TempDir } from './support/process.js';
import type { RegistryServer } from './support/registry-server.js';

const password = 'Admin-Passw0rd-e2e';
const creds = `admin:${password}`;
const authorization = `Basic ${Buffer.from(creds).toString('base64')}`;

/**
 * Lifecycle policies on the real server process with skopeo: webhooks hear pushes and pulls,
 * pull counts survive a graceful restart (flushed on SIGTERM), and retention deletes what its
 * rule does not keep while skopeo still pulls what it kept.
 */
describe('retention and webhooks with skopeo', () => {
  let registry: RegistryServer;
  let tools: ContainersTools;
  let work: TempDir;
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

  const api = async (path: string, method = 'GET', body?: unknown) => {
    const response = await fetch(`${registry.url}/api/v2.0${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response;
  };

  beforeAll(async () => {
    [registry, tools, work, receiver] = await Promise.all([
      // A long flush interval: only the shutdown flush can have written the pull counts below.
      startBerthServer({ env: { BERTH_ADMIN_PASSWORD: password, BERTH_PULL_FLUSH_SECONDS: '3600' } }),
      createContainersTools(),
      makeTempDir('lifecycle'),
      webhookReceiver(),
    ]);
  });

  afterAll(async () => {
    await registry?.stop();
    await tools?.remove();
    await work?.remove();
    await receiver?.down();
  });

  test('webhooks, pull counts across a restart, and retention keeping what was pulled', async () => {
    const created = await api('/projects', 'POST', { project_name: 'life' });
    const projectId = Number(created.headers.get('location')!.split('/').pop());
    await api('/projects/life/webhook/policies', 'POST', { name: 'ci', targets: [{ address: receiver.url }], event_types: ['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT'] });

    const layout = await OciLayout.create(join(work.path, 'layout'));
    const digests: Record<string, string> = {};
    for (const tag of ['one', 'two', 'three']) {
      const image = await layout.addImage({ layerSizes: [4096] });
      await layout.tag(image.manifest, tag);
      digests[tag] = image.manifest.digest;
      await tools.skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:${tag}`, `docker://${registry.host}/life/app:${tag}`]);
    }
    await tools.skopeo(['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${registry.host}/life/app:two`, `oci:${join(work.path, 'pulled')}:two`]);
    await waitFor('three push webhooks', () => receiver.received.filter((r) => r.body.type === 'PUSH_ARTIFACT').length === 3);

    // SIGTERM: the server writes the pull counts it holds before it exits.
    await registry.restart();
    await waitFor('the pull webhook', () => receiver.received.some((r) => r.body.type === 'PULL_ARTIFACT'));
    const pull = receiver.received.find((r) => r.body.type === 'PULL_ARTIFACT')!;
    expect(pull.body).toMatchObject({ operator: 'admin', event_data: { resources: [{ digest: digests.two, tag: 'two' }] } });

    const policy = await api('/retentions', 'POST', {
      rules: [
        {
          template: 'latestPulledN',
          params: { latestPulledN: 1 },
          tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '**' }],
          scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
        },
      ],
      scope: { level: 'project', ref: projectId },
    });
    const policyId = policy.headers.get('location')!.split('/').pop();
    await api(`/retentions/${policyId}/executions`, 'POST', { dry_run: false });
    const execution = await waitFor('the retention run', async () => {
      const [latest] = (await (await api(`/retentions/${policyId}/executions`)).json()) as { status: string }[];
      return latest?.status === 'Succeed' ? latest : undefined;
    });
    expect(execution).toMatchObject({ dry_run: false, trigger: 'MANUAL' });

    const kept = await tools.skopeo(['inspect', '--tls-verify=false', '--creds', creds, `docker://${registry.host}/life/app:two`]);
    expect(JSON.parse(kept.stdout).Digest).toBe(digests.two);
    for (const tag of ['one', 'three']) {
      const gone = await tools.skopeo(['inspect', '--tls-verify=false', '--creds', creds, `docker://${registry.host}/life/app:${tag}`], { allowFailure: true });
      expect(gone.code).not.toBe(0);
    }
    await waitFor('two delete webhooks', () => receiver.received.filter((r) => r.body.type === 'DELETE_ARTIFACT').length === 2);
    const logs = (await (await api('/projects/life/logs?q=operation=delete')).json()) as { username: string; resource: string }[];
    expect(logs.map((l) => `${l.username} ${l.resource}`).sort()).toEqual([`retention life/app@${digests.one}`, `retention life/app@${digests.three}`].sort());
  });
});
