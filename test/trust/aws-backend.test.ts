import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { createApp } from '../../functions/app.js';
import { loadConfig } from '../../functions/config.js';
import { type AwsDeps, createAwsDeps } from '../../functions/entry/aws-deps.js';
import { Identity } from '../../functions/identity/identity.js';
import { PullGates } from '../../functions/registry/pull-gates.js';
import { describeKey, TrustKeyStore } from '../../functions/trust/key-store.js';
import { trustCapability } from '../../functions/trust/trust-capability.js';
import type { RegistryEvent } from '../../functions/core/jobs.js';
import { startMotoStack, type MotoStack } from '../support/aws-stack.js';
import { pushBlob, pushCosignSignature, pushManifest, type RegistryRequest } from './support/push-signatures.js';
import { cosignSign, simpleSigningPayload } from './support/signers.js';

/**
 * The same content-trust path on the AWS adapters (DynamoDB, S3, SQS on moto): keys, verdicts and
 * pointers written by the worker's handler, read by the pull gate, cascade deletes through S3.
 * Events are handed to the capability as the worker would (the outbox relay has its own tests).
 */
let stack: MotoStack;
let deps: AwsDeps;
let request: RegistryRequest;
const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const repo = 'aws-trust/app';

beforeAll(async () => {
  stack = await startMotoStack();
  deps = createAwsDeps(loadConfig(stack.env));
  const app = createApp(deps);
  request = async (path, init) => app.request(path, init);
  const identity = new Identity(deps.table, { service: 'berth' });
  const project = await identity.projects.create({ name: 'aws-trust', public: false, ownerId: 1, ownerName: 'admin', metadata: { enable_content_trust_cosign: 'true' } });
  deps.identity = identity;
  const key = describeKey({ name: 'release', kind: 'public_key', pem: signer.publicKey.export({ type: 'spki', format: 'pem' }).toString() }, new Date());
  if ('error' in key) throw new Error(key.error);
  expect(await new TrustKeyStore(deps.table, deps.queue).add(project!, { ...key, createdAt: new Date().toISOString() })).toBe(true);
});
afterAll(async () => stack?.stop());

const event = (fields: Partial<RegistryEvent>): RegistryEvent => ({ version: 1, kind: 'registry-event', id: crypto.randomUUID(), action: 'push', repository: repo, digest: '', at: new Date().toISOString(), ...fields });

async function image(tag: string) {
  const config = await pushBlob(request, repo, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, tag })));
  return pushManifest(request, repo, tag, { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [] });
}

describe('content trust on DynamoDB and S3', () => {
  test('a verified verdict opens the gate, an unsigned artifact stays refused, deletes cascade', async () => {
    const trust = trustCapability(deps);
    const gates = new PullGates([trust], deps.table, deps.identity);
    const signed = await image('signed');
    const unsigned = await image('unsigned');
    const payload = simpleSigningPayload(signed.digest);
    const sig = await pushCosignSignature(request, repo, signed, [{ payload, annotations: { 'dev.cosignproject.cosign/signature': cosignSign(payload, signer.privateKey) } }]);
    await trust.onEvent!(event({ digest: sig.digest, tag: `${signed.digest.replace(':', '-')}.sig` }));
    await trust.onEvent!(event({ digest: unsigned.digest, tag: 'unsigned' }));

    await expect(gates.check(repo, signed.digest)).resolves.toBeUndefined();
    await expect(gates.check(repo, unsigned.digest)).rejects.toMatchObject({ code: 'PROJECTPOLICYVIOLATION', message: expect.stringContaining('not signed with cosign') });

    expect((await request(`/v2/${repo}/manifests/${signed.digest}`, { method: 'DELETE' })).status).toBe(202);
    await trust.onEvent!(event({ action: 'delete', digest: signed.digest }));
    expect((await request(`/v2/${repo}/manifests/${sig.digest}`, { method: 'HEAD' })).status).toBe(404);
    expect(await deps.table.query('trust#aws-trust', { prefix: 'signed#' })).toEqual([]);
  });
});
