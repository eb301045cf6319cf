import * as z from 'zod/mini';
import { nextId } from '../identity/stores/counter.js';
import { ConditionFailedError, type Item, type Table, type WriteOp } from '../ports/table.js';
import { partitions } from '../table-layout.js';
import { retentionRuleSchema } from './retention-rules.js';

/**
 * Retention policies (Harbor's `RetentionPolicy`), their executions and each execution's
 * per-repository tasks. Ids come from the shared id counter (kinds `retention-policy`,
 * `retention-execution`); a task's id is its repository's position in the run.
 *
 *   pk retention#<policy id>   sk policy                        the policy, its project
 *   pk retention#<policy id>   sk exec#<execution id, 12 digits>  status, dry_run, trigger, times
 *   pk retention#<policy id>   sk run#<job id>                  which execution a scheduled job opened
 *   pk retention#<policy id>   sk task#<execution id>#<task id>   repository, status, total,
 *                                                                retained, deleted [...], log
 */
export const retentionPolicySchema = z.object({
  algorithm: z._default(z.literal('or'), 'or'),
  rules: z.array(retentionRuleSchema).check(z.maxLength(15)),
  trigger: z._default(
    z.object({
      kind: z._default(z.literal('Schedule'), 'Schedule'),
      settings: z._default(z.object({ cron: z._default(z.string(), '') }), { cron: '' }),
      references: z.optional(z.record(z.string(), z.unknown())),
    }),
    { kind: 'Schedule', settings: { cron: '' } },
  ),
  scope: z.object({ level: z.literal('project'), ref: z.int() }),
});

export type RetentionPolicyInput = z.infer<typeof retentionPolicySchema>;

export interface RetentionPolicy extends RetentionPolicyInput {
  id: number;
  /** The project's name (scope.ref is its id). */
  project: string;
}

export type ExecutionStatus = 'Running' | 'Succeed' | 'Failed' | 'Stopped';

export interface RetentionExecution {
  id: number;
  policyId: number;
  status: ExecutionStatus;
  dryRun: boolean;
  trigger: 'MANUAL' | 'SCHEDULE';
  startTime: string;
  endTime: string;
}

export interface RetentionTask {
  id: number;
  executionId: number;
  repository: string;
  status: 'Running' | 'Succeed' | 'Failed';
  total: number;
  retained: number;
  deleted: { digest: string; tags: string[] }[];
  log: string[];
  startTime: string;
  endTime: string;
}

const pk = (policyId: number) => `${partitions.retention}${policyId}`;
const policyKey = (id: number) => ({ pk: pk(id), sk: 'policy' });
const pad = (n: number) => String(n).padStart(12, '0');
const executionKey = (policyId: number, id: number) => ({ pk: pk(policyId), sk: `exec#${pad(id)}` });
const taskKey = (policyId: number, executionId: number, taskId: number) => ({ pk: pk(policyId), sk: `task#${pad(executionId)}#${pad(taskId)}` });

export class RetentionPolicies {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(id: number): Promise<RetentionPolicy | null> {
    const item = await this.table.get(policyKey(id));
    return item ? (item.policy as unknown as RetentionPolicy) : null;
  }

  async create(input: RetentionPolicyInput, project: string): Promise<RetentionPolicy> {
    const policy: RetentionPolicy = { ...input, id: await nextId(this.table, 'retention-policy'), project };
    await this.table.put({ ...policyKey(policy.id), policy: policy as unknown as Item[string] }, { exists: false });
    return policy;
  }

  async update(policy: RetentionPolicy): Promise<void> {
    await this.table.put({ ...policyKey(policy.id), policy: policy as unknown as Item[string] }, { exists: true });
  }

  async delete(id: number): Promise<void> {
    await this.table.delete(policyKey(id));
  }

  /** A new execution, written with `alsoWrite` (the job that runs it) in one transaction. */
  async openExecution(policyId: number, dryRun: boolean, trigger: RetentionExecution['trigger'], alsoWrite: (id: number) => WriteOp[]): Promise<RetentionExecution> {
    const execution: RetentionExecution = {
      id: await nextId(this.table, 'retention-execution'),
      policyId,
      status: 'Running',
      dryRun,
      trigger,
      startTime: this.now().toISOString(),
      endTime: '',
    };
    await this.table.transact([
      { put: { ...executionKey(policyId, execution.id), execution: execution as unknown as Item[string] }, condition: { exists: false } },
      ...alsoWrite(execution.id),
    ]);
    return execution;
  }

  /**
   * The execution a scheduled job runs as: opened by the job's first delivery, found again by
   * every redelivery (keyed by the job id), so a redelivered job resumes the same run.
   */
  async executionForJob(policyId: number, jobId: string): Promise<RetentionExecution> {
    const runKey = { pk: pk(policyId), sk: `run#${jobId}` };
    const existing = await this.table.get(runKey);
    if (existing) return (await this.execution(policyId, existing.executionId as number))!;
    try {
      return await this.openExecution(policyId, false, 'SCHEDULE', (id) => [{ put: { ...runKey, executionId: id }, condition: { exists: false } }]);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const winner = await this.table.get(runKey);
      return (await this.execution(policyId, winner!.executionId as number))!;
    }
  }

  async execution(policyId: number, id: number): Promise<RetentionExecution | null> {
    const item = await this.table.get(executionKey(policyId, id));
    return item ? (item.execution as unknown as RetentionExecution) : null;
  }

  /** Executions of a policy, newest first. */
  async executions(policyId: number): Promise<RetentionExecution[]> {
    const items = await this.table.query(pk(policyId), { prefix: 'exec#', reverse: true });
    return items.map((item) => item.execution as unknown as RetentionExecution);
  }

  /** Moves an execution to `status` unless it has already finished (a stopped run stays stopped). */
  async finishExecution(execution: RetentionExecution, status: ExecutionStatus): Promise<boolean> {
    const current = await this.table.get(executionKey(execution.policyId, execution.id));
    if (!current || (current.execution as unknown as RetentionExecution).status !== 'Running') return false;
    const next: RetentionExecution = { ...execution, status, endTime: this.now().toISOString() };
    try {
      await this.table.put({ ...current, execution: next as unknown as Item[string] }, { equals: { execution: current.execution! } });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  async putTask(policyId: number, task: RetentionTask): Promise<void> {
    await this.table.put({ ...taskKey(policyId, task.executionId, task.id), task: task as unknown as Item[string] });
  }

  async task(policyId: number, executionId: number, id: number): Promise<RetentionTask | null> {
    const item = await this.table.get(taskKey(policyId, executionId, id));
    return item ? (item.task as unknown as RetentionTask) : null;
  }

  async tasks(policyId: number, executionId: number): Promise<RetentionTask[]> {
    const items = await this.table.query(pk(policyId), { prefix: `task#${pad(executionId)}#` });
    return items.map((item) => item.task as unknown as RetentionTask);
  }
}
