import type { AppDeps } from '../app-env.js';
import type { Job } from '../core/jobs.js';
import { nextId } from '../identity/stores/counter.js';
import { ConditionFailedError, type Item, type Key, type Table } from '../ports/table.js';
import { indexPartitions, partitions } from '../table-layout.js';
import { collectGarbage, type GcParameters, type GcResult } from './gc-sweep.js';

/**
 * Garbage collection runs, Harbor's "GC history": who asked (a person, or the schedule), with
 * which parameters, how it went, and its log.
 *
 *   pk gc#<id, 12 digits>   sk run        id, kind (MANUAL | SCHEDULE), parameters, status, log, result, createdAt, updatedAt
 *                           gsi1: gcruns / <id, 12 digits>
 *   pk gc#job#<job id>      sk run        runId: the run a scheduled job created (redelivery finds it)
 *   pk gc#schedule          sk schedule   type (Harbor's Hourly, Daily, Weekly, Custom, None), cron, parameters
 */
export type GcStatus = 'Pending' | 'Running' | 'Success' | 'Error';

export interface GcRun {
  id: number;
  kind: 'MANUAL' | 'SCHEDULE';
  parameters: GcParameters;
  status: GcStatus;
  log: string[];
  result?: GcResult;
  createdAt: string;
  updatedAt: string;
}

/** Lines kept of a run's log. */
const maxLogLines = 1000;

const pad = (id: number) => String(id).padStart(12, '0');
const runKey = (id: number): Key => ({ pk: `${partitions.gc}${pad(id)}`, sk: 'run' });
const jobKey = (jobId: string): Key => ({ pk: `${partitions.gc}job#${jobId}`, sk: 'run' });
export const gcScheduleKey: Key = { pk: `${partitions.gc}schedule`, sk: 'schedule' };

export const defaultGraceSeconds = 3600;

function toRun(item: Item): GcRun {
  return {
    id: item.id as number,
    kind: item.kind as GcRun['kind'],
    parameters: item.parameters as unknown as GcParameters,
    status: item.status as GcStatus,
    log: (item.log as string[] | undefined) ?? [],
    ...(item.result ? { result: item.result as unknown as GcResult } : {}),
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

export function parametersOf(job: Extract<Job, { kind: 'gc-sweep' }>): GcParameters {
  return { dryRun: job.dryRun ?? false, deleteUntagged: job.deleteUntagged ?? false, graceSeconds: job.graceSeconds ?? defaultGraceSeconds };
}

export class GcRuns {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async write(run: GcRun): Promise<void> {
    const { result, parameters, ...rest } = run;
    await this.table.put({
      ...runKey(run.id),
      ...rest,
      parameters: parameters as unknown as Item[string],
      ...(result ? { result: result as unknown as Item[string] } : {}),
      gsi1pk: indexPartitions.gcRuns,
      gsi1sk: pad(run.id),
    });
  }

  /** A new run, Pending. */
  async create(kind: GcRun['kind'], parameters: GcParameters): Promise<GcRun> {
    const at = this.now().toISOString();
    const run: GcRun = { id: await nextId(this.table, 'gc-run'), kind, parameters, status: 'Pending', log: [], createdAt: at, updatedAt: at };
    await this.write(run);
    return run;
  }

  async get(id: number): Promise<GcRun | null> {
    const item = await this.table.get(runKey(id));
    return item ? toRun(item) : null;
  }

  /** Runs newest first. */
  async list(): Promise<GcRun[]> {
    return (await this.table.query(indexPartitions.gcRuns, { index: 'gsi1', reverse: true })).map(toRun);
  }

  /** The run a job belongs to: the one it names, else the one its first delivery created. */
  async forJob(job: Extract<Job, { kind: 'gc-sweep' }>): Promise<GcRun> {
    if (job.runId !== undefined) {
      const run = await this.get(job.runId);
      if (run) return run;
    }
    const pointer = await this.table.get(jobKey(job.id));
    if (pointer) {
      const run = await this.get(pointer.runId as number);
      if (run) return run;
    }
    const run = await this.create(job.runId === undefined ? 'SCHEDULE' : 'MANUAL', parametersOf(job));
    try {
      await this.table.put({ ...jobKey(job.id), runId: run.id }, { exists: false });
      return run;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      await this.table.delete(runKey(run.id));
      return (await this.get((await this.table.get(jobKey(job.id)))!.runId as number))!;
    }
  }

  async update(run: GcRun, changes: Partial<GcRun>): Promise<GcRun> {
    const next = { ...run, ...changes, log: (changes.log ?? run.log).slice(-maxLogLines), updatedAt: this.now().toISOString() };
    await this.write(next);
    return next;
  }
}

/**
 * The `gc-sweep` job: runs a pass and records it. A redelivered job whose run succeeded does
 * nothing; one whose run failed or was cut off runs the pass again (every step of it repeatable).
 */
export async function runGcJob(deps: AppDeps, job: Extract<Job, { kind: 'gc-sweep' }>): Promise<void> {
  const runs = new GcRuns(deps.table, deps.now);
  let run = await runs.forJob(job);
  if (run.status === 'Success') return;
  const lines: string[] = [];
  const log = (line: string) => lines.push(`${(deps.now?.() ?? new Date()).toISOString()} ${line}`);
  run = await runs.update(run, { status: 'Running', log: [] });
  try {
    const result = await collectGarbage(deps, run.parameters, log);
    await runs.update(run, { status: 'Success', result, log: lines });
  } catch (error) {
    log(`failed: ${String(error)}`);
    await runs.update(run, { status: 'Error', log: lines });
    throw error;
  }
}
