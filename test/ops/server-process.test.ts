import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { buildServer, cleanEnv, killLeftovers, refusal, startServer, tempDir } from './server-process.js';

const dirs: { remove(): void }[] = [];
function dataDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return join(dir.path, 'data');
}

beforeAll(() => buildServer(), 60_000);
afterEach(killLeftovers);
afterAll(() => dirs.forEach((dir) => dir.remove()));

describe('start-up refusals: one line naming the setting, non-zero exit, no stack trace', () => {
  const file = tempDir();
  dirs.push(file);
  writeFileSync(join(file.path, 'a-file'), '');
  test.each([
    ['BERTH_AUTH=yes', { BERTH_AUTH: 'yes' }, /^berth: BERTH_AUTH="yes" is not allowed: `on` or `off`/],
    ['BERTH_BACKEND=awss', { BERTH_BACKEND: 'awss' }, /^berth: BERTH_BACKEND="awss" is not allowed/],
    ['aws without a bucket', { BERTH_BACKEND: 'aws' }, /^berth: BERTH_BUCKET must be set with BERTH_BACKEND=aws/],
    ['a misspelt variable', { BERTH_ADMIN_PASWORD: 'x' }, /^berth: BERTH_ADMIN_PASWORD is not a Berth variable: did you mean BERTH_ADMIN_PASSWORD\?/],
    ['a port that is not a number', { PORT: 'http' }, /^berth: PORT="http" is not allowed/],
    ['half of TLS', { BERTH_TLS_CERT: '/nonexistent.pem' }, /^berth: BERTH_TLS_CERT and BERTH_TLS_KEY go together/],
    ['a data dir that is a file', { BERTH_DATA_DIR: join(file.path, 'a-file') }, /^berth: BERTH_DATA_DIR=.* is not a directory/],
    ['a data dir under a file', { BERTH_DATA_DIR: join(file.path, 'a-file', 'data') }, /^berth: BERTH_DATA_DIR=.* cannot be used as the data directory/],
    ['unreadable TLS files', { BERTH_TLS_CERT: '/nonexistent.pem', BERTH_TLS_KEY: '/nonexistent.key' }, /^berth: BERTH_TLS_CERT=\/nonexistent.pem cannot be read \(ENOENT\)/],
    ['TLS files that are not PEM', { BERTH_TLS_CERT: join(file.path, 'a-file'), BERTH_TLS_KEY: join(file.path, 'a-file') }, /^berth: BERTH_TLS_CERT and BERTH_TLS_KEY must be a PEM certificate and its private key/],
  ])('%s', async (_name, settings, message) => {
    const result = await refusal(cleanEnv({ BERTH_DATA_DIR: dataDir(), ...settings }));
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('a port in use', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const result = await refusal(cleanEnv({ BERTH_DATA_DIR: dataDir(), PORT: String(port) }));
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`berth: PORT=${port}: 127.0.0.1:${port} is already in use by another process; stop it or choose another PORT\n`);
    } finally {
      holder.close();
    }
  });

  test('AWS resources that do not answer are found at start, not by the first push', async () => {
    const result = await refusal(
      cleanEnv({
        BERTH_DATA_DIR: dataDir(),
        BERTH_BACKEND: 'aws',
        BERTH_BUCKET: 'no-such-bucket',
        BERTH_TABLE: 'no-such-table',
        BERTH_QUEUE_URL: 'http://127.0.0.1:9/000000000000/none',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        BERTH_AWS_MAX_ATTEMPTS: '1',
      }),
    );
    expect(result.code).toBe(1);
    // Node 20 also gets the SDK's own deprecation warning on stderr; ours is the last line.
    const last = result.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(/^berth: BERTH_BUCKET=no-such-bucket: bucket missing or unreachable .*; BERTH_TABLE=no-such-table: table missing or unreachable .*; BERTH_QUEUE_URL=.*: queue missing or unreachable/);
  });
});

