import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../support/moto.js';

/**
 * Real clients against `npm start` with auth on: skopeo and podman with credentials, containerd's
 * ctr with --user, and docker login/push/pull through a dockerd of our own. Every daemon runs in
 * a temporary directory on its own socket and port, and is stopped afterwards.
 */
const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..');
const testbed = join(repoRoot, 'test', 'fixtures', 'clients');
const adminPassword = 'E2e-Admin-Passw0rd';
const devPassword = 'E2e-Dev-Passw0rd';

let dir: string;
let registry: string;
let server: ChildProcess;
const daemons: ChildProcess[] = [];
let robot: { name: string; secret: string };

async function sh(file: string, args: string[], env: Record<string, string> = {}, input?: string) {
  const child = run(file, args, { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return child;
}

/** Runs and reports the exit code and combined output instead of throwing. */
async function attempt(file: string, args: string[], env: Record<string, string> = {}, input?: string) {
  try {
    const { stdout, stderr } = await sh(file, args, env, input);
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function startDaemon(file: string, args: string[], log: string): ChildProcess {
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, DAEMON_LOG: log } });
  daemons.push(child);
  return child;
}

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`http://${registry}/api/v2.0${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-e2e-identity-'));
  const port = await freePort();
  registry = `127.0.0.1:${port}`;
  server = spawn(process.execPath, ['--import', 'tsx', 'functions/entry/server.ts'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', BERTH_DATA_DIR: join(dir, 'data'), BERTH_ADMIN_PASSWORD: adminPassword },
    stdio: 'ignore',
  });
  await waitFor(async () => (await fetch(`http://${registry}/v2/`)).status === 401, 'berth');

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

  // A one-layer OCI image to push, built without any registry.
  const layout = join(dir, 'layout');
  await sh('umoci', ['init', '--layout', layout]);
  await sh('umoci', ['new', '--image', `${layout}:v1`]);
  await sh('umoci', ['unpack', '--rootless', '--image', `${layout}:v1`, join(dir, 'bundle')]);
  await writeFile(join(dir, 'bundle', 'rootfs', 'hello.txt'), 'hello from berth\n');
  await sh('umoci', ['repack', '--image', `${layout}:v1`, join(dir, 'bundle')]);
}, 120_000);

afterAll(async () => {
  for (const child of [...daemons].reverse()) {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
  }
  if (server && server.exitCode === null) server.kill('SIGTERM');
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}, 60_000);

describe('skopeo', () => {
  const copy = (creds: string | null, from: string, to: string) =>
    attempt('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', ...(creds ? ['--dest-creds', creds] : []), from, to]);

  test('a system admin pushes to a project that does not exist yet: it is created, private', async () => {
    const result = await copy(`admin:${adminPassword}`, `oci:${join(dir, 'layout')}:v1`, `docker://${registry}/fresh/app:v1`);
    expect(result.code, result.output).toBe(0);
    const project = await api('GET', '/projects/fresh');
    expect(project.metadata.public).toBe('false');
    const anonymous = await attempt('skopeo', ['inspect', '--tls-verify=false', `docker://${registry}/fresh/app:v1`]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.output).toMatch(/unauthorized|authentication required/i);
  });

  test('a developer pushes to their project; not to a missing one; wrong passwords fail', async () => {
    const ok = await copy(`dev:${devPassword}`, `oci:${join(dir, 'layout')}:v1`, `docker://${registry}/team/skopeo:v1`);
    expect(ok.code, ok.output).toBe(0);
    const missing = await copy(`dev:${devPassword}`, `oci:${join(dir, 'layout')}:v1`, `docker://${registry}/elsewhere/app:v1`);
    expect(missing.code).not.toBe(0);
    // skopeo first HEADs the blob, and a HEAD answer has no body to carry DENIED: it shows the status.
    expect(missing.output).toMatch(/denied|403 \(Forbidden\)/i);
    const wrong = await copy('dev:wrong-password', `oci:${join(dir, 'layout')}:v1`, `docker://${registry}/team/skopeo:v2`);
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/unauthorized|invalid username/i);
    const inspected = await attempt('skopeo', ['inspect', '--tls-verify=false', '--creds', `dev:${devPassword}`, `docker://${registry}/team/skopeo:v1`]);
    expect(inspected.code, inspected.output).toBe(0);
    expect(JSON.parse(inspected.output).RepoTags).toEqual(['v1']);
  });

  test('a robot account pushes with its secret', async () => {
    const ok = await copy(`${robot.name}:${robot.secret}`, `oci:${join(dir, 'layout')}:v1`, `docker://${registry}/team/robot:v1`);
    expect(ok.code, ok.output).toBe(0);
    const tampered = await copy(`${robot.name}:${robot.secret}x`, `oci:${join(dir, 'layout')}:v1`, `docker://${registry}/team/robot:v2`);
    expect(tampered.code).not.toBe(0);
  });
});

