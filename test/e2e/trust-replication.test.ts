import { generateKeyPairSync, sign } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBerthServer } from './support/berth-server.js';
import { createContainersTools, type ContainersTools } from './support/containers-tools.js';
import { MediaType, OciLayout } from './support/oci-layout.js';
import { makeTempDir, waitFor, type TempDir } from './support/process.js';
import type { RegistryServer } from './support/registry-server.js';

/**
 * A cosign-signed image copied from one Berth to another with skopeo (the image and its `.sig`
 * tag, as a mirror job does) is verified again at the destination, with the destination project's
 * keys: its pull policy lets the image through where the signer's key is trusted, and refuses it
 * where another key is.
 */
const password = 'Trust-Passw0rd';
const creds = `admin:${password}`;
const basic = `Basic ${Buffer.from(creds).toString('base64')}`;
const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pemOf = (key: typeof signer.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString();

async function api(server: RegistryServer, method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${server.url}/api/v2.0${path}`, {
    method,
    headers: { authorization: basic, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  await response.arrayBuffer();
  return response.status;
}

async function pullStatus(server: RegistryServer, repository: string, reference: string): Promise<{ status: number; body: string }> {
  const scope = `repository:${repository}:pull`;
  const token = await fetch(`${server.url}/service/token?service=berth&scope=${encodeURIComponent(scope)}`, { headers: { authorization: basic } });
  const { token: bearer } = (await token.json()) as { token: string };
  const response = await fetch(`${server.url}/v2/${repository}/manifests/${reference}`, {
    headers: { authorization: `Bearer ${bearer}`, accept: MediaType.ociManifest },
  });
  return { status: response.status, body: await response.text() };
}

describe('signatures survive a copy between two Berths and verify with the destination keys', () => {
  let source: RegistryServer;
  let destination: RegistryServer;
  let tools: ContainersTools;
  let work: TempDir;

  beforeAll(async () => {
    const env = { BERTH_ADMIN_PASSWORD: password };
    [source, destination, tools, work] = await Promise.all([
      startBerthServer({ env }),
      startBerthServer({ env }),
      createContainersTools(),
      makeTempDir('trust'),
    ]);
  });

  afterAll(async () => {
    await source?.stop();
    await destination?.stop();
    await tools?.remove();
    await work?.remove();
  });

  test('skopeo copies image and .sig tag; the destination policy verifies them', async () => {
    // The signed image and its cosign signature, as `cosign sign --key` would lay them out.
    const layout = await OciLayout.create(join(work.path, 'layout'));
    const image = await layout.addImage({ layerSizes: [64 * 1024] });
    await layout.tag(image.manifest, 'v1');
    const payload = Buffer.from(JSON.stringify({
      critical: { identity: { 'docker-reference': `${source.host}/signed/app` }, image: { 'docker-manifest-digest': image.manifest.digest }, type: 'cosign container image signature' },
      optional: null,
    }));
    const payloadBlob = await layout.writeBlob('application/vnd.dev.cosign.simplesigning.v1+json', payload);
    const sigConfig = await layout.writeJsonBlob(MediaType.ociConfig, { architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [payloadBlob.digest] } });
    const sigManifest = await layout.writeJsonBlob(MediaType.ociManifest, {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: sigConfig,
      layers: [{ ...payloadBlob, annotations: { 'dev.cosignproject.cosign/signature': sign('sha256', payload, signer.privateKey).toString('base64') } }],
    });
    const sigTag = `${image.manifest.digest.replace(':', '-')}.sig`;
    await layout.tag(sigManifest, sigTag);

    for (const server of [source, destination]) {
      expect(await api(server, 'POST', '/projects', { project_name: 'signed' })).toBe(201);
      expect(await api(server, 'POST', '/projects', { project_name: 'strangers' })).toBe(201);
    }
    expect(await api(destination, 'POST', '/projects/signed/trust/keys', { name: 'release', public_key: pemOf(signer.publicKey) })).toBe(201);
    expect(await api(destination, 'POST', '/projects/strangers/trust/keys', { name: 'someone', public_key: pemOf(otherKey.publicKey) })).toBe(201);
    for (const project of ['signed', 'strangers']) {
      expect(await api(destination, 'PUT', `/projects/${project}`, { metadata: { enable_content_trust_cosign: 'true' } })).toBe(200);
    }

    for (const tag of ['v1', sigTag]) {
      await tools.skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, '--preserve-digests', `oci:${layout.dir}:${tag}`, `docker://${source.host}/signed/app:${tag}`]);
    }
    // The mirror: registry to registry, image first and signature second, as a replication does.
    for (const project of ['signed', 'strangers']) {
      for (const tag of ['v1', sigTag]) {
        await tools.skopeo([
          'copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds, '--dest-creds', creds, '--preserve-digests',
          `docker://${source.host}/signed/app:${tag}`, `docker://${destination.host}/${project}/app:${tag}`,
        ]);
      }
    }

    // The worker verifies after the push events: the trusted project opens once it has.
    const allowed = await waitFor('the destination to verify the copied signature', async () => {
      const result = await pullStatus(destination, 'signed/app', 'v1');
      return result.status === 200 ? result : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(JSON.parse(allowed.body)).toMatchObject({ config: { digest: image.config.digest } });

    // The same bytes in a project that trusts another key stay refused, naming why.
    const refused = await pullStatus(destination, 'strangers/app', 'v1');
    expect(refused.status).toBe(412);
    expect(JSON.parse(refused.body)).toMatchObject({ errors: [{ code: 'PROJECTPOLICYVIOLATION', message: expect.stringContaining('does not trust') }] });

    // What a client sees: skopeo's pull from the refusing project fails on the policy, while the
    // trusted project's image copies out, and the signature itself stays fetchable for verifiers.
    const refusedCopy = await tools.skopeo(
      ['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${destination.host}/strangers/app:v1`, `oci:${join(work.path, 'refused')}:v1`],
      { allowFailure: true },
    );
    expect(refusedCopy.code).not.toBe(0);
    expect(`${refusedCopy.stdout}${refusedCopy.stderr}`).toMatch(/412|Precondition|does not trust/i);
    await tools.skopeo(['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${destination.host}/signed/app:v1`, `oci:${join(work.path, 'pulled')}:v1`]);
    expect((await pullStatus(destination, 'strangers/app', sigTag)).status).toBe(200);

    // The source has no policy on: it serves the image, signed or not.
    expect((await pullStatus(source, 'signed/app', 'v1')).status).toBe(200);
  });
});
