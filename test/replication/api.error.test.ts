import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../support/moto.js';
import { startTestBerth, type TestBerth } from './support/berth.js';

let berth: TestBerth;
let peer: TestBerth;
let registryId: number;

async function harborError(response: Response, status: number): Promise<string> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { errors: { code: string; message: string }[] };
  expect(body.errors[0]!.code).toBeTypeOf('string');
  return body.errors[0]!.message;
}

beforeAll(async () => {
  [berth, peer] = await Promise.all([startTestBerth({ auth: true }), startTestBerth()]);
  const created = await berth.api('/registries', { method: 'POST', body: JSON.stringify({ name: 'peer', type: 'harbor', url: peer.url, insecure: true }) });
  expect(created.status).toBe(201);
  registryId = Number(created.headers.get('location')!.split('/').pop());
});
afterAll(async () => {
  await Promise.all([berth?.stop(), peer?.stop()]);
});

const policy = (fields: Record<string, unknown>) => ({ method: 'POST', body: JSON.stringify({ name: `p-${Math.random()}`, ...fields }) });

describe('registries: bad input is a 400 in Harbor\'s shape', () => {
  test.each([
    ['not JSON', '{'],
    ['an unknown type', JSON.stringify({ name: 'x', type: 'quay', url: 'https://example.test' })],
    ['a URL that is not http(s)', JSON.stringify({ name: 'x', type: 'harbor', url: 'ftp://example.test' })],
    ['credentials inside the URL', JSON.stringify({ name: 'x', type: 'harbor', url: 'https://u:p@example.test' })],
    ['plain http without insecure', JSON.stringify({ name: 'x', type: 'harbor', url: 'http://example.test' })],
  ])('%s', async (_, body) => {
    await harborError(await berth.api('/registries', { method: 'POST', body }), 400);
  });

  test('a taken name is a 409', async () => {
    await harborError(await berth.api('/registries', { method: 'POST', body: JSON.stringify({ name: 'peer', type: 'harbor', url: peer.url, insecure: true }) }), 409);
  });

  test('an unknown registry is a 404; a registry in use cannot be deleted', async () => {
    await harborError(await berth.api('/registries/9999'), 404);
    const made = await berth.api('/replication/policies', policy({ dest_registry: { id: registryId } }));
    expect(made.status).toBe(201);
    expect(await harborError(await berth.api(`/registries/${registryId}`, { method: 'DELETE' }), 412)).toMatch(/used by a replication policy/);
    await berth.api(made.headers.get('location')!.replace('/api/v2.0', ''), { method: 'DELETE' });
  });

  test('ping failures say why: refused connection, DNS, and rejected credentials', async () => {
    const closed = await freePort();
    const refused = await harborError(await berth.api('/registries/ping', { method: 'POST', body: JSON.stringify({ type: 'harbor', url: `http://127.0.0.1:${closed}`, insecure: true }) }), 400);
    expect(refused).toMatch(/connection refused/);
    const dns = await harborError(await berth.api('/registries/ping', { method: 'POST', body: JSON.stringify({ type: 'harbor', url: 'https://no-such-host.invalid' }) }), 400);
    expect(dns).toMatch(/cannot resolve host no-such-host\.invalid/);
    const denied = await harborError(
      await berth.api('/registries/ping', { method: 'POST', body: JSON.stringify({ type: 'harbor', url: berth.url, insecure: true, access_key: 'admin', access_secret: 'wrong' }) }),
      400,
    );
    expect(denied).toMatch(/401/);
  });

  test('a TLS failure says so: a self-signed certificate is not trusted unless the registry is insecure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_, res) => res.end('{}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const message = await harborError(await berth.api('/registries/ping', { method: 'POST', body: JSON.stringify({ type: 'harbor', url: `https://127.0.0.1:${port}` }) }), 400);
      expect(message).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed: self[- ]signed certificate/);
      // Marked insecure, the certificate is not verified (Harbor's meaning) and the ping passes.
      const insecure = await berth.api('/registries/ping', { method: 'POST', body: JSON.stringify({ type: 'harbor', url: `https://127.0.0.1:${port}`, insecure: true }) });
      expect(insecure.status).toBe(200);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('policies: bad input is a 400 in Harbor\'s shape', () => {
  test.each([
    ['neither side remote', {}],
    ['both sides remote', { src_registry: { id: 1 }, dest_registry: { id: 1 } }],
    ['an unknown registry id', { dest_registry: { id: 4242 } }],
    ['an invalid name filter', { dest_registry: { id: 1 }, filters: [{ type: 'name', value: '' }] }],
    ['a decoration on a name filter', { dest_registry: { id: 1 }, filters: [{ type: 'name', value: 'a/**', decoration: 'excludes' }] }],
    ['an unknown resource', { dest_registry: { id: 1 }, filters: [{ type: 'resource', value: 'chart' }] }],
    ['a label filter', { dest_registry: { id: 1 }, filters: [{ type: 'label', value: 'x' }] }],
    ['an invalid cron', { dest_registry: { id: 1 }, trigger: { type: 'scheduled', trigger_settings: { cron: 'every day' } } }],
    ['a scheduled trigger without cron', { dest_registry: { id: 1 }, trigger: { type: 'scheduled' } }],
    ['an event trigger in pull mode', { src_registry: { id: 1 }, trigger: { type: 'event_based' } }],
    ['a bad destination namespace', { dest_registry: { id: 1 }, dest_namespace: 'Not/Valid' }],
    ['a replace count below -1', { dest_registry: { id: 1 }, dest_namespace_replace_count: -2 }],
  ])('%s', async (_, fields) => {
    await harborError(await berth.api('/replication/policies', policy(fields)), 400);
  });

  test('starting an unknown policy is a 404, a disabled one a 412, a bad body a 400', async () => {
    await harborError(await berth.api('/replication/executions', { method: 'POST', body: JSON.stringify({ policy_id: 777 }) }), 404);
    await harborError(await berth.api('/replication/executions', { method: 'POST', body: JSON.stringify({ policy_id: 'one' }) }), 400);
    const made = await berth.api('/replication/policies', policy({ dest_registry: { id: registryId }, enabled: false }));
    const id = Number(made.headers.get('location')!.split('/').pop());
    await harborError(await berth.api('/replication/executions', { method: 'POST', body: JSON.stringify({ policy_id: id }) }), 412);
  });
});

describe('only the system admin manages replication', () => {
  const developer = { authorization: `Basic ${Buffer.from('developer:User-Passw0rd').toString('base64')}` };
  beforeAll(async () => {
    const created = await berth.api('/users', {
      method: 'POST',
      body: JSON.stringify({ username: 'developer', email: 'developer@example.test', realname: 'Dev', password: 'User-Passw0rd', comment: '' }),
    });
    expect(created.status).toBe(201);
  });

  test.each([
    ['GET', '/registries'],
    ['POST', '/registries'],
    ['POST', '/registries/ping'],
    ['GET', '/replication/policies'],
    ['POST', '/replication/policies'],
    ['GET', '/replication/executions'],
    ['POST', '/replication/executions'],
    ['PUT', '/replication/executions/1'],
  ])('%s %s: 401 anonymous, 403 for a user', async (method, path) => {
    const body = method === 'GET' ? {} : { body: '{}' };
    expect((await berth.api(path, { method, headers: { authorization: '' }, ...body })).status).toBe(401);
    expect((await berth.api(path, { method, headers: developer, ...body })).status).toBe(403);
  });
});
