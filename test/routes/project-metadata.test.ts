import { beforeEach, describe, expect, it } from 'vitest';
import { adminPassword, basic, identityApp, type TestApp } from '../support/identity-app.js';

let t: TestApp;
beforeEach(async () => {
  t = await identityApp();
});

const admin = { authorization: basic('admin', adminPassword), 'content-type': 'application/json' };

describe("projects carry Harbor's metadata", () => {
  it('is set on create and update, merged key by key, and answered as strings', async () => {
    const create = await t.request('/api/v2.0/projects', {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ project_name: 'team', metadata: { public: 'true', auto_scan: 'true' } }),
    });
    expect(create.status).toBe(201);
    const update = await t.request('/api/v2.0/projects/team', {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ metadata: { prevent_vul: 'true', severity: 'high' } }),
    });
    expect(update.status).toBe(200);
    const project = (await (await t.request('/api/v2.0/projects/team', { headers: admin })).json()) as { metadata: Record<string, string> };
    expect(project.metadata).toEqual({ public: 'true', auto_scan: 'true', prevent_vul: 'true', severity: 'high' });
    expect((await t.identity.projects.get('team'))?.public).toBe(true);
  });

  it('refuses unknown keys and invalid values with 400', async () => {
    await t.request('/api/v2.0/projects', { method: 'POST', headers: admin, body: JSON.stringify({ project_name: 'team' }) });
    for (const metadata of [{ mystery: 'true' }, { severity: 'extreme' }, { prevent_vul: 'yes' }]) {
      const response = await t.request('/api/v2.0/projects/team', { method: 'PUT', headers: admin, body: JSON.stringify({ metadata }) });
      expect(response.status).toBe(400);
    }
    expect((await t.identity.projects.get('team'))?.metadata).toEqual({});
  });
});
