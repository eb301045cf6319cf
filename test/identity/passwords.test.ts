import { describe, expect, test } from 'vitest';
import { hashPassword, hashSecret, verifyPassword, verifySecret } from '../../functions/identity/passwords.js';

describe('passwords', () => {
  test('a hash verifies its password and nothing else', async () => {
    const started = performance.now();
    const hash = await hashPassword('Corr3ct horse');
    const ms = performance.now() - started;
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('Corr3ct horse', hash)).toBe(true);
    expect(await verifyPassword('corr3ct horse', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    // Slow enough to hurt guessing.
    expect(ms).toBeGreaterThan(10);
  });

  test('two hashes of one password differ (per-password salt)', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  test('malformed or hostile hashes never verify', async () => {
    for (const bad of ['', 'scrypt$', 'plain', 'scrypt$1099511627776$8$1$c2FsdA$aGFzaA', 'scrypt$0$8$1$c2FsdA$aGFzaA']) {
      expect(await verifyPassword('x', bad)).toBe(false);
    }
  });

  test('robot secrets', async () => {
    const stored = hashSecret('s3cret-value');
    expect(await verifySecret('s3cret-value', stored)).toBe(true);
    expect(await verifySecret('s3cret-valuf', stored)).toBe(false);
    expect(await verifySecret('s3cret-value', await hashPassword('s3cret-value'))).toBe(true);
  });
});
