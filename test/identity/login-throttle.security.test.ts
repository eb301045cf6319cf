import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { beforeEach, describe, expect, test } from 'vitest';
import { createApp } from '../../functions/app.js';
import { lambdaPeerAddress, nodePeerAddress } from '../../functions/entry/peer-address.js';
import { defaultHashBudget } from '../../functions/identity/hash-budget.js';
import { defaultThrottle } from '../../functions/identity/login-throttle.js';
import { keys } from '../../functions/identity/stores/keys.js';
import { type TestApp, addUser, adminPassword, basic, identityApp, identityRegistry, service, userPassword } from '../support/identity-app.js';

let t: TestApp;

beforeEach(async () => {
  t = await identityApp();
  await addUser(t.identity, 'victim');
});

const tokenPath = `/service/token?service=${service}`;

async function tokenFrom(address: string, login: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return t.requestFrom(address, tokenPath, { headers: { authorization: basic(login, password), ...headers } });
}

describe('per account and address', () => {
  test('wrong passwords from one address lock the account for that address only', async () => {
    const { maxFailures } = defaultThrottle.perAccount;
    for (let i = 0; i < maxFailures; i++) expect((await tokenFrom('203.0.113.7', 'victim', `guess-${i}`)).status).toBe(401);
    // The guesser stays locked out, even with the right password...
    const locked = await tokenFrom('203.0.113.7', 'victim', userPassword);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    // ...while the owner, elsewhere, logs in as usual: nobody can lock someone else out.
    expect((await tokenFrom('198.51.100.20', 'victim', userPassword)).status).toBe(200);
    expect((await tokenFrom('198.51.100.20', 'admin', adminPassword)).status).toBe(200);
  });

  test('the admin cannot be locked out by anonymous guessers', async () => {
    for (let i = 0; i < 10; i++) await tokenFrom('203.0.113.7', 'admin', `guess-${i}`);
    expect((await tokenFrom('203.0.113.7', 'admin', adminPassword)).status).toBe(429);
    expect((await tokenFrom('192.0.2.1', 'admin', adminPassword)).status).toBe(200);
  });

  test('the lock ends with its window', async () => {
    let now = Date.now();
    t = await identityApp({ now: () => new Date(now) });
    await addUser(t.identity, 'victim');
    for (let i = 0; i < defaultThrottle.perAccount.maxFailures; i++) await tokenFrom('203.0.113.7', 'victim', 'wrong');
    expect((await tokenFrom('203.0.113.7', 'victim', userPassword)).status).toBe(429);
    now += defaultThrottle.perAccount.windowSeconds * 1000 + 1000;
    expect((await tokenFrom('203.0.113.7', 'victim', userPassword)).status).toBe(200);
  });

  // The hashing budget below slows a sprayer down first; lifted here to reach the address limit.
  const roomyBudget = { ...defaultHashBudget, capacity: 1000 };

  test('an address spraying many names is locked for every name, other addresses are not', async () => {
    t = await identityApp({ hashBudget: roomyBudget });
    await addUser(t.identity, 'victim');
    const { maxFailures } = defaultThrottle.perAddress;
    for (let i = 0; i < maxFailures; i++) expect((await tokenFrom('203.0.113.9', `user-${i}`, 'Password1')).status).toBe(401);
    expect((await tokenFrom('203.0.113.9', 'victim', userPassword)).status).toBe(429);
    expect((await tokenFrom('198.51.100.20', 'victim', userPassword)).status).toBe(200);
  });

  test('a success does not reset the address counter', async () => {
    t = await identityApp({ hashBudget: roomyBudget });
    await addUser(t.identity, 'victim');
    const { maxFailures } = defaultThrottle.perAddress;
    for (let i = 0; i < maxFailures - 1; i++) await tokenFrom('203.0.113.9', `user-${i}`, 'Password1');
    expect((await tokenFrom('203.0.113.9', 'victim', userPassword)).status).toBe(200);
    expect((await tokenFrom('203.0.113.9', 'user-x', 'Password1')).status).toBe(401);
    expect((await tokenFrom('203.0.113.9', 'victim', userPassword)).status).toBe(429);
  });

  test('IPv6 addresses of one /64 count as one address; IPv4-mapped ones as their IPv4 address', async () => {
    for (let i = 0; i < defaultThrottle.perAccount.maxFailures; i++) await tokenFrom(`2001:db8:1:2::${i + 1}`, 'victim', 'wrong');
    expect((await tokenFrom('2001:db8:1:2:ffff::9', 'victim', userPassword)).status).toBe(429);
    expect((await tokenFrom('2001:db8:1:3::1', 'victim', userPassword)).status).toBe(200);
    for (let i = 0; i < defaultThrottle.perAccount.maxFailures; i++) await tokenFrom('::ffff:192.0.2.44', 'victim', 'wrong');
    expect((await tokenFrom('192.0.2.44', 'victim', userPassword)).status).toBe(429);
  });
});

