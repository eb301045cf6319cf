import { ConditionFailedError, type Item, type Key, type Table } from '../ports/table.js';
import { keys } from './stores/keys.js';

export interface ThrottleLimit {
  /** Failures allowed within one window; the next try is refused until the window ends. */
  maxFailures: number;
  windowSeconds: number;
}

export interface ThrottleOptions {
  /** Failures of one login name from one client address. */
  perAccount: ThrottleLimit;
  /** Failures from one client address, whatever names it tries (spraying one password over many). */
  perAddress: ThrottleLimit;
}

/** The numbers docs/identity.md states. */
export const defaultThrottle: ThrottleOptions = {
  perAccount: { maxFailures: 5, windowSeconds: 15 * 60 },
  perAddress: { maxFailures: 30, windowSeconds: 15 * 60 },
};

/**
 * Failed-login throttling, kept in the table so every Lambda instance sees the same counts. Two
 * counters answer every try:
 *
 * - per login name AND client address: `perAccount.maxFailures` wrong passwords for a name from
 *   one address lock that name for that address until the window ends, whatever password comes
 *   next. The same name from any other address is untouched: nobody can lock someone else out.
 * - per client address: `perAddress.maxFailures` failures for any names lock the address, so
 *   guessing across many accounts from one place stays slow too.
 *
 * A success clears the name's counter for that address, never the address's own counter (else
 * one valid account would reset a guesser's budget). Items expire with their window (TTL).
 * Counts advance by compare-and-set, so concurrent failures are each counted.
 */
export class LoginThrottle {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date,
    private readonly options: ThrottleOptions = defaultThrottle,
  ) {}

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  /** Seconds until `login` may try again from `address`, or 0 when it may try now. */
  async retryAfter(login: string, address: string): Promise<number> {
    const [pair, from] = await Promise.all([this.table.get(keys.throttle(login, address)), this.table.get(keys.throttleAddress(address))]);
    return Math.max(this.wait(pair, this.options.perAccount), this.wait(from, this.options.perAddress));
  }

  private wait(item: Item | null, limit: ThrottleLimit): number {
    const nowSeconds = this.nowSeconds();
    if (!item || (item.expiresAt as number) <= nowSeconds || (item.failures as number) < limit.maxFailures) return 0;
    return Math.max(1, (item.expiresAt as number) - nowSeconds);
  }

  async recordFailure(login: string, address: string): Promise<void> {
    await Promise.all([
      this.count(keys.throttle(login, address), this.options.perAccount, { login, address }),
      this.count(keys.throttleAddress(address), this.options.perAddress, { address }),
    ]);
  }

  async recordSuccess(login: string, address: string): Promise<void> {
    await this.table.delete(keys.throttle(login, address));
  }

  /** Clears every lock on `login`, from every address (the `unlock` recovery command). */
  async unlock(login: string): Promise<number> {
    const items = await this.table.query(keys.throttle(login, '').pk);
    for (const item of items) await this.table.delete({ pk: item.pk, sk: item.sk });
    return items.length;
  }

  private async count(key: Key, limit: ThrottleLimit, fields: Record<string, string>): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const nowSeconds = this.nowSeconds();
      const item = await this.table.get(key);
      const live = item !== null && (item.expiresAt as number) > nowSeconds;
      const failures = live ? (item.failures as number) + 1 : 1;
      const expiresAt = live ? (item.expiresAt as number) : nowSeconds + limit.windowSeconds;
      try {
        await this.table.put({ ...key, ...fields, failures, expiresAt }, item ? { equals: { failures: item.failures as number } } : { exists: false });
        return;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    // Five concurrent writers in a row: the address is busy failing; the others' counts stand.
  }
}
