import { Cron } from 'croner';
import { parseJob, type Job } from '../core/jobs.js';
import type { JobQueue } from '../ports/job-queue.js';
import { ConditionFailedError, type Item, type Key, type Table } from '../ports/table.js';
import { indexPartitions, partitions } from '../table-layout.js';

/**
 * Cron schedules: "run this job at these times" (scheduled replication, scan all, garbage
 * collection, retention). The tick (every 30 s on one machine, every minute from EventBridge on
 * AWS) enqueues each schedule that is due, once per due time, however many ticks overlap: the
 * schedule's next due time moves forward in the same transaction that enqueues the job, under a
 * condition on the time it read.
 *
 *   pk schedule#<id>   sk schedule   cron, job (the template; each run gets its own id), next (ISO)
 *                      gsi1: schedules / <id>
 */
export interface Schedule {
  id: string;
  /** Harbor's cron: six fields with seconds first (`0 0 2 * * *`), or the usual five. */
  cron: string;
  job: Job;
  /** When the job is next due. */
  next: string;
}

/** A cron expression croner cannot parse, or one that never fires. */
export class InvalidCronError extends Error {
  constructor(cron: string, reason: string) {
    super(`invalid cron expression "${cron}": ${reason}`);
    this.name = 'InvalidCronError';
  }
}

/** The next time `cron` fires strictly after `after`; throws InvalidCronError. */
export function nextRun(cron: string, after: Date): Date {
  let next: Date | null;
  try {
    next = new Cron(cron, { paused: true, timezone: 'UTC' }).nextRun(after);
  } catch (error) {
    throw new InvalidCronError(cron, (error as Error).message);
  }
  if (!next) throw new InvalidCronError(cron, 'it never fires');
  return next;
}

function key(id: string): Key {
  return { pk: `${partitions.schedule}${id}`, sk: 'schedule' };
}

function toSchedule(item: Item): Schedule {
  return { id: item.id as string, cron: item.cron as string, job: item.job as unknown as Job, next: item.next as string };
}

export class ScheduleStore {
  constructor(
    private readonly table: Table,
    private readonly queue: JobQueue,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates or replaces schedule `id`: `job` runs at every time `cron` names from now on. */
  async set(id: string, cron: string, job: Job): Promise<Schedule> {
    const checked = parseJob(job);
    const schedule: Schedule = { id, cron, job: checked, next: nextRun(cron, this.now()).toISOString() };
    await this.table.put({
      ...key(id),
      id,
      cron,
      job: checked as unknown as Item[string],
      next: schedule.next,
      gsi1pk: indexPartitions.schedules,
      gsi1sk: id,
    });
    return schedule;
  }

  async get(id: string): Promise<Schedule | null> {
    const item = await this.table.get(key(id));
    return item ? toSchedule(item) : null;
  }

  /** Removes the schedule (idempotent). */
  async remove(id: string): Promise<void> {
    await this.table.delete(key(id));
  }

  async list(): Promise<Schedule[]> {
    const entries = await this.table.query(indexPartitions.schedules, { index: 'gsi1' });
    return entries.map(toSchedule);
  }

  /**
   * Enqueues every schedule due by now, each once for its due time (the job's id is
   * `<schedule id>@<due time>`), and moves it to its next time. Returns the ids enqueued.
   */
  async tick(): Promise<string[]> {
    const now = this.now();
    const enqueued: string[] = [];
    for (const entry of await this.list()) {
      // The index may lag: decide from the item itself.
      const item = await this.table.get(key(entry.id));
      if (!item || (item.next as string) > now.toISOString()) continue;
      const schedule = toSchedule(item);
      let next: string;
      try {
        next = nextRun(schedule.cron, now).toISOString();
      } catch {
        continue;
      }
      const job = { ...schedule.job, id: `${schedule.id}@${schedule.next}` } as Job;
      try {
        await this.table.transact([
          { put: { ...item, next }, condition: { equals: { next: schedule.next } } },
          this.queue.enqueueOp(job),
        ]);
        enqueued.push(job.id);
      } catch (error) {
        // Another tick enqueued this run first.
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    return enqueued;
  }
}