describe('one server per data dir', () => {
  test('a second server refuses; after kill -9 of the first, the lock is free at once', async () => {
    const dir = dataDir();
    const first = await startServer(cleanEnv({ BERTH_DATA_DIR: dir }));
    const second = await refusal(cleanEnv({ BERTH_DATA_DIR: dir }));
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`^berth: BERTH_DATA_DIR=${dir} is in use by another Berth server \\(process ${first.child.pid}\\)`));
    first.child.kill('SIGKILL');
    await first.exited;
    const third = await startServer(cleanEnv({ BERTH_DATA_DIR: dir }));
    expect((await fetch(`${third.url}/v2/`)).status).toBe(200);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });
});

describe('stopping', () => {
  test('SIGTERM lets an upload in flight finish, refuses new connections, and exits 0', async () => {
    const server = await startServer(cleanEnv({ BERTH_DATA_DIR: dataDir() }));
    const started = await fetch(`${server.url}/v2/drain/test/blobs/uploads/`, { method: 'POST' });
    expect(started.status).toBe(202);
    const location = new URL(started.headers.get('location')!, server.url);
    const answer = new Promise<{ status: number; range: string | undefined }>((resolve, reject) => {
      const patch = request(location, { method: 'PATCH', headers: { 'content-type': 'application/octet-stream' } }, (response) => {
        response.resume();
        resolve({ status: response.statusCode!, range: response.headers.range });
      });
      patch.on('error', reject);
      patch.write(Buffer.alloc(1000, 1));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(async () => {
          await expect(fetch(`${server.url}/v2/`)).rejects.toThrow();
          patch.end(Buffer.alloc(1000, 2));
        }, 500);
      }, 300);
    });
    expect(await answer).toEqual({ status: 202, range: '0-1999' });
    expect(await server.exited).toBe(0);
  });

  test('SIGTERM to `npm start` stops the server itself: no process is left behind', async () => {
    const dir = dataDir();
    const server = await startServer(cleanEnv({ BERTH_DATA_DIR: dir }), ['npm', 'start', '--silent']);
    const pid = Number(readFileSync(join(dir, 'berth.pid'), 'utf8'));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(pid).not.toBe(server.child.pid);
    expect(alive()).toBe(true);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    for (let waited = 0; waited < 5_000 && alive(); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    const orphan = alive();
    // Our own server, left running by the failure under test: end it before failing.
    if (orphan) process.kill(pid, 'SIGKILL');
    expect(orphan).toBe(false);
  }, 90_000);
});

describe('identity stays on', () => {
  test('restarting a secured data dir without the password keeps it secured; BERTH_AUTH=off opens it with a warning', async () => {
    const dir = dataDir();
    const first = await startServer(cleanEnv({ BERTH_DATA_DIR: dir, BERTH_ADMIN_PASSWORD: 'Admin-Passw0rd' }));
    expect((await fetch(`${first.url}/v2/`)).status).toBe(401);
    first.child.kill('SIGTERM');
    await first.exited;

    const again = await startServer(cleanEnv({ BERTH_DATA_DIR: dir }));
    expect(again.stdout()).toMatch(/auth on/);
    expect((await fetch(`${again.url}/v2/_catalog`)).status).toBe(401);
    // Health and systeminfo answer anonymous callers with identity on.
    expect(await (await fetch(`${again.url}/api/v2.0/health`)).json()).toMatchObject({ status: 'healthy' });
    expect(await (await fetch(`${again.url}/api/v2.0/systeminfo`)).json()).toMatchObject({ auth_mode: 'db_auth' });
    again.child.kill('SIGTERM');
    await again.exited;

    const open = await startServer(cleanEnv({ BERTH_DATA_DIR: dir, BERTH_AUTH: 'off' }));
    expect(open.stderr()).toMatch(/"level":"WARN","message":"BERTH_AUTH=off: identity was on for this registry and is now OFF/);
    expect((await fetch(`${open.url}/v2/_catalog`)).status).toBe(200);
    open.child.kill('SIGTERM');
    await open.exited;
  });
});
