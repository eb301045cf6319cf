import { describe, expect, test } from 'vitest';
import { Authenticator } from '../../functions/identity/authenticator.js';
import { hashPassword, verifyPassword } from '../../functions/identity/passwords.js';
import { VerifiedPasswords } from '../../functions/identity/verified-passwords.js';
import { addUser, identityApp, userPassword } from '../support/identity-app.js';

/** An authenticator over a fresh identity whose password checks (real scrypt) are counted. */
async function counted() {
  const { identity } = await identityApp();
  await addUser(identity, 'dev');
  let now = Date.parse('2026-06-01T00:00:00Z');
  const clock = () => new Date(now);
  const checks = { count: 0 };
  const verify = async (password: string, encoded: string) => {
    checks.count++;
    return verifyPassword(password, encoded);
  };
  const authenticator = new Authenticator(identity.users, identity.robots, identity.config, identity.throttle, identity.hashBudget, clock, undefined, verify, new VerifiedPasswords(clock));
  const login = (name: string, password: string) => authenticator.authenticate(name, password, '192.0.2.1');
  return { identity, checks, login, advance: (ms: number) => (now += ms) };
}

describe('a password that checked out is not hashed again for a while', () => {
  test('the second login with the same password costs no scrypt; a wrong one always does', async () => {
    const { checks, login } = await counted();
    expect((await login('dev', userPassword))?.kind).toBe('user');
    expect((await login('dev', userPassword))?.kind).toBe('user');
    expect(checks.count).toBe(1);
    expect(await login('dev', 'Wrong-Passw0rd')).toBeNull();
    expect(await login('dev', 'Wrong-Passw0rd')).toBeNull();
    expect(checks.count).toBe(3);
    // Another account with the same password is its own entry.
    expect(await login('admin', userPassword)).toBeNull();
  });

  test('a changed password refuses the old one at once, and a deleted account is gone at once', async () => {
    const { identity, checks, login } = await counted();
    expect(await login('dev', userPassword)).not.toBeNull();
    await identity.users.update('dev', { passwordHash: await hashPassword('Other-Passw0rd') });
    expect(await login('dev', userPassword)).toBeNull();
    expect(await login('dev', 'Other-Passw0rd')).not.toBeNull();
    expect(checks.count).toBe(3);
    await identity.users.delete((await identity.users.get('dev'))!);
    expect(await login('dev', 'Other-Passw0rd')).toBeNull();
  });

  test('it is forgotten after five minutes', async () => {
    const { checks, login, advance } = await counted();
    await login('dev', userPassword);
    advance(299_000);
    await login('dev', userPassword);
    expect(checks.count).toBe(1);
    advance(2_000);
    expect(await login('dev', userPassword)).not.toBeNull();
    expect(checks.count).toBe(2);
  });

  test('the throttle still stands in front of it: a locked-out address does not get in with a remembered password', async () => {
    const { login } = await counted();
    expect(await login('dev', userPassword)).not.toBeNull();
    let refused: unknown;
    for (let i = 0; i < 50 && !refused; i++) await login('dev', `guess-${i}`).catch((error: unknown) => (refused = error));
    await expect(login('dev', userPassword)).rejects.toThrow(/too many failed logins/);
  });

  test('holds a bounded number of entries, forgetting the oldest', () => {
    const memory = new VerifiedPasswords(() => new Date(0), { ttlSeconds: 300, maxEntries: 2 });
    memory.remember('a', 'pa', 'hash-a');
    memory.remember('b', 'pb', 'hash-b');
    memory.remember('c', 'pc', 'hash-c');
    expect([memory.has('a', 'pa', 'hash-a'), memory.has('b', 'pb', 'hash-b'), memory.has('c', 'pc', 'hash-c')]).toEqual([false, true, true]);
    expect(memory.has('b', 'wrong', 'hash-b')).toBe(false);
    expect(memory.has('b', 'pb', 'hash-other')).toBe(false);
  });
});
