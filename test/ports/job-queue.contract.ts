import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../functions/core/jobs.js';
import type { JobHandler, JobQueue } from '../../functions/ports/job-queue.js';
import { ConditionFailedError, type Table } from '../../functions/ports/table.js';

/**
 * What an adapter's test gives the suite: the queue, and the worker side wired to `handler` the way
 * the adapter's runtime wires it (the in-process loop, or the SQS event source and the worker
 * entry point).
 */
export interface JobQueueHarness {
  queue: JobQueue;
  /** The table the queue's `enqueueOp` writes commit into (the outbox's table). */
  table: Table;
  /** Attempts after which a job that keeps failing goes to the dead-letter queue. */
  maxAttempts: number;
  /**
   * Runs the worker side until every job enqueued so far (directly, or committed through
   * `enqueueOp`, relayed the way the runtime relays it) has either succeeded or been
   * dead-lettered. Retries may be made to come quickly (a zero retry delay) but not skipped.
   */
  settle(): Promise<void>;
  /** Every job in the dead-letter queue, in any order. */
  deadLetters(): Promise<Job[]>;
  cleanup(): Promise<void>;
}

/**
 * The JobQueue port's contract (functions/ports/job-queue.ts): delivery at least once, retry of
 * a job whose handler throws, dead-lettering after a bounded number of attempts, and no effect of
 * one job's failure on another. `make` builds a fresh, empty queue for each test.
 */
export function describeJobQueueContract(name: string, make: (handler: JobHandler) => Promise<JobQueueHarness>): void {
  describe(`JobQueue contract: ${name}`, () => {
    const event = (overrides: Partial<Job> = {}): Job =>
      ({
        version: 1,
        kind: 'registry-event',
        id: randomUUID(),
        action: 'push',
        repository: 'library/alpine',
        digest: `sha256:${'ab'.repeat(32)}`,
        tag: 'latest',
        at: new Date().toISOString(),
        ...overrides,
      }) as Job;

    /** A handler that records every delivery and fails the jobs `fail` says to. */
    function recorder(fail: (job: Job, attempt: number) => boolean = () => false) {
      const deliveries = new Map<string, Job[]>();
      const handler: JobHandler = async (job) => {
        const seen = deliveries.get(job.id) ?? [];
        seen.push(job);
        deliveries.set(job.id, seen);
        if (fail(job, seen.length)) throw new Error(`job ${job.id} failed on attempt ${seen.length}`);
      };
      return { handler, attempts: (id: string) => deliveries.get(id)?.length ?? 0, deliveries };
    }

    async function withHarness(
      handler: JobHandler,
      run: (harness: JobQueueHarness) => Promise<void>,
    ): Promise<void> {
      const harness = await make(handler);
      try {
        await run(harness);
      } finally {
        await harness.cleanup();
      }
    }

    it('delivers an enqueued job, unchanged, to the handler', async () => {
      const { handler, deliveries } = recorder();
      await withHarness(handler, async (harness) => {
        const job = event({ actor: 'alice', mediaType: 'application/vnd.oci.image.manifest.v1+json' });
        const gc: Job = { version: 1, kind: 'gc-blob', id: randomUUID(), digest: `sha256:${'cd'.repeat(32)}` };
        await harness.queue.enqueue(job);
        await harness.queue.enqueue(gc);
        await harness.settle();
        expect(deliveries.get(job.id)?.[0]).toEqual(job);
        expect(deliveries.get(gc.id)?.[0]).toEqual(gc);
        expect(await harness.deadLetters()).toEqual([]);
      });
    });

    it('delivers every job at least once', async () => {
      const { handler, attempts } = recorder();
      await withHarness(handler, async (harness) => {
        const jobs = Array.from({ length: 25 }, () => event());
        await Promise.all(jobs.map((job) => harness.queue.enqueue(job)));
        await harness.settle();
        for (const job of jobs) expect(attempts(job.id)).toBeGreaterThanOrEqual(1);
        expect(await harness.deadLetters()).toEqual([]);
      });
    });

    it('retries a job whose handler throws, and stops once it succeeds', async () => {
      let maxAttempts = 0;
      const { handler, attempts } = recorder((_job, attempt) => attempt < maxAttempts);
      await withHarness(handler, async (harness) => {
        expect(harness.maxAttempts).toBeGreaterThanOrEqual(2);
        maxAttempts = harness.maxAttempts;
        const job = event();
        await harness.queue.enqueue(job);
        await harness.settle();
        expect(attempts(job.id)).toBe(harness.maxAttempts);
        expect(await harness.deadLetters()).toEqual([]);
      });
    });

    it('dead-letters a job that fails on every one of its attempts', async () => {
      const { handler, attempts } = recorder(() => true);
      await withHarness(handler, async (harness) => {
        const job = event();
        await harness.queue.enqueue(job);
        await harness.settle();
        expect(attempts(job.id)).toBeGreaterThanOrEqual(harness.maxAttempts);
        expect(await harness.deadLetters()).toEqual([job]);
      });
    });

    it('delivers a job committed with enqueueOp, and never one whose transaction failed', async () => {
      const { handler, deliveries } = recorder();
      await withHarness(handler, async (harness) => {
        const kept = event({ tag: 'kept' });
        const lost = event({ tag: 'lost' });
        const key = { pk: `contract#${randomUUID()}`, sk: 'item' };
        await harness.table.transact([{ put: { ...key, value: 1 } }, harness.queue.enqueueOp(kept)]);
        await expect(
          harness.table.transact([{ put: { ...key, value: 2 }, condition: { exists: false } }, harness.queue.enqueueOp(lost)]),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        await harness.settle();
        expect(deliveries.get(kept.id)).toEqual([kept]);
        expect(deliveries.has(lost.id)).toBe(false);
        expect(await harness.table.get(key)).toMatchObject({ value: 1 });
      });
    });

    it('enqueueOp refuses a job that is not one', async () => {
      const { handler } = recorder();
      await withHarness(handler, async (harness) => {
        expect(() => harness.queue.enqueueOp({ version: 1, kind: 'mystery', id: 'x' } as unknown as Job)).toThrow();
      });
    });

    it("one job's failures neither block nor dead-letter the others", async () => {
      const bad = event({ repository: 'broken/repo' });
      const { handler, attempts } = recorder((job) => job.id === bad.id);
      await withHarness(handler, async (harness) => {
        const good = [event(), event(), event()];
        await harness.queue.enqueue(good[0]!);
        await harness.queue.enqueue(bad);
        await harness.queue.enqueue(good[1]!);
        await harness.queue.enqueue(good[2]!);
        await harness.settle();
        for (const job of good) expect(attempts(job.id)).toBeGreaterThanOrEqual(1);
        expect(attempts(bad.id)).toBeGreaterThanOrEqual(harness.maxAttempts);
        expect(await harness.deadLetters()).toEqual([bad]);
      });
    });
  });
}
