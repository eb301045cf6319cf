import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { addMember, addUser, basic, userPassword } from '../support/identity-app.js';
import { fixtureText } from './support/fixtures.js';
import { trustApp, type TrustApp } from './support/trust-app.js';

/** `/api/v2.0/projects/{p}/trust/keys`: validation (happy, error) and who may do what (security). */
let t: TrustApp;
const pem = (pair: { publicKey: { export(o: object): string | Buffer } }) => pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const p256 = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }));

beforeAll(async () => {
  t = await trustApp();
  expect((await t.api('POST', '/projects', { project_name: 'keys' })).status).toBe(201);
  for (const [user, role] of [['owner', 'projectAdmin'], ['keeper', 'maintainer'], ['dev', 'developer'], ['guest', 'guest']] as const) {
    await addUser(t.identity, user);
    await addMember(t.identity, 'keys', user, role);
  }
  await addUser(t.identity, 'outsider');
});
afterAll(async () => t.cleanup());

function harborError(result: { status: number; json: unknown }, status: number, code: string) {
  expect(result.status).toBe(status);
  expect(result.json).toEqual({ errors: [{ code, message: expect.any(String) }] });
}

describe('happy', () => {
  test.each([
    ['ecdsa-p256', () => p256],
    ['ecdsa-p384', () => pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }))],
    ['rsa', () => pem(generateKeyPairSync('rsa', { modulusLength: 2048 }))],
    ['ed25519', () => pem(generateKeyPairSync('ed25519'))],
    ['ecdsa-p256', () => fixtureText('cosign/cosign.pub')],
  ])('a %s cosign public key is trusted, listed and removed', async (algorithm, make) => {
    const name = `k-${algorithm}-${Math.random().toString(36).slice(2, 8)}`;
    const created = await t.api('POST', '/projects/keys/trust/keys', { name, public_key: make() });
    expect(created.status).toBe(201);
    const listed = await t.api('GET', '/projects/keys/trust/keys?page_size=100');
    expect(listed.json).toContainEqual(expect.objectContaining({ name, type: 'public_key', algorithm, fingerprint: expect.stringMatching(/^sha256:[a-f0-9]{64}$/), public_key: expect.stringContaining('BEGIN PUBLIC KEY') }));
    expect((await t.api('DELETE', `/projects/keys/trust/keys/${name}`)).status).toBe(200);
    expect((await t.api('GET', '/projects/keys/trust/keys?page_size=100')).json.map((k: { name: string }) => k.name)).not.toContain(name);
  });

  test('a Notation trust anchor with its identity', async () => {
    const created = await t.api('POST', '/projects/keys/trust/keys', { name: 'root', certificate: fixtureText('pki/root.crt'), identity: 'x509.subject: C=US, ST=WA, O=Berth Test' });
    expect(created.status).toBe(201);
    const listed = await t.api('GET', '/projects/keys/trust/keys?page_size=100');
    expect(listed.json).toContainEqual(expect.objectContaining({ name: 'root', type: 'certificate', identity: 'x509.subject: C=US, ST=WA, O=Berth Test', subject: 'C=US, ST=WA, O=Berth Test, CN=Berth Test Root', not_after: '2120-01-01T00:00:00.000Z' }));
    expect((await t.api('DELETE', '/projects/keys/trust/keys/root')).status).toBe(200);
  });

  test('a Fulcio root with an identity is accepted', async () => {
    expect((await t.api('POST', '/projects/keys/trust/keys', { name: 'fulcio', certificate: fixtureText('cosign/fulcio-root.pem'), identity: 'email:mitr@redhat.com' })).status).toBe(201);
    expect((await t.api('DELETE', '/projects/keys/trust/keys/fulcio')).status).toBe(200);
  });

  test('the project may be named by id', async () => {
    const project = await t.api('GET', '/projects/keys');
    expect((await t.api('GET', `/projects/${project.json.project_id}/trust/keys`)).status).toBe(200);
  });

  test('a project deleted and created again under the same name does not inherit its keys', async () => {
    expect((await t.api('POST', '/projects', { project_name: 'reborn' })).status).toBe(201);
    expect((await t.api('POST', '/projects/reborn/trust/keys', { name: 'release', public_key: p256 })).status).toBe(201);
    expect((await t.api('DELETE', '/projects/reborn')).status).toBe(200);
    expect((await t.api('POST', '/projects', { project_name: 'reborn' })).status).toBe(201);
    expect((await t.api('GET', '/projects/reborn/trust/keys')).json).toEqual([]);
    harborError(await t.api('DELETE', '/projects/reborn/trust/keys/release'), 404, 'NOT_FOUND');
    expect((await t.api('POST', '/projects/reborn/trust/keys', { name: 'release', public_key: pem(generateKeyPairSync('ed25519')) })).status).toBe(201);
    expect((await t.api('GET', '/projects/reborn/trust/keys')).json).toEqual([expect.objectContaining({ name: 'release', algorithm: 'ed25519' })]);
  });

  test('the OpenAPI document lists the endpoints and their body', async () => {
    const doc = await t.api('GET', '/openapi.json');
    expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(['/projects/{project_name_or_id}/trust/keys', '/projects/{project_name_or_id}/trust/keys/{name}']));
    expect(Object.keys(doc.json.components.schemas.TrustKeyReq.properties)).toEqual(['name', 'public_key', 'certificate', 'identity']);
  });
});

