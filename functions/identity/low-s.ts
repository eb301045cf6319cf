/**
 * ECDSA signatures come in pairs: (r, s) and (r, n - s) verify alike, so anyone can turn a token
 * into a second, different-looking valid one. Accepting only the low half (s <= n/2, as Bitcoin
 * and Ethereum require) leaves one valid form per signature. Tokens are ES256 (P-256); a JWS
 * signature is r || s, 32 bytes each. A BigInt comparison: nothing next to the verify itself.
 */
const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const half = order >> 1n;
const half32 = 32;

function sOf(signature: Buffer): bigint {
  return BigInt(`0x${signature.subarray(half32).toString('hex')}`);
}

/** The compact JWS with its ES256 signature in low-S form (unchanged when it already is). */
export function toLowS(jws: string): string {
  const dot = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(dot + 1), 'base64url');
  if (signature.length !== 2 * half32) return jws;
  const s = sOf(signature);
  if (s <= half) return jws;
  const low = Buffer.from((order - s).toString(16).padStart(2 * half32, '0'), 'hex');
  return `${jws.slice(0, dot + 1)}${Buffer.concat([signature.subarray(0, half32), low]).toString('base64url')}`;
}

/** Whether a compact JWS carries an ES256 signature in low-S form. */
export function isLowS(jws: string): boolean {
  const signature = Buffer.from(jws.slice(jws.lastIndexOf('.') + 1), 'base64url');
  return signature.length === 2 * half32 && sOf(signature) <= half;
}
