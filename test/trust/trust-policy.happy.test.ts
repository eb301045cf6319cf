import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { digestOf } from '../../functions/core/digest.js';
import { accessoriesOf } from '../../functions/trust/accessories.js';
import { describeKey, TrustKeyStore, type TrustKey } from '../../functions/trust/key-store.js';
import { trustService, trustSummaryOf } from '../../functions/trust/trust-capability.js';
import { pushBlob, pushCosignSignature, pushManifest, pushReferrer, type RegistryRequest } from './support/push-signatures.js';
import { cosignSign, notationJws, pkiSigner, simpleSigningPayload } from './support/signers.js';
import { trustApp, type TrustApp } from './support/trust-app.js';

/**
 * Content trust end to end in one process: keys through the API, signatures through /v2, verdicts
 * by the worker, refusals on manifest GET.
 */
let t: TrustApp;
let push: RegistryRequest;
const release = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const releasePem = release.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });

beforeAll(async () => {
  t = await trustApp();
  push = (path, init) => t.v2(path, init);
});
afterAll(async () => t.cleanup());

async function project(metadata: Record<string, string>): Promise<string> {
  const name = `p${randomUUID().slice(0, 8)}`;
  expect((await t.api('POST', '/projects', { project_name: name, metadata })).status).toBe(201);
  return name;
}

async function image(repository: string, tag = 'v1') {
  const config = await pushBlob(push, repository, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed: randomUUID() })));
  const layer = await pushBlob(push, repository, Buffer.from(`layer ${randomUUID()}`));
  return pushManifest(push, repository, tag, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  });
}

async function cosignSignature(repository: string, subject: { digest: string; size: number }, key = release.privateKey, signed = subject.digest) {
  const payload = simpleSigningPayload(signed);
  return pushCosignSignature(push, repository, subject, [{ payload, annotations: { 'dev.cosignproject.cosign/signature': cosignSign(payload, key) } }]);
}

