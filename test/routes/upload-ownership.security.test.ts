import { afterEach, beforeEach, expect, test } from 'vitest';
import { digestOf } from '../../functions/core/digest.js';
import { addMember, addProject, addUser, basic, fetchToken, identityRegistry, userPassword } from '../support/identity-app.js';

/** An upload session belongs to whoever opened it: to anyone else, even with push rights, it does not exist. */
let real: Awaited<ReturnType<typeof identityRegistry>>;
const dev = basic('dev', userPassword);
const ops = basic('ops', userPassword);

beforeEach(async () => {
  real = await identityRegistry();
  await addUser(real.identity, 'dev');
  await addUser(real.identity, 'ops');
  await addProject(real.identity, 'team', false);
  await addMember(real.identity, 'team', 'dev', 'developer');
  await addMember(real.identity, 'team', 'ops', 'developer');
});

afterEach(async () => {
  await real.cleanup();
});

async function open(auth: string): Promise<string> {
  const response = await real.request('/v2/team/app/blobs/uploads/', { method: 'POST', headers: { authorization: auth } });
  expect(response.status).toBe(202);
  return response.headers.get('location')!;
}

async function codeOf(response: Response): Promise<[number, string]> {
  return [response.status, ((await response.json()) as { errors: { code: string }[] }).errors[0]!.code];
}

test('another user with push rights gets BLOB_UPLOAD_UNKNOWN for every verb, and changes nothing', async () => {
  const location = await open(dev);
  const bytes = new TextEncoder().encode('the owner\'s bytes');
  expect((await real.request(location, { method: 'PATCH', headers: { authorization: dev }, body: bytes.slice(0, 5) })).status).toBe(202);

  const unknown: [number, string] = [404, 'BLOB_UPLOAD_UNKNOWN'];
  expect(await codeOf(await real.request(location, { method: 'GET', headers: { authorization: ops } }))).toEqual(unknown);
  expect(await codeOf(await real.request(location, { method: 'PATCH', headers: { authorization: ops }, body: 'intruder' }))).toEqual(unknown);
  expect(await codeOf(await real.request(`${location}?digest=${digestOf(new TextEncoder().encode('x'))}`, { method: 'PUT', headers: { authorization: ops }, body: 'x' }))).toEqual(unknown);
  expect(await codeOf(await real.request(location, { method: 'DELETE', headers: { authorization: ops } }))).toEqual(unknown);

  // The owner's session is as they left it, and they finish it.
  const status = await real.request(location, { method: 'GET', headers: { authorization: dev } });
  expect(status.status).toBe(204);
  expect(status.headers.get('range')).toBe('0-4');
  const done = await real.request(`${location}?digest=${digestOf(bytes)}`, { method: 'PUT', headers: { authorization: dev }, body: bytes.slice(5) });
  expect(done.status).toBe(201);
});

test('the owner is the account, whatever credentials it uses: a Bearer token continues a Basic session', async () => {
  const location = await open(dev);
  const { token } = await fetchToken(real, ['repository:team/app:pull,push'], { login: 'dev', password: userPassword });
  expect((await real.request(location, { method: 'GET', headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
  const other = await fetchToken(real, ['repository:team/app:pull,push'], { login: 'ops', password: userPassword });
  expect((await real.request(location, { method: 'GET', headers: { authorization: `Bearer ${other.token}` } })).status).toBe(404);
});

test('a new account under a deleted owner\'s name does not inherit the session', async () => {
  const location = await open(dev);
  const user = await real.identity.users.get('dev');
  await real.identity.users.delete(user!);
  await addUser(real.identity, 'dev');
  await addMember(real.identity, 'team', 'dev', 'developer');
  expect((await real.request(location, { method: 'GET', headers: { authorization: dev } })).status).toBe(404);
});