describe('podman', () => {
  test('login, pull and push with credentials; a wrong password is refused', async () => {
    const storage = ['--root', join(dir, 'podman', 'root'), '--runroot', join(dir, 'podman', 'run'), '--storage-driver', 'vfs', '--events-backend', 'file', '--cgroup-manager', 'cgroupfs'];
    const authfile = join(dir, 'podman', 'auth.json');
    await mkdir(join(dir, 'podman'), { recursive: true });
    const bad = await attempt('podman', [...storage, 'login', '--authfile', authfile, '--tls-verify=false', '-u', 'dev', '-p', 'nope', registry]);
    expect(bad.code).not.toBe(0);
    const login = await attempt('podman', [...storage, 'login', '--authfile', authfile, '--tls-verify=false', '-u', 'dev', '--password-stdin', registry], {}, devPassword);
    expect(login.code, login.output).toBe(0);
    const pull = await attempt('podman', [...storage, 'pull', '--authfile', authfile, '--tls-verify=false', `${registry}/team/skopeo:v1`]);
    expect(pull.code, pull.output).toBe(0);
    await sh('podman', [...storage, 'tag', `${registry}/team/skopeo:v1`, `${registry}/team/podman:v1`]);
    const push = await attempt('podman', [...storage, 'push', '--authfile', authfile, '--tls-verify=false', `${registry}/team/podman:v1`]);
    expect(push.code, push.output).toBe(0);
    const tags = await fetch(`http://${registry}/v2/team/podman/tags/list`, { headers: { authorization: `Basic ${Buffer.from(`dev:${devPassword}`).toString('base64')}` } });
    expect(await tags.json()).toEqual({ name: 'team/podman', tags: ['v1'] });
  });
});

describe('containerd ctr', () => {
  test('pull and push with --user; without credentials a private pull is refused', async () => {
    const state = join(dir, 'containerd');
    await mkdir(state, { recursive: true });
    const config = (await readFile(join(testbed, 'containerd.toml'), 'utf8')).replaceAll('STATE_DIR', state);
    await writeFile(join(state, 'config.toml'), config);
    startDaemon('containerd', ['--config', join(state, 'config.toml')], join(state, 'log'));
    const ctr = ['-a', join(state, 'containerd.sock'), '-n', 'berth'];
    await waitFor(async () => (await attempt('ctr', [...ctr, 'version'])).code === 0, 'containerd');
    const anonymous = await attempt('ctr', [...ctr, 'images', 'pull', '--plain-http', `${registry}/team/skopeo:v1`]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.output).toMatch(/401/);
    const pull = await attempt('ctr', [...ctr, 'images', 'pull', '--plain-http', '--user', `dev:${devPassword}`, `${registry}/team/skopeo:v1`]);
    expect(pull.code, pull.output).toBe(0);
    await sh('ctr', [...ctr, 'images', 'tag', `${registry}/team/skopeo:v1`, `${registry}/team/ctr:v1`]);
    const push = await attempt('ctr', [...ctr, 'images', 'push', '--plain-http', '--user', `${robot.name}:${robot.secret}`, `${registry}/team/ctr:v1`]);
    expect(push.code, push.output).toBe(0);
  }, 120_000);
});

describe('docker', () => {
  test('docker login, push and pull; wrong passwords and missing rights refused', async () => {
    const state = join(dir, 'docker');
    const containerdState = join(dir, 'containerd');
    await mkdir(join(state, 'exec'), { recursive: true });
    const config = (await readFile(join(testbed, 'daemon.json'), 'utf8')).replaceAll('STATE_DIR', state);
    await writeFile(join(state, 'daemon.json'), config);
    // dockerd uses the containerd of the previous test, so no second containerd (or its default socket) is touched.
    startDaemon('dockerd', ['--config-file', join(state, 'daemon.json'), '--containerd', join(containerdState, 'containerd.sock')], join(state, 'log'));
    const env = { DOCKER_HOST: `unix://${join(state, 'docker.sock')}`, DOCKER_CONFIG: join(state, 'config') };
    await waitFor(async () => (await attempt('docker', ['version'], env)).code === 0, 'dockerd', 60_000);

    const wrong = await attempt('docker', ['login', '-u', 'dev', '--password-stdin', registry], env, 'wrong');
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/unauthorized/i);
    const login = await attempt('docker', ['login', '-u', 'dev', '--password-stdin', registry], env, devPassword);
    expect(login.code, login.output).toBe(0);
    // docker keeps a refresh token (OAuth2 password grant, access_type=offline), not the password.
    const stored = JSON.parse(await readFile(join(state, 'config', 'config.json'), 'utf8'));
    expect(stored.auths[registry].identitytoken).toMatch(/^ey/);

    const pull = await attempt('docker', ['pull', `${registry}/team/skopeo:v1`], env);
    expect(pull.code, pull.output).toBe(0);
    await sh('docker', ['tag', `${registry}/team/skopeo:v1`, `${registry}/team/docker:v1`], env);
    const push = await attempt('docker', ['push', `${registry}/team/docker:v1`], env);
    expect(push.code, push.output).toBe(0);
    await sh('docker', ['tag', `${registry}/team/skopeo:v1`, `${registry}/fresh/docker:v1`], env);
    const denied = await attempt('docker', ['push', `${registry}/fresh/docker:v1`], env);
    expect(denied.code).not.toBe(0);
    expect(denied.output).toMatch(/denied/i);
    await attempt('docker', ['logout', registry], env);
  }, 180_000);
});