async function pull(repository: string, reference: string) {
  const response = await t.v2(`/v2/${repository}/manifests/${reference}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const body = response.status === 200 ? null : ((await response.json()) as { errors: { code: string; message: string }[] }).errors[0];
  return { status: response.status, code: body?.code, message: body?.message };
}

describe('cosign policy', () => {
  test('unsigned is refused; a signature by an untrusted key is refused; trusting the key lets it through', async () => {
    const p = await project({ enable_content_trust_cosign: 'true' });
    const repo = `${p}/app`;
    const subject = await image(repo);
    expect(await pull(repo, 'v1')).toMatchObject({ status: 412, code: 'PROJECTPOLICYVIOLATION', message: expect.stringContaining('not signed with cosign') });

    await cosignSignature(repo, subject);
    await t.settle();
    expect(await pull(repo, 'v1')).toMatchObject({ status: 412, message: expect.stringContaining('does not trust') });

    expect((await t.api('POST', `/projects/${p}/trust/keys`, { name: 'release', public_key: releasePem })).status).toBe(201);
    await t.settle();
    expect(await pull(repo, 'v1')).toEqual({ status: 200, code: undefined, message: undefined });
    expect(await trustSummaryOf(t.deps, repo, subject.digest)).toMatchObject({
      cosign: { state: 'verified', key: 'release', signatures: 1 },
      notation: { state: 'unsigned' },
      signatures: [{ type: 'signature.cosign', status: 'verified', key: 'release' }],
    });
    expect((await pull(repo, subject.digest)).status).toBe(200);

    // Removing the key takes the trust away again, without any new push.
    expect((await t.api('DELETE', `/projects/${p}/trust/keys/release`)).status).toBe(200);
    await t.settle();
    expect((await pull(repo, 'v1')).status).toBe(412);
  });

  test('a .sig tag carrying another image signature is refused as not matching the digest', async () => {
    const p = await project({ enable_content_trust_cosign: 'true' });
    const repo = `${p}/app`;
    await t.api('POST', `/projects/${p}/trust/keys`, { name: 'release', public_key: releasePem });
    const good = await image(repo, 'good');
    const other = await image(repo, 'other');
    await cosignSignature(repo, other, release.privateKey, good.digest);
    await t.settle();
    expect(await pull(repo, 'other')).toMatchObject({ status: 412, message: expect.stringContaining('does not match its digest') });
  });

  test('a trusted signature among untrusted ones is enough; deleting it refuses the pull again', async () => {
    const p = await project({ enable_content_trust_cosign: 'true' });
    const repo = `${p}/app`;
    await t.api('POST', `/projects/${p}/trust/keys`, { name: 'release', public_key: releasePem });
    const subject = await image(repo);
    await cosignSignature(repo, subject, stranger.privateKey);
    const payload = simpleSigningPayload(subject.digest);
    const referrer = await pushCosignSignature(push, repo, subject, [{ payload, annotations: { 'dev.cosignproject.cosign/signature': cosignSign(payload, release.privateKey) } }], 'referrer');
    await t.settle();
    expect((await pull(repo, 'v1')).status).toBe(200);
    expect((await t.v2(`/v2/${repo}/manifests/${referrer.digest}`, { method: 'DELETE' })).status).toBe(202);
    await t.settle();
    expect(await pull(repo, 'v1')).toMatchObject({ status: 412, message: expect.stringContaining('does not trust') });
  });

  test('a key change re-verifies the project page by page', async () => {
    const p = await project({ enable_content_trust_cosign: 'true' });
    const repo = `${p}/app`;
    const subjects = [await image(repo, 'a'), await image(repo, 'b'), await image(repo, 'c')];
    for (const subject of subjects) await cosignSignature(repo, subject);
    await t.settle();
    // The key goes in without its job, so that the pages below are all the re-verification there is.
    const found = (await t.identity.projects.get(p))!;
    const key = describeKey({ name: 'release', kind: 'public_key', pem: releasePem }, new Date());
    expect(await new TrustKeyStore(t.deps.table).add(found, { ...(key as TrustKey), createdAt: new Date().toISOString() })).toBe(true);
    const service = trustService(t.deps);
    const cursor = await service.reverifyPage(p, undefined, 2);
    expect(cursor).not.toBeNull();
    const statuses = async () => Promise.all(subjects.map(async (s) => (await pull(repo, s.digest)).status));
    expect((await statuses()).sort()).toEqual([200, 200, 412]);
    expect(await service.reverifyPage(p, cursor!, 2)).toBeNull();
    expect(await statuses()).toEqual([200, 200, 200]);
  });

  test('projects without the switch are not gated, signed or not', async () => {
    const p = await project({});
    const repo = `${p}/app`;
    await image(repo);
    expect((await pull(repo, 'v1')).status).toBe(200);
  });

  test('an artifact pushed after its signature (as a copy may do) gets its verdict on arrival', async () => {
    const p = await project({ enable_content_trust_cosign: 'true' });
    const repo = `${p}/app`;
    await t.api('POST', `/projects/${p}/trust/keys`, { name: 'release', public_key: releasePem });
    // Build the image in another repository first to know its digest, then push signature, then image.
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.byteLength },
      layers: [],
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const subject = { digest: digestOf(bytes), size: bytes.byteLength };
    await cosignSignature(repo, subject);
    await t.settle();
    await pushBlob(push, repo, config);
    await pushManifest(push, repo, 'late', manifest);
    await t.settle();
    expect((await pull(repo, 'late')).status).toBe(200);
  });
});

describe('signature manifests under a policy', () => {
  test('clients can fetch the signatures themselves (cosign verify, notation verify), but an image dressed up as one stays refused', async () => {
    const p = await project({ enable_content_trust_cosign: 'true', enable_content_trust: 'true' });
    const repo = `${p}/app`;
    const subject = await image(repo);
    await cosignSignature(repo, subject, stranger.privateKey);
    const root = pkiSigner('root');
    const signer = pkiSigner('signer-ec');
    const notation = await pushReferrer(push, repo, subject, 'application/vnd.cncf.notary.signature', { mediaType: 'application/jose+json', bytes: await notationJws({ ...subject, key: signer.key, chain: [signer.certificate, root.certificate] }) });
    // An image with a root filesystem layer, claiming to be a Notation signature of the subject.
    const layer = await pushBlob(push, repo, Buffer.from('a tar of a root filesystem'));
    const disguised = await pushReferrer(push, repo, subject, 'application/vnd.cncf.notary.signature', { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer });
    await t.settle();
    expect((await pull(repo, subject.digest)).status).toBe(412);
    expect((await pull(repo, `${subject.digest.replace(':', '-')}.sig`)).status).toBe(200);
    expect((await pull(repo, notation.digest)).status).toBe(200);
    expect(await pull(repo, disguised.digest)).toMatchObject({ status: 412, code: 'PROJECTPOLICYVIOLATION' });
  });
});

describe('multi-platform images', () => {
  test('the children of a signed index are pulled by digest under its signature, and lose it with it', async () => {
    const p = await project({ enable_content_trust_cosign: 'true' });
    const repo = `${p}/app`;
    await t.api('POST', `/projects/${p}/trust/keys`, { name: 'release', public_key: releasePem });
    const amd64 = await image(repo, 'amd64');
    const arm64 = await image(repo, 'arm64');
    const loose = await image(repo, 'loose');
    const index = await pushManifest(push, repo, 'multi', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...amd64, platform: { architecture: 'amd64', os: 'linux' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...arm64, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    }, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
    const sig = await cosignSignature(repo, index);
    await t.settle();
    const pullIndex = async () => (await t.v2(`/v2/${repo}/manifests/multi`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } })).status;
    expect(await pullIndex()).toBe(200);
    expect((await pull(repo, amd64.digest)).status).toBe(200);
    expect((await pull(repo, arm64.digest)).status).toBe(200);
    expect((await pull(repo, loose.digest)).status).toBe(412);

    expect((await t.v2(`/v2/${repo}/manifests/${sig.digest}`, { method: 'DELETE' })).status).toBe(202);
    await t.settle();
    expect(await pullIndex()).toBe(412);
    expect(await pull(repo, amd64.digest)).toMatchObject({ status: 412, message: expect.stringContaining('not signed') });
  });
});

describe('Notation policy', () => {
  test('a JWS chained to the trusted root with the right identity lets the pull through', async () => {
    const p = await project({ enable_content_trust: 'true' });
    const repo = `${p}/app`;
    const subject = await image(repo);
    const root = pkiSigner('root');
    const signer = pkiSigner('signer-ec');
    await pushReferrer(push, repo, subject, 'application/vnd.cncf.notary.signature', { mediaType: 'application/jose+json', bytes: await notationJws({ ...subject, key: signer.key, chain: [signer.certificate, root.certificate] }) });
    await t.settle();
    expect(await pull(repo, 'v1')).toMatchObject({ status: 412, message: expect.stringContaining('does not trust') });

    const anchor = await t.api('POST', `/projects/${p}/trust/keys`, { name: 'berth-root', certificate: root.pem, identity: 'x509.subject: C=US, ST=WA, O=Berth Test, CN=someone-else' });
    expect(anchor.status).toBe(201);
    await t.settle();
    expect(await pull(repo, 'v1')).toMatchObject({ status: 412, message: expect.stringContaining('identity') });

    await t.api('DELETE', `/projects/${p}/trust/keys/berth-root`);
    await t.api('POST', `/projects/${p}/trust/keys`, { name: 'berth-root', certificate: root.pem, identity: 'x509.subject: C=US, ST=WA, O=Berth Test, CN=release-signer' });
    await t.settle();
    expect((await pull(repo, 'v1')).status).toBe(200);
  });

  test('with both switches on, a cosign signature alone is not enough', async () => {
    const p = await project({ enable_content_trust: 'true', enable_content_trust_cosign: 'true' });
    const repo = `${p}/app`;
    await t.api('POST', `/projects/${p}/trust/keys`, { name: 'release', public_key: releasePem });
    const subject = await image(repo);
    await cosignSignature(repo, subject);
    await t.settle();
    expect(await pull(repo, 'v1')).toMatchObject({ status: 412, message: expect.stringContaining('not signed with Notation') });
  });
});

describe('accessories follow their artifact', () => {
  test('deleting an artifact deletes its signatures and other referrers, each with its own event', async () => {
    const p = await project({});
    const repo = `${p}/app`;
    const subject = await image(repo);
    const sig = await cosignSignature(repo, subject);
    const root = pkiSigner('root');
    const signer = pkiSigner('signer-ec');
    const notation = await pushReferrer(push, repo, subject, 'application/vnd.cncf.notary.signature', { mediaType: 'application/jose+json', bytes: await notationJws({ ...subject, key: signer.key, chain: [signer.certificate, root.certificate] }) });
    const sbom = await pushReferrer(push, repo, subject, 'application/spdx+json', { mediaType: 'application/spdx+json', bytes: Buffer.from('{}') });
    await t.settle();
    expect((await accessoriesOf(t.deps, repo, subject.digest)).map((a) => a.type).sort()).toEqual(['signature.cosign', 'signature.notation', 'subject.accessory']);

    expect((await t.v2(`/v2/${repo}/manifests/${subject.digest}`, { method: 'DELETE' })).status).toBe(202);
    await t.settle();
    for (const digest of [sig.digest, notation.digest, sbom.digest]) {
      expect((await t.v2(`/v2/${repo}/manifests/${digest}`, { method: 'HEAD' })).status).toBe(404);
    }
    expect((await t.v2(`/v2/${repo}/manifests/${subject.digest.replace(':', '-')}.sig`, { method: 'HEAD' })).status).toBe(404);
    const audit = await t.deps.table.query(`audit#${p}`);
    const deleted = audit.filter((a) => a.operation === 'delete' && a.resource_type === 'artifact').map((a) => (a.resource as string).split('@')[1]);
    expect(deleted.sort()).toEqual([subject.digest, sig.digest, notation.digest, sbom.digest].sort());
    expect(await t.deps.table.query(`trust#${p}`)).toEqual([]);
  });

  test('a redelivered event changes nothing more', async () => {
    const p = await project({ enable_content_trust_cosign: 'true' });
    const repo = `${p}/app`;
    await t.api('POST', `/projects/${p}/trust/keys`, { name: 'release', public_key: releasePem });
    const subject = await image(repo);
    const sig = await cosignSignature(repo, subject);
    await t.settle();
    const trust = t.capabilities.find((c) => c.name === 'trust')!;
    const event = { version: 1 as const, kind: 'registry-event' as const, id: randomUUID(), action: 'push' as const, repository: repo, digest: sig.digest, tag: `${subject.digest.replace(':', '-')}.sig`, at: new Date().toISOString() };
    await trust.onEvent!(event);
    await trust.onEvent!(event);
    expect((await pull(repo, 'v1')).status).toBe(200);
    // A stale delete event of an artifact that is still there deletes nothing.
    await trust.onEvent!({ ...event, id: randomUUID(), action: 'delete', tag: undefined });
    expect((await pull(repo, 'v1')).status).toBe(200);
    expect((await t.v2(`/v2/${repo}/manifests/${sig.digest}`, { method: 'HEAD' })).status).toBe(200);
  });
});