describe('error', () => {
  test.each([
    ['malformed PEM', { name: 'a', public_key: '-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----' }],
    ['no PEM at all', { name: 'a', public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI' }],
    ['a private key', { name: 'a', public_key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }],
    ['a P-521 key', { name: 'a', public_key: pem(generateKeyPairSync('ec', { namedCurve: 'P-521' })) }],
    ['a secp256k1 key', { name: 'a', public_key: pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' })) }],
    ['a 1024-bit RSA key', { name: 'a', public_key: pem(generateKeyPairSync('rsa', { modulusLength: 1024 })) }],
    ['an X25519 key', { name: 'a', public_key: pem(generateKeyPairSync('x25519')) }],
    ['a DSA key', { name: 'a', public_key: pem(generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 })) }],
    ['a certificate as public_key', { name: 'a', public_key: fixtureText('pki/root.crt') }],
    ['a key as certificate', { name: 'a', certificate: p256 }],
    ['an expired certificate', { name: 'a', certificate: fixtureText('pki/signer-expired.crt') }],
    ['two certificates', { name: 'a', certificate: fixtureText('pki/root.crt') + fixtureText('pki/other-root.crt') }],
    ['both kinds', { name: 'a', public_key: p256, certificate: fixtureText('pki/root.crt') }],
    ['neither kind', { name: 'a' }],
    ['an identity on a public key', { name: 'a', public_key: p256, identity: '*' }],
    ['an empty identity', { name: 'a', certificate: fixtureText('pki/root.crt'), identity: ' ' }],
    ['a Fulcio root without an identity', { name: 'a', certificate: fixtureText('cosign/fulcio-root.pem') }],
    ['a Fulcio root trusting anyone', { name: 'a', certificate: fixtureText('cosign/fulcio-root.pem'), identity: '*' }],
    ['a bad name', { name: 'Has Spaces', public_key: p256 }],
    ['no name', { public_key: p256 }],
    ['a huge PEM', { name: 'a', public_key: `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(70_000)}\n-----END PUBLIC KEY-----` }],
    ['not JSON', '{"name":'],
  ])('%s is a 400 in Harbor shape', async (_case, body) => {
    harborError(await t.api('POST', '/projects/keys/trust/keys', body), 400, 'BAD_REQUEST');
  });

  test('none of the refused keys was stored', async () => {
    // One look for all the cases above: every API call pays a scrypt login.
    expect((await t.api('GET', '/projects/keys/trust/keys')).json).toEqual([]);
  });

  test('a second key of the same name is a conflict', async () => {
    expect((await t.api('POST', '/projects/keys/trust/keys', { name: 'dup', public_key: p256 })).status).toBe(201);
    harborError(await t.api('POST', '/projects/keys/trust/keys', { name: 'dup', public_key: pem(generateKeyPairSync('ed25519')) }), 409, 'CONFLICT');
    expect((await t.api('DELETE', '/projects/keys/trust/keys/dup')).status).toBe(200);
    harborError(await t.api('DELETE', '/projects/keys/trust/keys/dup'), 404, 'NOT_FOUND');
  });

  test('an unknown project is a 404', async () => {
    harborError(await t.api('GET', '/projects/nope/trust/keys'), 404, 'NOT_FOUND');
    harborError(await t.api('POST', '/projects/nope/trust/keys', { name: 'a', public_key: p256 }), 404, 'NOT_FOUND');
  });
});

describe('security: only project admins and system admins', () => {
  const login = (user: string) => basic(user, userPassword);
  test.each([
    ['project admin', 201, 200, 200, () => login('owner')],
    ['maintainer', 403, 403, 403, () => login('keeper')],
    ['developer', 403, 403, 403, () => login('dev')],
    ['guest', 403, 403, 403, () => login('guest')],
    ['non-member', 403, 403, 403, () => login('outsider')],
    ['anonymous', 401, 401, 401, () => null],
  ])('%s: POST %i, GET %i, DELETE %i', async (_who, post, get, del, auth) => {
    const name = `m${Math.random().toString(36).slice(2, 8)}`;
    expect((await t.api('POST', '/projects/keys/trust/keys', { name, public_key: p256 }, auth())).status).toBe(post);
    if (post !== 201) expect((await t.api('POST', '/projects/keys/trust/keys', { name, public_key: p256 })).status).toBe(201);
    expect((await t.api('GET', '/projects/keys/trust/keys', undefined, auth())).status).toBe(get);
    expect((await t.api('DELETE', `/projects/keys/trust/keys/${name}`, undefined, auth())).status).toBe(del);
    if (del !== 200) expect((await t.api('DELETE', `/projects/keys/trust/keys/${name}`)).status).toBe(200);
  });

  test('a key change queues re-verification of that project only', async () => {
    await t.deps.queue.stop();
    try {
      expect((await t.api('POST', '/projects/keys/trust/keys', { name: 'queued', public_key: p256 })).status).toBe(201);
      const pending = await t.deps.table.query('queue#jobs');
      expect(pending.map((item) => item.job)).toContainEqual(expect.objectContaining({ kind: 'trust-reverify', project: 'keys' }));
    } finally {
      t.deps.queue.start((await import('../../functions/worker/dispatch.js')).dispatch(t.capabilities, t.deps.table));
      await t.api('DELETE', '/projects/keys/trust/keys/queued');
    }
  });
});
