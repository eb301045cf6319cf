import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface VerifiedPasswordsOptions {
  /** How long a successful check is remembered. */
  ttlSeconds: number;
  /** Accounts remembered at most (the oldest check is forgotten first). */
  maxEntries: number;
}

export const defaultVerifiedPasswords: VerifiedPasswordsOptions = { ttlSeconds: 300, maxEntries: 1000 };

/**
 * Local accounts' passwords that checked out lately, so the next login with the same password does
 * not pay scrypt again: clients log in for every operation (`docker pull` asks the token service
 * with Basic credentials each time, CI jobs do it thousands of times a day), and a 32 MiB scrypt
 * is the largest part of such a request.
 *
 * What is kept is an HMAC of the name and password under a key made at start and never stored,
 * beside the stored password hash the check was made against: the password itself is never kept,
 * and a changed password (a new stored hash), a deleted or disabled account (no record, or none
 * that checks here) are refused at once, not when the entry expires. Failed checks are never
 * remembered, so a wrong password costs the full scrypt every time, and the login throttle and the
 * hashing budget in front of this apply as before.
 */
export class VerifiedPasswords {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, { passwordHash: string; until: number }>();

  constructor(
    private readonly now: () => Date,
    private readonly options: VerifiedPasswordsOptions = defaultVerifiedPasswords,
  ) {}

  private id(login: string, password: string): string {
    return createHmac('sha256', this.key).update(login).update('\u0000').update(password).digest('base64url');
  }

  /** Whether this password was checked against exactly `passwordHash` within the time to live. */
  has(login: string, password: string, passwordHash: string): boolean {
    const id = this.id(login, password);
    const entry = this.entries.get(id);
    if (!entry) return false;
    const stored = Buffer.from(entry.passwordHash);
    const current = Buffer.from(passwordHash);
    if (entry.until <= this.now().getTime() || stored.length !== current.length || !timingSafeEqual(stored, current)) {
      this.entries.delete(id);
      return false;
    }
    return true;
  }

  remember(login: string, password: string, passwordHash: string): void {
    const id = this.id(login, password);
    this.entries.delete(id);
    this.entries.set(id, { passwordHash, until: this.now().getTime() + this.options.ttlSeconds * 1000 });
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
