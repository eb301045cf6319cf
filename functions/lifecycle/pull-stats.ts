import type { AppDeps } from '../app-env.js';
import type { Capability } from '../capability.js';
import type { Config } from '../config.js';
import type { RegistryEvent } from '../core/jobs.js';
import { ConditionFailedError, type Item } from '../ports/table.js';
import { keys } from '../registry/keys.js';

/** What a manifest GET tells the pull statistics: one line in the route, no I/O in the normal case. */
export interface PullRecorder {
  /**
   * Counts one pull. Resolves at once, except when this pull makes a flush due on a runtime that
   * may be frozen between requests (see `PullStats`): then it resolves after the flush.
   */
  record(repository: string, digest: string, tag?: string, actor?: string): Promise<void>;
  /** Writes every count held in memory now (shutdown). Never rejects: failures are kept for later. */
  flush(): Promise<void>;
}

export interface PullStatsOptions {
  /** Counts are held at most this long (default 10 s). */
  flushMs: number;
  /** Distinct (repository, digest, tag, actor) entries held before a flush is forced (default 500). */
  maxPending: number;
}

interface Pending {
  repository: string;
  digest: string;
  tag?: string;
  actor?: string;
  count: number;
  last: Date;
}

/**
 * Pull statistics without a table write per manifest GET. Pulls are counted in memory per
 * (repository, digest, tag, caller) and written in one flush: each entry adds its count to the
 * manifest's `pulled#<digest>` item (read, then write under a condition on the count read, retried
 * when another process flushed in between) and records a `pull` registry event with that count
 * in the same transaction, so audit and webhooks hear of pulls through the outbox like any event.
 *
 * When a flush happens: when the oldest count held is `flushMs` old — on a timer in a long-lived
 * process, and also checked on every pull, which is what makes it work on Lambda, whose frozen
 * environments run no timers: the pull that finds a flush due (or finds `maxPending` entries held)
 * waits for it before its response goes out. What a crash or a reclaimed environment can lose:
 * the counts held since the last flush, at most `flushMs` of pulls on a long-lived process, and
 * at most `maxPending` entries or `flushMs` of pulls on a Lambda environment that is never invoked
 * again. A failed flush keeps its counts for the next one.
 */
export class PullStats implements PullRecorder {
  private pending = new Map<string, Pending>();
  private oldest: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly deps: Pick<AppDeps, 'table' | 'queue' | 'now'>,
    private readonly options: PullStatsOptions = { flushMs: 10_000, maxPending: 500 },
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  record(repository: string, digest: string, tag?: string, actor?: string): Promise<void> {
    const now = this.now();
    this.add({ repository, digest, ...(tag ? { tag } : {}), ...(actor ? { actor } : {}), count: 1, last: now });
    if (this.pending.size >= this.options.maxPending || now.getTime() - this.oldest! >= this.options.flushMs) return this.flush();
    return Promise.resolve();
  }

  private add(entry: Pending): void {
    const key = JSON.stringify([entry.repository, entry.digest, entry.tag ?? null, entry.actor ?? null]);
    const held = this.pending.get(key);
    if (held) {
      held.count += entry.count;
      if (entry.last > held.last) held.last = entry.last;
    } else {
      this.pending.set(key, { ...entry });
    }
    if (this.oldest === null) {
      this.oldest = this.now().getTime();
      this.timer = setTimeout(() => void this.flush(), this.options.flushMs);
      this.timer.unref();
    }
  }

  flush(): Promise<void> {
    // One flush at a time: one asked for during another runs after it, with what arrived meanwhile.
    const run = (this.flushing ?? Promise.resolve()).then(() => this.flushNow());
    this.flushing = run;
    void run.finally(() => {
      if (this.flushing === run) this.flushing = undefined;
    });
    return run;
  }

  private async flushNow(): Promise<void> {
    clearTimeout(this.timer);
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.oldest = null;
    // One write per manifest, however many callers and tags pulled it: fewer writers per item.
    const byManifest = new Map<string, Pending[]>();
    for (const entry of batch) {
      const key = `${entry.repository}@${entry.digest}`;
      byManifest.set(key, [...(byManifest.get(key) ?? []), entry]);
    }
    const groups = [...byManifest.values()].flatMap((entries) => chunks(entries, maxEventsPerWrite));
    await Promise.all(
      groups.map(async (entries) => {
        try {
          await this.write(entries);
        } catch (error) {
          // Kept for the next flush, so a table outage loses no counts.
          for (const entry of entries) this.add(entry);
          console.error(JSON.stringify({ level: 'error', message: 'pull statistics flush failed', repository: entries[0]!.repository, error: String(error) }));
        }
      }),
    );
  }

  /** Adds the entries (all of one manifest) to its pulled item, with their events, in one transaction. */
  private async write(entries: Pending[]): Promise<void> {
    const { repository, digest } = entries[0]!;
    const key = keys.pulled(repository, digest);
    const added = entries.reduce((sum, entry) => sum + entry.count, 0);
    const last = entries.map((entry) => entry.last.toISOString()).sort().at(-1)!;
    for (let attempt = 0; attempt < 30; attempt++) {
      const current = await this.deps.table.get(key);
      const count = typeof current?.count === 'number' ? current.count : 0;
      const previous = typeof current?.lastPulledAt === 'string' ? current.lastPulledAt : '';
      const item: Item = { ...key, count: count + added, lastPulledAt: last > previous ? last : previous };
      const events = entries.map((entry): RegistryEvent => ({
        version: 1,
        kind: 'registry-event',
        id: crypto.randomUUID(),
        at: entry.last.toISOString(),
        action: 'pull',
        repository,
        digest,
        count: entry.count,
        ...(entry.tag ? { tag: entry.tag } : {}),
        ...(entry.actor ? { actor: entry.actor } : {}),
      }));
      try {
        await this.deps.table.transact([
          { put: item, condition: current ? { equals: { count } } : { exists: false } },
          ...events.map((event) => this.deps.queue.enqueueOp(event)),
        ]);
        return;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
      // Another process flushed the same manifest: step aside for a moment before reading again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * (attempt + 1)));
    }
    throw new Error(`pull count of ${repository}@${digest} kept changing under this flush`);
  }
}

/** A transaction holds 100 writes: the pulled item and at most this many events. */
const maxEventsPerWrite = 50;

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** The pull statistics of a manifest, or null when it was never pulled (since the counting began). */
export async function pullStatsOf(
  deps: Pick<AppDeps, 'table'>,
  repository: string,
  digest: string,
): Promise<{ lastPulledAt: string; count: number } | null> {
  const item = await deps.table.get(keys.pulled(repository, digest));
  return item ? { lastPulledAt: item.lastPulledAt as string, count: item.count as number } : null;
}

/**
 * Gives the process its pull recorder (`deps.pulls`, read by the manifest GET). A capability of
 * its own so that every runtime that serves GETs gets one from the composition root.
 */
export function pullStatsCapability(deps: AppDeps, config: Partial<Config> = {}): Capability {
  const seconds = Number(config.BERTH_PULL_FLUSH_SECONDS ?? 10);
  deps.pulls ??= new PullStats(deps, { flushMs: seconds * 1000, maxPending: 500 });
  return { name: 'pull-stats' };
}
