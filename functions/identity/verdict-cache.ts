/**
 * Remembers the verdict on a signed token until the token expires, so a client that sends the
 * same bearer token with every request (docker, containerd and skopeo all do, for minutes) costs
 * one ECDSA verification instead of one per request. Only valid tokens are kept; a token is never
 * served past its `exp`. Bounded: past `capacity` entries the oldest is dropped.
 */
export class VerdictCache<T extends { expiresAt: number }> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity = 10_000) {}

  /** The remembered verdict, if still valid at `nowSeconds`. */
  get(token: string, nowSeconds: number): T | undefined {
    const verdict = this.entries.get(token);
    if (verdict === undefined) return undefined;
    if (verdict.expiresAt <= nowSeconds) {
      this.entries.delete(token);
      return undefined;
    }
    return verdict;
  }

  set(token: string, verdict: T): void {
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, verdict);
  }

  /** Forgets everything: the keys that vouched for the remembered tokens changed. */
  clear(): void {
    this.entries.clear();
  }
}