describe('X-Forwarded-For', () => {
  test('is ignored by default: a guesser cannot move to a fresh counter by writing the header', async () => {
    for (let i = 0; i < 10; i++) {
      await tokenFrom('203.0.113.7', 'victim', 'wrong', { 'x-forwarded-for': `10.9.9.${i}` });
    }
    expect((await tokenFrom('203.0.113.7', 'victim', userPassword, { 'x-forwarded-for': '10.9.9.200' })).status).toBe(429);
  });

  test('counts the entry the trusted proxies appended when the deployment says there are some', async () => {
    t.deps.config.trustedProxyHops = 1;
    // The proxy (the peer) appends the client it saw; what the client wrote before is its own claim.
    for (let i = 0; i < defaultThrottle.perAccount.maxFailures; i++) {
      await tokenFrom('10.0.0.2', 'victim', 'wrong', { 'x-forwarded-for': `1.1.1.${i}, 203.0.113.7` });
    }
    expect((await tokenFrom('10.0.0.2', 'victim', userPassword, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(429);
    expect((await tokenFrom('10.0.0.2', 'victim', userPassword, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
  });
});

describe('hashing budget', () => {
  test('unknown names from one address cost at most its budget of password checks, then 429 before any hashing', async () => {
    const attempts = 32;
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: attempts }, (_, i) => tokenFrom('203.0.113.50', `nobody-${i}`, 'Password1').then((r) => r.status)),
    );
    const elapsed = performance.now() - started;
    expect(answers.filter((s) => s === 401)).toHaveLength(defaultHashBudget.capacity);
    expect(answers.filter((s) => s === 429)).toHaveLength(attempts - defaultHashBudget.capacity);
    // Another address still gets real answers (401 for a wrong password, 200 for a right one).
    expect((await tokenFrom('198.51.100.20', 'nobody', 'Password1')).status).toBe(401);
    expect((await tokenFrom('198.51.100.20', 'victim', userPassword)).status).toBe(200);
    expect(elapsed).toBeLessThan(20_000);
  });

  test('unknown and known names are refused alike once the budget is spent', async () => {
    const answers = await Promise.all(
      Array.from({ length: defaultHashBudget.capacity }, (_, i) => tokenFrom('203.0.113.51', `nobody-${i}`, 'Password1')),
    );
    expect(answers.every((r) => r.status === 401)).toBe(true);
    const unknown = await tokenFrom('203.0.113.51', 'someone-else', 'Password1');
    const known = await tokenFrom('203.0.113.51', 'victim', 'Password1');
    expect([unknown.status, known.status]).toEqual([429, 429]);
    expect(await unknown.json()).toEqual(await known.json());
  });

  test('right passwords give their check back: a user logging in again and again never runs out', async () => {
    for (let i = 0; i < defaultHashBudget.capacity + 3; i++) {
      expect((await tokenFrom('203.0.113.52', 'victim', userPassword)).status).toBe(200);
    }
  });

  test('an unknown name answers in about the time a wrong password takes', async () => {
    const time = async (login: string) => {
      const started = performance.now();
      expect((await tokenFrom('192.0.2.77', login, 'Password1')).status).toBe(401);
      return performance.now() - started;
    };
    await time('victim');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await time('victim'));
      unknown.push(await time(`ghost-${i}`));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[1]!;
    expect(median(unknown)).toBeGreaterThan(median(known) / 3);
  });
});

describe('the Node server', () => {
  test('keys logins by the socket address, whatever X-Forwarded-For says', async () => {
    const real = await identityRegistry();
    try {
      const app = createApp({ ...real.deps, peerAddress: nodePeerAddress });
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        const response = await fetch(`http://127.0.0.1:${port}${tokenPath}`, {
          headers: { authorization: basic('admin', 'wrong'), 'x-forwarded-for': '198.51.100.99' },
        });
        expect(response.status).toBe(401);
        expect(await real.table.get(keys.throttle('admin', '127.0.0.1'))).toMatchObject({ failures: 1 });
        expect(await real.table.get(keys.throttleAddress('127.0.0.1'))).toMatchObject({ failures: 1 });
        expect(await real.table.get(keys.throttle('admin', '198.51.100.99'))).toBeNull();
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      await real.cleanup();
    }
  });
});

describe('on Lambda', () => {
  test("keys logins by API Gateway's sourceIp, whatever X-Forwarded-For says", async () => {
    const real = await identityRegistry();
    try {
      const app = createApp({ ...real.deps, peerAddress: lambdaPeerAddress });
      // What hono/aws-lambda hands the app for an HTTP API (payload 2.0) event.
      const env = { requestContext: { http: { sourceIp: '203.0.113.80', method: 'GET' } }, event: {}, lambdaContext: {} };
      const response = await app.request(`http://registry.test${tokenPath}`, { headers: { authorization: basic('admin', 'wrong'), 'x-forwarded-for': '198.51.100.99' } }, env);
      expect(response.status).toBe(401);
      expect(await real.table.get(keys.throttle('admin', '203.0.113.80'))).toMatchObject({ failures: 1 });
      expect(await real.table.get(keys.throttle('admin', '198.51.100.99'))).toBeNull();
    } finally {
      await real.cleanup();
    }
  });
});
