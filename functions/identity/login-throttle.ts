import type { Table } from '../ports/table.js';
import { keys } from './stores/keys.js';

export interface ThrottleOptions {
  /** Failures allowed within one window before the account is locked for the rest of it. */
  maxFailures: number;
  windowSeconds: number;
}

export const defaultThrottle: ThrottleOptions = { maxFailures: 5, windowSeconds: 15 * 60 };

/**
 * Failed-login throttling per login name, kept in the table so every Lambda instance sees the same
 * count. After `maxFailures` failures the name is locked until the window ends, whatever password
 * comes next: a guesser learns nothing from further tries. The item expires with its window (TTL),
 * and a successful login clears it. The counter is read-then-written: concurrent failures may be
 * counted once, which only lets a guesser through a few extra tries at worst.
 */
export class LoginThrottle {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date,
    private readonly options: ThrottleOptions = defaultThrottle,
  ) {}

  /** Seconds until `login` may try again, or 0 when it may try now. */
  async retryAfter(login: string): Promise<number> {
    const item = await this.table.get(keys.throttle(login));
    if (!item || (item.failures as number) < this.options.maxFailures) return 0;
    return Math.max(1, (item.expiresAt as number) - Math.floor(this.now().getTime() / 1000));
  }

  async recordFailure(login: string): Promise<void> {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const item = await this.table.get(keys.throttle(login));
    const failures = ((item?.failures as number) ?? 0) + 1;
    const expiresAt = (item?.expiresAt as number) ?? nowSeconds + this.options.windowSeconds;
    await this.table.put({ ...keys.throttle(login), failures, expiresAt });
  }

  async recordSuccess(login: string): Promise<void> {
    await this.table.delete(keys.throttle(login));
  }
}
