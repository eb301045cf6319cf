import { describe, expect, test } from 'vitest';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';
import { Identity } from '../../functions/identity/identity.js';
import { VerdictCache } from '../../functions/identity/verdict-cache.js';

const access = [{ type: 'repository', name: 'library/alpine', actions: ['pull'] }];

describe('access tokens are verified once, and the verdict kept no longer than the token lives', () => {
  test('a remembered token still expires on time', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const identity = new Identity(new SqliteTable(':memory:'), { service: 'berth', tokens: { accessTokenSeconds: 300 }, now: () => now });
    const { token } = await identity.tokens.issueAccessToken('alice', access);
    expect((await identity.tokens.verifyAccessToken(token))?.subject).toBe('alice');
    now = new Date('2026-01-01T00:04:59Z');
    expect((await identity.tokens.verifyAccessToken(token))?.subject).toBe('alice');
    now = new Date('2026-01-01T00:05:00Z');
    expect(await identity.tokens.verifyAccessToken(token)).toBeNull();
  });

  test('the second verification of a token does not verify its signature again', async () => {
    const identity = new Identity(new SqliteTable(':memory:'), { service: 'berth' });
    const { token } = await identity.tokens.issueAccessToken('alice', access);
    expect(await identity.tokens.verifyAccessToken(token)).not.toBeNull();
    // With the key set gone from the table and from memory, only the remembered verdict can answer.
    await identity.table.delete({ pk: 'config#signing-keys', sk: 'keys' });
    (identity.tokens as unknown as { loaded: undefined }).loaded = undefined;
    expect((await identity.tokens.verifyAccessToken(token))?.access).toEqual(access);
    // A token never seen before is refused: nothing vouches for it.
    const forged = `${token.slice(0, -4)}AAAA`;
    expect(await identity.tokens.verifyAccessToken(forged)).toBeNull();
  });

  test('rotating the keys forgets every verdict, so a token whose key was dropped is refused', async () => {
    const identity = new Identity(new SqliteTable(':memory:'), { service: 'berth', tokens: { keysKept: 1 } });
    const { token } = await identity.tokens.issueAccessToken('alice', access);
    expect(await identity.tokens.verifyAccessToken(token)).not.toBeNull();
    await identity.tokens.rotate();
    expect(await identity.tokens.verifyAccessToken(token)).toBeNull();
  });

  test('the cache is bounded: past its capacity the oldest verdict goes', () => {
    const cache = new VerdictCache<{ expiresAt: number }>(2);
    cache.set('a', { expiresAt: 100 });
    cache.set('b', { expiresAt: 100 });
    cache.set('c', { expiresAt: 100 });
    expect([cache.get('a', 0), cache.get('b', 0), cache.get('c', 0)]).toEqual([undefined, { expiresAt: 100 }, { expiresAt: 100 }]);
  });
});
