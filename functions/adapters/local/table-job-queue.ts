import { parseJob, type Job } from '../../core/jobs.js';
import type { JobHandler, JobQueue } from '../../ports/job-queue.js';
import type { Item, Table } from '../../ports/table.js';

export interface TableJobQueueOptions {
  /** Queue name: keeps several queues apart in one table. */
  name?: string;
  /** Deliveries before a job moves to the dead-letter partition (SQS maxReceiveCount). */
  maxReceives?: number;
  /** Delay before the first retry; doubles on each further one. */
  retryDelayMs?: number;
  /** Called with every job that is dead-lettered, e.g. to log it. */
  onDeadLetter?: (job: Job, error: unknown) => void;
}

/**
 * The embedded default's queue: jobs are rows of the table, so an accepted job survives a crash
 * and runs after restart, with SQS's semantics (at-least-once delivery, retries with backoff,
 * a dead-letter partition after `maxReceives` failed deliveries). One process consumes it.
 *
 *   pk queue#<name>       sk <due time, 15 digits>#<job id>   a pending job
 *   pk queue#<name>#dlq   sk <job id>                         a dead-lettered job
 */
export class TableJobQueue implements JobQueue {
  private readonly pk: string;
  private readonly options: Required<Omit<TableJobQueueOptions, 'onDeadLetter'>> & Pick<TableJobQueueOptions, 'onDeadLetter'>;
  private handler: JobHandler | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly table: Table,
    options: TableJobQueueOptions = {},
  ) {
    this.options = { name: 'jobs', maxReceives: 3, retryDelayMs: 1000, ...options };
    this.pk = `queue#${this.options.name}`;
  }

  async enqueue(job: Job): Promise<void> {
    const checked = parseJob(job);
    await this.table.put({ pk: this.pk, sk: sortKey(Date.now(), checked.id), job: checked as unknown as Item[string], receives: 0 });
    this.wake(0);
  }

  /** Starts consuming with `handler`; pending jobs from before a restart run too. */
  start(handler: JobHandler): void {
    this.handler = handler;
    this.stopped = false;
    this.wake(0);
  }

  /** Stops consuming after the job in hand, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Jobs that failed `maxReceives` times. */
  async deadLetters(): Promise<Job[]> {
    const items = await this.table.query(`${this.pk}#dlq`);
    return items.map((item) => item.job as unknown as Job);
  }

  /** Runs every job due now; resolves when none is left (for tests and shutdown). */
  async drain(): Promise<void> {
    while (!this.stopped && (await this.runDue())) {
      // keep going while jobs are due
    }
  }

  private wake(delayMs: number): void {
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
    if (next) this.wake(Math.max(0, Number(next.sk.slice(0, 15)) - Date.now()));
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
