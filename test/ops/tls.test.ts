import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { buildServer, cleanEnv, killLeftovers, startServer, tempDir } from './server-process.js';

const dir = tempDir();
const cert = join(dir.path, 'registry.crt');
const key = join(dir.path, 'registry.key');

beforeAll(() => {
  buildServer();
  // The self-signed example of docs/ops.md, for 127.0.0.1.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
}, 60_000);
afterEach(killLeftovers);
afterAll(() => dir.remove());

function getWithCa(url: string, ca?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, ca ? { ca } : {}, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    }).on('error', reject);
  });
}

test('BERTH_TLS_CERT and BERTH_TLS_KEY serve HTTPS that a client trusting the CA accepts', async () => {
  const server = await startServer(cleanEnv({ BERTH_DATA_DIR: join(dir.path, 'data'), BERTH_TLS_CERT: cert, BERTH_TLS_KEY: key }));
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const answer = await getWithCa(`${server.url}/v2/`, readFileSync(cert));
  expect(answer).toEqual({ status: 200, body: '{}' });
  // Without the CA the certificate is refused: it really is the one we made.
  await expect(getWithCa(`${server.url}/v2/`)).rejects.toThrow(/self-signed|self signed/);
  // Plain HTTP on the same port gets no registry answer.
  await expect(fetch(server.url.replace('https:', 'http:') + '/v2/').then((r) => r.status)).rejects.toThrow();
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
});
