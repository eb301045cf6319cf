import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes: scrypt with a per-password random salt, encoded with its parameters
 * (`scrypt$N$r$p$salt$hash`, base64url) so the cost can rise later without breaking old hashes.
 * N = 2^15 costs about 50-100 ms and 32 MB here: slow for guessing, fine for a login.
 */
const cost = { N: 1 << 15, r: 8, p: 1 };
const keyLength = 32;

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, { N, r, p, maxmem: 256 * N * r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost.N, cost.r, cost.p);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `password` matches `encoded`, compared in constant time. False for malformed hashes. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 1 << 20) return false;
  const expected = Buffer.from(parts[5]!, 'base64url');
  const actual = await derive(password, Buffer.from(parts[4]!, 'base64url'), N, r, p);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * A hash of a password nobody has, checked when the account does not exist so an unknown name
 * costs as long as a wrong password (no user enumeration by timing). Each address's hashing is
 * bounded by HashBudget; across all addresses at most `decoysAtOnce` decoy checks run at a time,
 * and the others wait as long as a check takes (the running average) without hashing, so unknown
 * names from many places cannot take the machine's CPU either.
 */
let decoy: Promise<string> | undefined;
const decoysAtOnce = 2;
let decoysRunning = 0;
let checkMillis = 80;

export async function burnPasswordCheck(password: string): Promise<void> {
  if (decoysRunning >= decoysAtOnce) {
    await new Promise((resolve) => setTimeout(resolve, checkMillis));
    return;
  }
  decoysRunning += 1;
  try {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    const hash = await decoy;
    const started = performance.now();
    await verifyPassword(password, hash);
    checkMillis = 0.8 * checkMillis + 0.2 * (performance.now() - started);
  } finally {
    decoysRunning -= 1;
  }
}

/**
 * Robot secrets are 32 random bytes, out of reach of guessing, so a plain SHA-256 stores them
 * safely and keeps `docker login` with a robot from paying scrypt on every Basic-auth request.
 */
export function hashSecret(secret: string): string {
  return `sha256$${createHash('sha256').update(secret).digest('hex')}`;
}

/**
 * Checks a robot secret against its stored hash. A secret the admin chose (Harbor allows that) may
 * be guessable, so it is stored with scrypt like a password; generated ones with SHA-256.
 */
export async function verifySecret(secret: string, encoded: string): Promise<boolean> {
  if (encoded.startsWith('scrypt$')) return verifyPassword(secret, encoded);
  const expected = Buffer.from(encoded);
  const actual = Buffer.from(hashSecret(secret));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A printable password meeting Harbor's rule (8+ chars with upper, lower and a digit). */
export function generatePassword(): string {
  return `Bt${randomBytes(18).toString('base64url')}9a`;
}
