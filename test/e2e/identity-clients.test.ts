import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBerthServer } from './support/berth-server.js';
import { type Containerd, startContainerd } from './support/containerd.js';
import { type ContainersTools, createContainersTools } from './support/containers-tools.js';
import { type Dockerd, startDockerd } from './support/dockerd.js';
import { OciLayout } from './support/oci-layout.js';
import { type TempDir, makeTempDir } from './support/process.js';
import type { RegistryServer } from './support/registry-server.js';

/**
 * Real clients against `npm start` with auth on: skopeo and podman with credentials, containerd's
 * ctr with --user, and docker login/push/pull, each refused where the roles say so.
 */
const adminPassword = 'E2e-Admin-Passw0rd';
const devPassword = 'E2e-Dev-Passw0rd';

let server: RegistryServer;
let tools: ContainersTools;
let work: TempDir;
let layout: OciLayout;
let robot: { name: string; secret: string };
const stops: (() => Promise<void>)[] = [];

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}/api/v2.0${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

beforeAll(async () => {
  server = await startBerthServer({ env: { BERTH_ADMIN_PASSWORD: adminPassword } });
  stops.push(() => server.stop());
  tools = await createContainersTools();
  stops.push(() => tools.remove());
  work = await makeTempDir('identity-clients');
  stops.push(() => work.remove());

  await api('POST', '/users', { username: 'dev', email: 'dev@example.test', password: devPassword });
  await api('POST', '/projects', { project_name: 'team', metadata: { public: 'false' } });
  await api('POST', '/projects/team/members', { role_id: 2, member_user: { username: 'dev' } });
  const made = await api('POST', '/robots', {
    name: 'ci',
    duration: 1,
    level: 'project',
    permissions: [{ kind: 'project', namespace: 'team', access: [{ resource: 'repository', action: 'pull' }, { resource: 'repository', action: 'push' }] }],
  });
  robot = { name: made.name, secret: made.secret };

  layout = await OciLayout.create(join(work.path, 'layout'));
  const image = await layout.addImage({ layerSizes: [256 * 1024] });
  await layout.tag(image.manifest, 'v1');
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
});

const output = (result: { stdout: string; stderr: string }) => `${result.stdout}${result.stderr}`;

describe('skopeo', () => {
  const copy = (creds: string, to: string) =>
    tools.skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:v1`, `docker://${server.host}/${to}`], { allowFailure: true });

  test('a system admin pushes to a project that does not exist yet: it is created, private', async () => {
    const result = await copy(`admin:${adminPassword}`, 'fresh/app:v1');
    expect(result.code, output(result)).toBe(0);
    expect((await api('GET', '/projects/fresh')).metadata.public).toBe('false');
    const anonymous = await tools.skopeo(['inspect', '--tls-verify=false', `docker://${server.host}/fresh/app:v1`], { allowFailure: true });
    expect(anonymous.code).not.toBe(0);
    expect(output(anonymous)).toMatch(/unauthorized|authentication required/i);
  });

  test('a developer pushes to their project, not to a missing one; a wrong password fails', async () => {
    const ok = await copy(`dev:${devPassword}`, 'team/skopeo:v1');
    expect(ok.code, output(ok)).toBe(0);
    const missing = await copy(`dev:${devPassword}`, 'elsewhere/app:v1');
    expect(missing.code).not.toBe(0);
    // The HEAD of a blob carries no body; the upload POST that follows says why, naming the project.
    expect(output(missing)).toMatch(/project elsewhere does not exist/);
    const wrong = await copy('dev:wrong-password', 'team/skopeo:v2');
    expect(wrong.code).not.toBe(0);
    expect(output(wrong)).toMatch(/unauthorized|invalid username/i);
    const inspected = await tools.skopeo(['inspect', '--tls-verify=false', '--creds', `dev:${devPassword}`, `docker://${server.host}/team/skopeo:v1`]);
    expect(JSON.parse(inspected.stdout).RepoTags).toEqual(['v1']);
  });

  test('a robot account pushes with its secret, not with a tampered one', async () => {
    const ok = await copy(`${robot.name}:${robot.secret}`, 'team/robot:v1');
    expect(ok.code, output(ok)).toBe(0);
    const tampered = await copy(`${robot.name}:${robot.secret}x`, 'team/robot:v2');
    expect(tampered.code).not.toBe(0);
  });
});

describe('podman', () => {
  test('login, pull and push with credentials; a wrong password is refused', async () => {
    const bad = await tools.podman(['login', '--tls-verify=false', '-u', 'dev', '--password-stdin', server.host], { input: 'nope', allowFailure: true });
    expect(bad.code).not.toBe(0);
    const login = await tools.podman(['login', '--tls-verify=false', '-u', 'dev', '--password-stdin', server.host], { input: devPassword, allowFailure: true });
    expect(login.code, output(login)).toBe(0);
    await tools.podman(['pull', '--tls-verify=false', `${server.host}/team/skopeo:v1`]);
    await tools.podman(['tag', `${server.host}/team/skopeo:v1`, `${server.host}/team/podman:v1`]);
    const push = await tools.podman(['push', '--tls-verify=false', `${server.host}/team/podman:v1`], { allowFailure: true });
    expect(push.code, output(push)).toBe(0);
    const tags = await fetch(`${server.url}/v2/team/podman/tags/list`, { headers: { authorization: `Basic ${Buffer.from(`dev:${devPassword}`).toString('base64')}` } });
    expect(await tags.json()).toEqual({ name: 'team/podman', tags: ['v1'] });
  });
});

describe('containerd ctr', () => {
  let containerd: Containerd;
  beforeAll(async () => {
    containerd = await startContainerd();
    stops.push(() => containerd.stop());
  });

  test('pull and push with --user; without credentials a private pull is refused', async () => {
    const anonymous = await containerd.ctr('berth', ['images', 'pull', '--plain-http', `${server.host}/team/skopeo:v1`], { allowFailure: true });
    expect(anonymous.code).not.toBe(0);
    expect(output(anonymous)).toMatch(/401/);
    const pull = await containerd.ctr('berth', ['images', 'pull', '--plain-http', '--user', `dev:${devPassword}`, `${server.host}/team/skopeo:v1`], { allowFailure: true });
    expect(pull.code, output(pull)).toBe(0);
    await containerd.ctr('berth', ['images', 'tag', `${server.host}/team/skopeo:v1`, `${server.host}/team/ctr:v1`]);
    const push = await containerd.ctr('berth', ['images', 'push', '--plain-http', '--user', `${robot.name}:${robot.secret}`, `${server.host}/team/ctr:v1`], { allowFailure: true });
    expect(push.code, output(push)).toBe(0);
  });
});

describe('docker', () => {
  let dockerd: Dockerd;
  beforeAll(async () => {
    dockerd = await startDockerd();
    stops.push(() => dockerd.stop());
  });

  test('docker login, push and pull; wrong passwords and missing rights refused', async () => {
    const wrong = await dockerd.docker(['login', '-u', 'dev', '--password-stdin', server.host], { input: 'wrong', allowFailure: true });
    expect(wrong.code).not.toBe(0);
    expect(output(wrong)).toMatch(/unauthorized/i);
    const login = await dockerd.docker(['login', '-u', 'dev', '--password-stdin', server.host], { input: devPassword, allowFailure: true });
    expect(login.code, output(login)).toBe(0);
    const pull = await dockerd.docker(['pull', `${server.host}/team/skopeo:v1`], { allowFailure: true });
    expect(pull.code, output(pull)).toBe(0);
    await dockerd.docker(['tag', `${server.host}/team/skopeo:v1`, `${server.host}/team/docker:v1`]);
    const push = await dockerd.docker(['push', `${server.host}/team/docker:v1`], { allowFailure: true });
    expect(push.code, output(push)).toBe(0);
    await dockerd.docker(['tag', `${server.host}/team/skopeo:v1`, `${server.host}/fresh/docker:v1`]);
    const denied = await dockerd.docker(['push', `${server.host}/fresh/docker:v1`], { allowFailure: true });
    expect(denied.code).not.toBe(0);
    expect(output(denied)).toMatch(/denied/i);
  });
});
