import { randomUUID } from 'node:crypto';
// jose by subpath: its index loads every JOSE feature (177 modules), this server uses a few.
import type { CryptoKey, JWK } from 'jose';
import { exportJWK } from 'jose/key/export';
import { generateKeyPair } from 'jose/key/generate/keypair';
import { importJWK } from 'jose/key/import';
import { SignJWT } from 'jose/jwt/sign';
import { jwtVerify } from 'jose/jwt/verify';
import type { Table } from '../ports/table.js';
import { isLowS, toLowS } from './low-s.js';
import type { ResourceAccess } from './scope.js';
import { keys } from './stores/keys.js';
import { VerdictCache } from './verdict-cache.js';

/**
 * Tokens of Docker's token authentication, signed ES256 (and nothing else is ever accepted). The
 * signing keys live in the table so every instance signs and verifies alike; a key set holds
 * several keys, each named by `kid`: the newest signs, all verify, so `rotate()` never breaks a
 * token already handed out. Signatures are issued and accepted in low-S form only (low-s.ts).
 * The private keys sit in the table beside the data they protect: whoever can write the table can
 * grant themselves anything anyway.
 */

export const algorithm = 'ES256';

export interface TokenClaims {
  /** Username, robot name, or '' for an anonymous caller. */
  subject: string;
  access: ResourceAccess[];
  expiresAt: number;
  issuedAt: number;
}

/** The account a refresh token belongs to (see principal.ts `credentialOf`). */
export interface RefreshBinding {
  account: string;
  version: number;
}

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: number;
}

interface LoadedKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export interface TokenServiceOptions {
  /** The `service` of the challenge and the `aud` of every token. */
  service: string;
  /** The `iss` of every token. */
  issuer: string;
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  /** Keys kept for verification after a rotation. */
  keysKept: number;
}

export const defaultTokenOptions: Omit<TokenServiceOptions, 'service'> = {
  issuer: 'berth-token-service',
  accessTokenSeconds: 300,
  refreshTokenSeconds: 30 * 24 * 60 * 60,
  keysKept: 3,
};

export class TokenService {
  private loaded: Promise<LoadedKey[]> | undefined;
  private readonly verdicts = new VerdictCache<TokenClaims>();

  constructor(
    private readonly table: Table,
    readonly options: TokenServiceOptions,
    private readonly now: () => Date,
  ) {}

