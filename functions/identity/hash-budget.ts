export interface HashBudgetOptions {
  /** Password checks one address may have running or recently failed at once. */
  capacity: number;
  /** One check comes back to an address every this many seconds. */
  refillSeconds: number;
  /** Addresses remembered; beyond it the fullest buckets are forgotten first. */
  maxAddresses: number;
}

/** The numbers docs/identity.md states. */
export const defaultHashBudget: HashBudgetOptions = { capacity: 10, refillSeconds: 3, maxAddresses: 10_000 };

/**
 * How much password hashing each client address may make this process do. A password check
 * (scrypt: tens of milliseconds and 32 MiB) takes one unit before it starts and gives it back when
 * the password was right, so a user with the right password never runs out, while an address
 * sending wrong passwords or unknown names (each costing a full check, so no name can be told
 * apart by timing) gets `capacity` at once and then one every `refillSeconds`. An empty budget
 * refuses before any hashing, the same way for every name. In memory on purpose: it guards this
 * process's CPU; the table's LoginThrottle guards the accounts across instances.
 */
export class HashBudget {
  private readonly buckets = new Map<string, { units: number; at: number }>();

  constructor(
    private readonly now: () => Date,
    private readonly options: HashBudgetOptions = defaultHashBudget,
  ) {}

  /** Takes one unit for `address`: true when it may hash now. */
  take(address: string): boolean {
    const bucket = this.refill(address);
    if (bucket.units < 1) return false;
    bucket.units -= 1;
    return true;
  }

  /** Returns a unit taken for a check that succeeded. */
  giveBack(address: string): void {
    const bucket = this.refill(address);
    bucket.units = Math.min(this.options.capacity, bucket.units + 1);
  }

  /** Whole seconds until `address` has a unit again (0 when it has one). */
  retryAfter(address: string): number {
    const bucket = this.refill(address);
    return bucket.units >= 1 ? 0 : Math.ceil((1 - bucket.units) * this.options.refillSeconds);
  }

  private refill(address: string): { units: number; at: number } {
    const at = this.now().getTime();
    let bucket = this.buckets.get(address);
    if (!bucket) {
      if (this.buckets.size >= this.options.maxAddresses) this.forgetOne(at);
      bucket = { units: this.options.capacity, at };
      this.buckets.set(address, bucket);
    }
    const gained = (at - bucket.at) / 1000 / this.options.refillSeconds;
    bucket.units = Math.min(this.options.capacity, bucket.units + Math.max(0, gained));
    bucket.at = at;
    return bucket;
  }

  /** Drops a bucket that has filled up again (an address at rest) if there is one, else the oldest. */
  private forgetOne(at: number): void {
    for (const [address, bucket] of this.buckets) {
      if (bucket.units + (at - bucket.at) / 1000 / this.options.refillSeconds >= this.options.capacity) {
        this.buckets.delete(address);
        return;
      }
    }
    this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
