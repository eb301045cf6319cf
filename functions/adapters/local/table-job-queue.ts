import { isLongJob, parseJob, type Job } from '../../core/jobs.js';
import type { JobHandler, JobQueue, QueueDepth } from '../../ports/job-queue.js';
import type { Item, Table, WriteOp } from '../../ports/table.js';
import { partitions } from '../../table-layout.js';

export interface TableJobQueueOptions {
  /** Queue name: keeps several queues apart in one table. */
  name?: string;
  /** Deliveries before a job moves to the dead-letter partition (SQS maxReceiveCount). */
  maxReceives?: number;
  /** Delay before the first retry; doubles on each further one. */
  retryDelayMs?: number;
  /**
   * How often an idle lane looks for jobs it was not told about (jobs committed through
   * `enqueueOp` wake it themselves; this bounds the delay if that wake-up came too early).
   */
  pollMs?: number;
  /** Called with every job that is dead-lettered, e.g. to log it. */
  onDeadLetter?: (job: Job, error: unknown) => void;
}

type LaneOptions = Required<Omit<TableJobQueueOptions, 'onDeadLetter' | 'name'>> & Pick<TableJobQueueOptions, 'onDeadLetter'>;

/**
 * The embedded default's queue: jobs are rows of the table, so an accepted job survives a crash
 * and runs after restart, with SQS's semantics (at-least-once delivery, retries with backoff,
 * a dead-letter partition after `maxReceives` failed deliveries). One process consumes it, in two
 * lanes that run side by side: short jobs, and long ones (`longJobKinds`) that must not hold the
 * short ones up. Because jobs are rows, a domain write and the jobs it causes commit in one SQLite
 * transaction (`enqueueOp`): the outbox is the queue itself.
 *
 *   pk queue#<name>            sk <due time, 15 digits>#<job id>   a pending short job
 *   pk queue#<name>-long       sk <due time, 15 digits>#<job id>   a pending long job
 *   pk queue#<lane pk>#dlq     sk <job id>                         a dead-lettered job
 */
export class TableJobQueue implements JobQueue {
  private readonly short: Lane;
  private readonly long: Lane;

  constructor(table: Table, options: TableJobQueueOptions = {}) {
    const name = options.name ?? 'jobs';
    const laneOptions: LaneOptions = { maxReceives: 3, retryDelayMs: 1000, pollMs: 1000, ...options };
    this.short = new Lane(table, `${partitions.queue}${name}`, laneOptions);
    this.long = new Lane(table, `${partitions.queue}${name}-long`, laneOptions);
  }

  private laneOf(job: Job): Lane {
    return isLongJob(job) ? this.long : this.short;
  }

  async enqueue(job: Job): Promise<void> {
    const checked = parseJob(job);
    const lane = this.laneOf(checked);
    await lane.table.put(lane.item(checked));
    lane.wake(0);
  }

  enqueueOp(job: Job): WriteOp {
    const checked = parseJob(job);
    const lane = this.laneOf(checked);
    // The caller commits right after building its transaction; a wake-up that comes before the
    // commit finds nothing and the poll picks the job up instead.
    lane.wake(5);
    return { put: lane.item(checked) };
  }

  /** Starts consuming with `handler`; pending jobs from before a restart run too. */
  start(handler: JobHandler): void {
    this.short.start(handler);
    this.long.start(handler);
  }

  /** Stops consuming after the jobs in hand, if any. */
  async stop(): Promise<void> {
    await Promise.all([this.short.stop(), this.long.stop()]);
  }

  async depth(): Promise<QueueDepth> {
    const [short, long] = await Promise.all([this.short.pending(), this.long.pending()]);
    return { short, long };
  }

  /** Jobs that failed `maxReceives` times. */
  async deadLetters(): Promise<Job[]> {
    return [...(await this.short.deadLetters()), ...(await this.long.deadLetters())];
  }

  /** Runs every job due now in both lanes; resolves when none is left (for tests and shutdown). */
  async drain(): Promise<void> {
    do {
      await Promise.all([this.short.drain(), this.long.drain()]);
    } while ((await this.short.hasDue()) || (await this.long.hasDue()));
  }
}

class Lane {
  private handler: JobHandler | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    readonly table: Table,
    private readonly pk: string,
    private readonly options: LaneOptions,
  ) {}

  item(job: Job): Item {
    return { pk: this.pk, sk: sortKey(Date.now(), job.id), job: job as unknown as Item[string], receives: 0 };
  }

  start(handler: JobHandler): void {
    this.handler = handler;
    this.stopped = false;
    this.wake(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  async deadLetters(): Promise<Job[]> {
    const items = await this.table.query(`${this.pk}#dlq`);
    return items.map((item) => item.job as unknown as Job);
  }

  async pending(): Promise<number> {
    return (await this.table.query(this.pk)).length;
  }

  async hasDue(): Promise<boolean> {
    if (this.stopped || !this.handler) return false;
    const [item] = await this.table.query(this.pk, { limit: 1 });
    return item !== undefined && Number(item.sk.slice(0, 15)) <= Date.now();
  }

  async drain(): Promise<void> {
    while (!this.stopped && (await this.runDue())) {
      // keep going while jobs are due
    }
  }

  wake(delayMs: number): void {
    if (this.stopped || !this.handler) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running ??= this.loop().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    await this.drain();
    const [next] = await this.table.query(this.pk, { limit: 1 });
    const due = next ? Math.max(0, Number(next.sk.slice(0, 15)) - Date.now()) : this.options.pollMs;
    this.wake(Math.min(due, this.options.pollMs));
  }

  /** Runs the first due job; false when none is due. */
  private async runDue(): Promise<boolean> {
    const [item] = await this.table.query(this.pk, { limit: 1 });
    if (!item || Number(item.sk.slice(0, 15)) > Date.now() || !this.handler) return false;
    const receives = (item.receives as number) + 1;
    let job: Job;
    try {
      job = parseJob(item.job);
      await this.handler(job);
      await this.table.delete(item);
      return true;
    } catch (error) {
      job = item.job as unknown as Job;
      if (receives >= this.options.maxReceives) {
        await this.table.transact([
          { delete: { pk: item.pk, sk: item.sk } },
          { put: { pk: `${this.pk}#dlq`, sk: job.id ?? item.sk, job: item.job, receives, error: String(error) } },
        ]);
        this.options.onDeadLetter?.(job, error);
      } else {
        const due = Date.now() + this.options.retryDelayMs * 2 ** (receives - 1);
        const sk = sortKey(due, job.id ?? item.sk);
        if (sk === item.sk) await this.table.put({ ...item, receives });
        else await this.table.transact([{ delete: { pk: item.pk, sk: item.sk } }, { put: { ...item, sk, receives } }]);
      }
      return true;
    }
  }
}

function sortKey(dueMs: number, id: string): string {
  return `${String(dueMs).padStart(15, '0')}#${id}`;
}