  /** A signed access token granting exactly `access` to `subject`. */
  async issueAccessToken(subject: string, access: ResourceAccess[]): Promise<{ token: string; claims: TokenClaims }> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const expiresAt = issuedAt + this.options.accessTokenSeconds;
    const token = await this.sign({ access, token_use: 'access' }, subject, issuedAt, expiresAt);
    return { token, claims: { subject, access, expiresAt, issuedAt } };
  }

  /**
   * A long-lived token the OAuth2 `refresh_token` grant exchanges for access tokens, bound to the
   * account (`acct`, its id) and its credential version (`cv`) as well as named by `subject`.
   */
  async issueRefreshToken(subject: string, credential: RefreshBinding): Promise<string> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    return this.sign({ token_use: 'refresh', acct: credential.account, cv: credential.version }, subject, issuedAt, issuedAt + this.options.refreshTokenSeconds);
  }

  /** The claims of a valid access token of this service, or null (bad signature, expired, wrong audience...). */
  async verifyAccessToken(token: string): Promise<TokenClaims | null> {
    const known = this.verdicts.get(token, this.now().getTime() / 1000);
    if (known) return known;
    const payload = await this.verify(token, 'access');
    if (!payload || !Array.isArray(payload.access)) return null;
    const access: ResourceAccess[] = [];
    for (const entry of payload.access as unknown[]) {
      if (typeof entry !== 'object' || entry === null) return null;
      const { type, name, actions } = entry as Record<string, unknown>;
      if (typeof type !== 'string' || typeof name !== 'string' || !Array.isArray(actions)) return null;
      if (!actions.every((a) => typeof a === 'string')) return null;
      access.push({ type, name, actions: actions as string[] });
    }
    const claims = { subject: payload.sub as string, access, expiresAt: payload.exp as number, issuedAt: payload.iat as number };
    this.verdicts.set(token, claims);
    return claims;
  }

  /**
   * The subject and binding of a valid refresh token, or null. The caller still has to check the
   * binding against the account as it stands now.
   */
  async verifyRefreshToken(token: string): Promise<{ subject: string; credential: RefreshBinding } | null> {
    const payload = await this.verify(token, 'refresh');
    if (!payload || typeof payload.sub !== 'string' || payload.sub === '') return null;
    if (typeof payload.acct !== 'string' || typeof payload.cv !== 'number') return null;
    return { subject: payload.sub, credential: { account: payload.acct, version: payload.cv } };
  }

  /** The public keys as a JWK set, for anyone who wants to verify tokens themselves. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const stored = await this.stored();
    return { keys: stored.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: algorithm, use: 'sig' })) };
  }

  /** Adds a new signing key; the oldest keys beyond `keysKept` stop verifying. Returns the new kid. */
  async rotate(): Promise<string> {
    const stored = await this.stored();
    const fresh = await newKey(Math.floor(this.now().getTime() / 1000));
    const next = [fresh, ...stored].slice(0, this.options.keysKept);
    await this.table.put({ ...keys.signingKeys, keys: next as unknown as [] });
    this.loaded = undefined;
    this.verdicts.clear();
    return fresh.kid;
  }

  private async sign(claims: Record<string, unknown>, subject: string, issuedAt: number, expiresAt: number): Promise<string> {
    const [signer] = await this.keys();
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: algorithm, kid: signer!.kid, typ: 'JWT' })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.service)
      .setSubject(subject)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt - 1)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(signer!.privateKey);
    return toLowS(token);
  }

  private async verify(token: string, use: 'access' | 'refresh'): Promise<Record<string, unknown> | null> {
    // Only the low-S form of a signature is valid: a token has one spelling (see low-s.ts).
    if (!isLowS(token)) return null;
    try {
      const loaded = await this.keys();
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          let key = loaded.find((k) => k.kid === header.kid);
          if (!key) {
            // Another instance may have rotated: reload once before refusing.
            this.loaded = undefined;
            key = (await this.keys()).find((k) => k.kid === header.kid);
          }
          if (!key) throw new Error('unknown kid');
          return key.publicKey;
        },
        {
          algorithms: [algorithm],
          issuer: this.options.issuer,
          audience: this.options.service,
          requiredClaims: ['exp', 'iat', 'sub'],
          currentDate: this.now(),
        },
      );
      return payload.token_use === use ? (payload as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  private keys(): Promise<LoadedKey[]> {
    this.loaded ??= this.stored().then((stored) =>
      Promise.all(
        stored.map(async (k) => ({
          kid: k.kid,
          privateKey: (await importJWK(k.privateJwk, algorithm)) as CryptoKey,
          publicKey: (await importJWK(k.publicJwk, algorithm)) as CryptoKey,
        })),
      ),
    );
    this.loaded.catch(() => (this.loaded = undefined));
    return this.loaded;
  }

  /** The stored key set, newest first; created with one key on first use (racing writers agree on one). */
  private async stored(): Promise<StoredKey[]> {
    const item = await this.table.get(keys.signingKeys);
    if (item && Array.isArray(item.keys) && item.keys.length > 0) return item.keys as unknown as StoredKey[];
    const first = await newKey(Math.floor(this.now().getTime() / 1000));
    try {
      await this.table.put({ ...keys.signingKeys, keys: [first] as unknown as [] }, { exists: false });
      return [first];
    } catch {
      const winner = await this.table.get(keys.signingKeys);
      return (winner?.keys ?? []) as unknown as StoredKey[];
    }
  }
}

async function newKey(createdAt: number): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const kid = randomUUID();
  return { kid, privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey), createdAt };
}
