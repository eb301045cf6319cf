import { expect, test } from 'vitest';
import { Identity } from '../../functions/identity/identity.js';
import { isLowS } from '../../functions/identity/low-s.js';
import { SqliteTable } from '../../functions/adapters/local/sqlite-table.js';

const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The other valid signature of the same token: s replaced by n - s. */
function flipS(jws: string): string {
  const dot = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url');
  const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((order - s).toString(16).padStart(64, '0'), 'hex');
  return `${jws.slice(0, dot + 1)}${Buffer.concat([signature.subarray(0, 32), flipped]).toString('base64url')}`;
}

test('tokens are issued with low-S signatures, and the high-S twin of a valid token is refused', async () => {
  const identity = new Identity(new SqliteTable(':memory:'), { service: 'berth-test' });
  const access = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];
  for (let i = 0; i < 40; i++) {
    const { token } = await identity.tokens.issueAccessToken('dev', access);
    expect(isLowS(token)).toBe(true);
    expect(await identity.tokens.verifyAccessToken(token)).toMatchObject({ subject: 'dev' });
    const twin = flipS(token);
    expect(isLowS(twin)).toBe(false);
    expect(await identity.tokens.verifyAccessToken(twin)).toBeNull();
  }
  const refresh = await identity.tokens.issueRefreshToken('dev', { account: 'user:2', version: 0 });
  expect(await identity.tokens.verifyRefreshToken(refresh)).not.toBeNull();
  expect(await identity.tokens.verifyRefreshToken(flipS(refresh))).toBeNull();
});
