import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/app.js';
import type { Capability } from '../../functions/capability.js';
import { createLocalDeps, type LocalDeps } from '../../functions/entry/local-deps.js';
import { Identity, bootstrapIdentity } from '../../functions/identity/identity.js';
import { ArtifactSummaries } from '../../functions/registry/artifact-summaries.js';
import { pushImage } from '../support/local-app.js';

const adminPassword = 'Admin-Passw0rd';
const origin = 'http://registry.test';
let dir: string;
let deps: LocalDeps;
let app: ReturnType<typeof createApp>;
let asked = 0;

/** A policy like scanning's: refuses artifacts whose stored summary says `bad`, or that have none. */
const gated: Capability = {
  name: 'checker',
  pullGate: {
    metadataKeys: ['prevent_vul'],
    check: ({ summaries }) => {
      asked++;
      const summary = summaries.checker;
      if (!summary) return { message: 'not checked yet' };
      return summary.verdict === 'bad' ? { message: 'found bad things', detail: { count: 1 } } : null;
    },
  },
};

const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
const request = async (path: string, init?: RequestInit) => app.request(new URL(path, origin).toString(), init);

async function token(scope: string): Promise<string> {
  const response = await request(`/service/token?service=berth&scope=${encodeURIComponent(scope)}`, { headers: { authorization: basic('admin', adminPassword) } });
  return ((await response.json()) as { token: string }).token;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-gates-'));
  deps = createLocalDeps(dir);
  const identity = new Identity(deps.table, { service: 'berth' });
  await bootstrapIdentity(identity, adminPassword);
  deps.identity = identity;
  deps.capabilities = [gated];
  app = createApp(deps);
  const admin = (await identity.users.get('admin'))!;
  await identity.projects.create({ name: 'safe', public: false, ownerId: admin.id, ownerName: 'admin' });
  await identity.projects.create({ name: 'open', public: false, ownerId: admin.id, ownerName: 'admin' });
  await identity.projects.updateMetadata('safe', { prevent_vul: 'true', severity: 'high' });
});

afterAll(async () => {
  deps.table.close();
  await rm(dir, { recursive: true, force: true });
});

describe('pull gates', () => {
  it('refuse a manifest GET with 412 PROJECTPOLICYVIOLATION from the stored summary, and allow it once the summary clears it', async () => {
    const bearer = { authorization: `Bearer ${await token('repository:safe/app:pull,push')}` };
    const pushed = await pushImage({ request: (path, init) => request(path, { ...init, headers: { ...(init?.headers as Record<string, string>), ...bearer } }) }, 'safe/app', 'v1');
    expect(pushed.response.status).toBe(201);

    const unchecked = await request('/v2/safe/app/manifests/v1', { headers: bearer });
    expect(unchecked.status).toBe(412);
    expect(await unchecked.json()).toEqual({ errors: [{ code: 'PROJECTPOLICYVIOLATION', message: 'not checked yet' }] });
    // HEAD stays answerable, as in Harbor: clients learn the digest, not the content.
    expect((await request('/v2/safe/app/manifests/v1', { method: 'HEAD', headers: bearer })).status).toBe(200);

    const summaries = new ArtifactSummaries(deps.table);
    await summaries.put('safe/app', pushed.digest, 'checker', { verdict: 'bad' });
    const bad = await request(`/v2/safe/app/manifests/${pushed.digest}`, { headers: bearer });
    expect(bad.status).toBe(412);
    expect(((await bad.json()) as { errors: { detail: unknown }[] }).errors[0]!.detail).toEqual({ count: 1 });

    await summaries.put('safe/app', pushed.digest, 'checker', { verdict: 'good' });
    expect((await request('/v2/safe/app/manifests/v1', { headers: bearer })).status).toBe(200);
  });

  it('never ask a policy about a project that does not turn it on', async () => {
    const bearer = { authorization: `Bearer ${await token('repository:open/app:pull,push')}` };
    const pushed = await pushImage({ request: (path, init) => request(path, { ...init, headers: { ...(init?.headers as Record<string, string>), ...bearer } }) }, 'open/app', 'v1');
    expect(pushed.response.status).toBe(201);
    const before = asked;
    expect((await request('/v2/open/app/manifests/v1', { headers: bearer })).status).toBe(200);
    expect(asked).toBe(before);
  });
});
