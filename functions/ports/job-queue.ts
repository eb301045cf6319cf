import type { Job } from '../core/jobs.js';

/**
 * JobQueue: hands work to asynchronous workers so a slow consumer never slows a request.
 * Delivery is at least once; a job that keeps failing goes to a dead-letter queue after a bounded
 * number of attempts. `test/ports/job-queue.contract.ts` is the contract every adapter must pass.
 */
export interface JobQueue {
  /** Accepts the job durably before resolving. The job must satisfy `jobSchema`. */
  enqueue(job: Job): Promise<void>;
}

/**
 * What a worker runs for one job. Throwing means "retry later"; it must be safe to run the same
 * job twice (redelivery) with no further effect.
 */
export type JobHandler = (job: Job) => Promise<void>;
