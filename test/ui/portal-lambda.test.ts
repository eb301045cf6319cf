import { handle } from 'hono/aws-lambda';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type LambdaGateway, type LambdaHandler, startLambdaGateway } from '../support/lambda-gateway.js';
import { adminPassword, identityRegistry } from '../support/identity-app.js';

/**
 * The portal as the Lambda API serves it behind API Gateway (payload 2.0): the page, the gzipped
 * assets (base64 in the Lambda result), and a session cookie that goes out in the result's
 * `cookies` and comes back in the event's.
 */
let gateway: LambdaGateway;
let registry: Awaited<ReturnType<typeof identityRegistry>>;

beforeAll(async () => {
  registry = await identityRegistry();
  gateway = await startLambdaGateway(handle(registry.app) as unknown as LambdaHandler);
});
afterAll(async () => {
  await gateway.close();
  await registry.cleanup();
});

describe('the portal on Lambda', () => {
  test('serves the page and its gzipped script intact', async () => {
    const page = await fetch(`${gateway.url}/harbor/projects`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const zipped = await fetch(`${gateway.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    // fetch unzips: what arrives is the same script the plain route serves.
    const unzipped = await zipped.text();
    expect(unzipped).toBe(await (await registry.request(script, { headers: { 'accept-encoding': 'identity' } })).text());
    expect(unzipped.length).toBeGreaterThan(1000);
  });

  test('a login behind the gateway (TLS at the edge) sets a Secure session cookie that works on the API', async () => {
    const login = await fetch(`${gateway.url}/c/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
      body: new URLSearchParams({ principal: 'admin', password: adminPassword }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    const me = await fetch(`${gateway.url}/api/v2.0/users/current`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ username: 'admin' });
  });
});
