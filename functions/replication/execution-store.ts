import { nextId } from '../identity/stores/counter.js';
import { ConditionFailedError, type Item, type Table, type WriteOp } from '../ports/table.js';
import { replicationKeys } from './keys.js';

export type ExecutionTrigger = 'MANUAL' | 'SCHEDULE' | 'EVENT_BASED';
export type ExecutionStatus = 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';
export type TaskStatus = 'Pending' | 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';

/** One run of a policy. Its status is derived from its tasks, so no task update races another. */
export interface ExecutionRecord {
  id: number;
  policyId: number;
  trigger: ExecutionTrigger;
  startTime: string;
  /** Set once the tasks are written: until then the execution is still being planned. */
  planned: boolean;
  stopRequested: boolean;
  /** Why planning failed, when it did (the source could not be listed...). */
  failure?: string;
}

/** One repository's copy (its listed references), or one deletion, within an execution. */
export interface TaskRecord {
  id: number;
  executionId: number;
  policyId: number;
  operation: 'copy' | 'deletion';
  srcResource: string;
  dstResource: string;
  /** Tags (or digests) to copy from `srcResource`, or to delete at `dstResource`. */
  references: string[];
  status: TaskStatus;
  startTime?: string;
  endTime?: string;
  /** Why it failed, in one line (the log holds the details). */
  message?: string;
}

export interface ExecutionSummary extends ExecutionRecord {
  status: ExecutionStatus;
  endTime?: string;
  total: number;
  failed: number;
  succeed: number;
  inProgress: number;
  stopped: number;
  statusText: string;
}

function strip(item: Item): Record<string, unknown> {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest;
}

const finished = new Set<TaskStatus>(['Succeed', 'Failed', 'Stopped']);

export class ExecutionStore {
  constructor(private readonly table: Table) {}

  async allocateExecutionId(): Promise<number> {
    return nextId(this.table, 'replication-execution');
  }

  async allocateTaskId(): Promise<number> {
    return nextId(this.table, 'replication-task');
  }

  executionOp(record: ExecutionRecord): WriteOp {
    return { put: { ...replicationKeys.execution(record.id), ...(record as unknown as Record<string, never>) }, condition: { exists: false } };
  }

  /** The writes that record a task: the task and its id pointer. */
  taskOps(task: TaskRecord): WriteOp[] {
    return [
      { put: { ...replicationKeys.task(task.executionId, task.id), ...(task as unknown as Record<string, never>) }, condition: { exists: false } },
      { put: { ...replicationKeys.taskPointer(task.id), executionId: task.executionId } },
    ];
  }

  async getExecution(id: number): Promise<ExecutionRecord | null> {
    const item = await this.table.get(replicationKeys.execution(id));
    return item ? (strip(item) as unknown as ExecutionRecord) : null;
  }

  /** Newest first. */
  async listExecutions(): Promise<ExecutionRecord[]> {
    return (await this.table.query(replicationKeys.executions, { reverse: true })).map((item) => strip(item) as unknown as ExecutionRecord);
  }

  async markPlanned(id: number, failure?: string): Promise<void> {
    const current = await this.getExecution(id);
    if (!current) return;
    await this.table.put({ ...replicationKeys.execution(id), ...({ ...current, planned: true, ...(failure ? { failure } : {}) } as unknown as Record<string, never>) });
  }

  async requestStop(id: number): Promise<void> {
    const current = await this.getExecution(id);
    if (!current) return;
    await this.table.put({ ...replicationKeys.execution(id), ...({ ...current, stopRequested: true } as unknown as Record<string, never>) });
  }

  async tasks(executionId: number): Promise<TaskRecord[]> {
    return (await this.table.query(replicationKeys.tasks(executionId))).map((item) => strip(item) as unknown as TaskRecord);
  }

  async getTask(executionId: number, taskId: number): Promise<TaskRecord | null> {
    const item = await this.table.get(replicationKeys.task(executionId, taskId));
    return item ? (strip(item) as unknown as TaskRecord) : null;
  }

  /**
   * Moves a task to `status` only from `from` (one writer wins when a job is delivered twice),
   * with `alsoWrite` in the same transaction.
   */
  async transition(task: TaskRecord, from: TaskStatus, changes: Partial<TaskRecord>, alsoWrite: WriteOp[] = []): Promise<TaskRecord | null> {
    const next = { ...task, ...changes };
    try {
      await this.table.transact([
        { put: { ...replicationKeys.task(task.executionId, task.id), ...(next as unknown as Record<string, never>) }, condition: { equals: { status: from } } },
        ...alsoWrite,
      ]);
      return next;
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
  }

  /** The execution with counts and a status derived from its tasks. */
  async summary(execution: ExecutionRecord): Promise<ExecutionSummary> {
    const tasks = await this.tasks(execution.id);
    const count = (status: TaskStatus) => tasks.filter((t) => t.status === status).length;
    const running = tasks.filter((t) => !finished.has(t.status)).length;
    const failed = count('Failed');
    const stopped = count('Stopped');
    let status: ExecutionStatus;
    if (execution.failure) status = 'Failed';
    else if (!execution.planned || running > 0) status = 'InProgress';
    else if (execution.stopRequested || stopped > 0) status = 'Stopped';
    else status = failed > 0 ? 'Failed' : 'Succeed';
    const ends = tasks.map((t) => t.endTime).filter((t): t is string => Boolean(t)).sort();
    const endTime = status === 'InProgress' ? undefined : (ends.at(-1) ?? execution.startTime);
    const statusText = execution.failure ?? (failed > 0 ? `${failed} of ${tasks.length} tasks failed` : '');
    return {
      ...execution,
      status,
      ...(endTime ? { endTime } : {}),
      total: tasks.length,
      failed,
      succeed: count('Succeed'),
      inProgress: running,
      stopped,
      statusText,
    };
  }

  /** Appends lines to a task's log (one item per call, so keep calls batched). */
  async appendLog(taskId: number, lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const last = await this.table.query(replicationKeys.log(taskId), { reverse: true, limit: 1 });
    const sequence = last[0] ? Number(last[0].sk) + 1 : 0;
    await this.table.put({ ...replicationKeys.logChunk(taskId, sequence), text: lines.join('\n') });
  }

  async log(taskId: number): Promise<string | null> {
    const pointer = await this.table.get(replicationKeys.taskPointer(taskId));
    if (!pointer) return null;
    const chunks = await this.table.query(replicationKeys.log(taskId));
    return chunks.map((c) => `${c.text as string}\n`).join('');
  }
}
