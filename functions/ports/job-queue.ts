import type { Job } from '../core/jobs.js';
import type { WriteOp } from './table.js';

/**
 * JobQueue: hands work to asynchronous workers so a slow consumer never slows a request.
 * Delivery is at least once; a job that keeps failing goes to a dead-letter queue after a bounded
 * number of attempts. `test/ports/job-queue.contract.ts` is the contract every adapter must pass.
 */
export interface JobQueue {
  /**
   * Accepts the job durably before resolving. The job must satisfy `jobSchema`. Long kinds
   * (`longJobKinds`) go to the long-job queue, the rest to the short one.
   */
  enqueue(job: Job): Promise<void>;

  /**
   * The outbox: a table write that enqueues `job` once it commits as part of the caller's own
   * `table.transact([...])`, and not at all if that transaction fails. The job is then delivered
   * like any other (at least once, with the same retries), a short delay after the commit. No I/O
   * here: the write is only built. Throws (ZodError) when the job does not satisfy `jobSchema`.
   */
  enqueueOp(job: Job): WriteOp;

  /**
   * Jobs waiting to run, per queue (approximate on SQS), for health checks and metrics. Rejects
   * when the queue cannot be reached. Optional: a queue without it reports nothing.
   */
  depth?(): Promise<QueueDepth>;
}

export interface QueueDepth {
  short: number;
  long: number;
}

/**
 * What a worker runs for one job. Throwing means "retry later"; it must be safe to run the same
 * job twice (redelivery) with no further effect.
 */
export type JobHandler = (job: Job) => Promise<void>;
