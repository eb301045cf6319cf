import type { Capability } from '../capability.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Table } from '../ports/table.js';
import { ScheduleStore } from './schedule-store.js';

/**
 * Runs the scheduler on every `schedule-tick` job, plus whatever else must happen periodically on
 * this runtime (`alsoOnTick`: the outbox sweep on AWS).
 */
export function schedulesCapability(
  deps: { table: Table; queue: JobQueue; now?: () => Date },
  alsoOnTick: (() => Promise<unknown>)[] = [],
): Capability {
  const store = new ScheduleStore(deps.table, deps.queue, deps.now);
  return {
    name: 'schedules',
    jobs: {
      'schedule-tick': async () => {
        await store.tick();
        for (const task of alsoOnTick) await task();
      },
    },
  };
}
