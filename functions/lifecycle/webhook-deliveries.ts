import { createHash } from 'node:crypto';
import type { JobQueue } from '../ports/job-queue.js';
import { ConditionFailedError, type Item, type Table } from '../ports/table.js';
import { ScheduleStore } from '../schedules/schedule-store.js';
import { indexPartitions, partitions } from '../table-layout.js';
import { type Notification, renderPayload } from './webhook-payloads.js';
import type { WebhookPolicies } from './webhook-policies.js';
import type { SendResult } from './webhook-sender.js';

/**
 * Webhook delivery: one task per (notification, policy, target), created with the job that
 * delivers it in one transaction (so a redelivered event finds its tasks and creates none), each
 * attempt claimed under a condition before anything is sent (so two workers never send the same
 * attempt), retried with exponential backoff until it succeeds or `maxAttempts` have failed.
 *
 *   pk webhook-task#<project>#<policy id>   sk task#<notification id>#<target index>
 *      status Pending | Running | Success | Error, attempts, log [{at, status_code?, error?}],
 *      notification, next (when a Pending retry is due, or a Running attempt's lease ends), TTL
 *      gsi1 while not finished: webhook-retries / <next>#<pk>#<sk>
 *
 * A task stays in the retry index until it finishes, so a worker that dies mid-attempt (its lease
 * runs out) and a receiver that was down (its retry comes due) are both picked up by the sweep,
 * which runs every 30 s from the scheduler. "Delivered once in the normal case": a send happens
 * only after its claim committed; a crash between a successful send and the write that records
 * it sends it again after the lease, the one case of a duplicate.
 */
export interface WebhookTask {
  key: string;
  id: number;
  executionId: number;
  policyId: number;
  project: string;
  targetIndex: number;
  status: 'Pending' | 'Running' | 'Success' | 'Error';
  attempts: number;
  log: { at: string; status_code?: number; error?: string }[];
  notification: Notification;
  createdAt: string;
  updatedAt: string;
}

export interface DeliverySettings {
  maxAttempts: number;
  /** First retry delay; doubles per attempt up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  /** Days a finished task is kept (its status stays visible that long). */
  keepDays: number;
}

export const defaultDeliverySettings: DeliverySettings = {
  maxAttempts: 10,
  baseDelayMs: 10_000,
  maxDelayMs: 60 * 60 * 1000,
  timeoutMs: 10_000,
  keepDays: 30,
};

export type Sender = (
  address: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; skipCertVerify: boolean },
) => Promise<SendResult>;

/** The schedule that runs the retry sweep. */
export const retrySweepSchedule = { id: 'webhook-retries', cron: '*/30 * * * * *' } as const;

export function numericId(text: string): number {
  return Number.parseInt(createHash('sha256').update(text).digest('hex').slice(0, 13), 16);
}

const taskPk = (project: string, policyId: number) => `${partitions.webhookTask}${project}#${policyId}`;

function taskKeyOf(project: string, policyId: number, notificationId: string, targetIndex: number): string {
  return `${project}/${policyId}/${notificationId}/${targetIndex}`;
}

function parseTaskKey(key: string): { pk: string; sk: string } | null {
  const match = /^([^/]+)\/([0-9]+)\/(.+)\/([0-9]+)$/.exec(key);
  if (!match) return null;
  return { pk: taskPk(match[1]!, Number(match[2])), sk: `task#${match[3]}#${match[4]}` };
}

function toTask(item: Item): WebhookTask {
  return {
    key: item.key as string,
    id: item.num as number,
    executionId: item.executionId as number,
    policyId: item.policyId as number,
    project: item.project as string,
    targetIndex: item.targetIndex as number,
    status: item.status as WebhookTask['status'],
    attempts: item.attempts as number,
    log: item.log as WebhookTask['log'],
    notification: item.notification as unknown as Notification,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

export class WebhookDeliveries {
  private readonly schedules: ScheduleStore;

  constructor(
    private readonly deps: { table: Table; queue: JobQueue; now?: () => Date },
    private readonly policies: WebhookPolicies,
    private readonly send: Sender,
    private readonly settings: DeliverySettings = defaultDeliverySettings,
  ) {
    this.schedules = new ScheduleStore(deps.table, deps.queue, deps.now);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /**
   * Creates the tasks of a notification for every enabled policy of its project that wants it.
   * `projectId`, when known, is the project's id now: policies left by a deleted project of the
   * same name (made for another id) are not the new project's and hear nothing.
   */
  async notify(notification: Notification, projectId?: number): Promise<void> {
    const policies = (await this.policies.list(notification.project)).filter(
      (p) => p.enabled && p.event_types.includes(notification.type) && (projectId === undefined || p.projectId === projectId),
    );
    const now = this.now().toISOString();
    for (const policy of policies) {
      for (const [index] of policy.targets.entries()) {
        const key = taskKeyOf(notification.project, policy.id, notification.id, index);
        const { pk, sk } = parseTaskKey(key)!;
        const item: Item = {
          pk,
          sk,
          key,
          num: numericId(key),
          executionId: numericId(`${policy.id}/${notification.id}`),
          policyId: policy.id,
          project: notification.project,
          targetIndex: index,
          status: 'Pending',
          attempts: 0,
          log: [],
          notification: notification as unknown as Item[string],
          createdAt: now,
          updatedAt: now,
          next: now,
          gsi1pk: indexPartitions.webhookRetries,
          gsi1sk: `${now}#${pk}#${sk}`,
          expiresAt: Math.floor(Date.parse(now) / 1000) + this.settings.keepDays * 86_400,
        };
        try {
          await this.deps.table.transact([
            { put: item, condition: { exists: false } },
            this.deps.queue.enqueueOp({ version: 1, kind: 'webhook-delivery', id: `webhook:${key}`, task: key }),
          ]);
        } catch (error) {
          // The notification was handled before (a redelivery): its task exists, nothing to add.
          if (!(error instanceof ConditionFailedError)) throw error;
        }
      }
    }
  }

  /** One delivery attempt of a task, if one is due. Throws only when the table fails. */
  async deliver(key: string): Promise<void> {
    const location = parseTaskKey(key);
    if (!location) return;
    const item = await this.deps.table.get(location);
    if (!item || item.status === 'Success' || item.status === 'Error') return;
    const now = this.now();
    // Not yet due: a retry waiting for its time, or an attempt another worker holds.
    if (item.attempts !== 0 && (item.next as string) > now.toISOString()) return;
    const task = toTask(item);
    const policy = await this.policies.get(task.project, task.policyId);
    const target = policy?.targets[task.targetIndex];
    if (!policy || !policy.enabled || !target) {
      await this.finish(item, 'Error', { at: now.toISOString(), error: 'the policy was deleted, disabled or changed before delivery' });
      return;
    }
    const attempts = task.attempts + 1;
    const lease = new Date(now.getTime() + this.settings.timeoutMs + 30_000).toISOString();
    const claimed: Item = { ...item, status: 'Running', attempts, next: lease, gsi1sk: `${lease}#${item.pk}#${item.sk}`, updatedAt: now.toISOString() };
    try {
      await this.deps.table.put(claimed, { equals: { attempts: task.attempts, status: task.status } });
    } catch (error) {
      if (error instanceof ConditionFailedError) return;
      throw error;
    }
    const { body, contentType } = renderPayload(task.notification, policy, target.payload_format);
    const headers: Record<string, string> = { 'content-type': contentType, 'user-agent': 'berth-webhook' };
    if (target.auth_header) headers.authorization = target.auth_header;
    const result = await this.send(target.address, body, headers, { timeoutMs: this.settings.timeoutMs, skipCertVerify: target.skip_cert_verify });
    const at = this.now();
    const entry = { at: at.toISOString(), ...(result.status === undefined ? {} : { status_code: result.status }), ...(result.error ? { error: result.error } : {}) };
    if (!result.error) {
      await this.finish(claimed, 'Success', entry);
      return;
    }
    if (attempts >= this.settings.maxAttempts) {
      await this.finish(claimed, 'Error', entry);
      return;
    }
    const delay = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** (attempts - 1));
    const next = new Date(at.getTime() + delay).toISOString();
    await this.deps.table.put(
      { ...claimed, status: 'Pending', next, gsi1sk: `${next}#${item.pk}#${item.sk}`, log: [...task.log, entry], updatedAt: at.toISOString() },
      { equals: { attempts } },
    );
    await this.ensureSweep();
  }

  private async finish(item: Item, status: 'Success' | 'Error', entry: WebhookTask['log'][number]): Promise<void> {
    const { gsi1pk: _pk, gsi1sk: _sk, next: _next, ...rest } = item;
    await this.deps.table.put(
      { ...rest, status, log: [...((item.log as WebhookTask['log']) ?? []), entry], updatedAt: entry.at },
      { equals: { attempts: item.attempts as number } },
    );
  }

  /** Makes sure the retry sweep is scheduled (once a retry is pending, and from then on). */
  async ensureSweep(): Promise<void> {
    if (await this.schedules.get(retrySweepSchedule.id)) return;
    await this.schedules.set(retrySweepSchedule.id, retrySweepSchedule.cron, { version: 1, kind: 'webhook-retry-sweep', id: retrySweepSchedule.id });
  }

  /** Enqueues a delivery for every task whose retry (or abandoned attempt) is due. */
  async sweep(): Promise<number> {
    const now = this.now().toISOString();
    const due = await this.deps.table.query(indexPartitions.webhookRetries, { index: 'gsi1', reverse: true, after: `${now}\uffff` });
    for (const item of due) {
      await this.deps.queue.enqueue({ version: 1, kind: 'webhook-delivery', id: `webhook:${item.key as string}@${item.next as string}`, task: item.key as string });
    }
    return due.length;
  }

  /** Every task of a policy, newest first. */
  async tasksOf(project: string, policyId: number): Promise<WebhookTask[]> {
    const items = await this.deps.table.query(taskPk(project, policyId), { prefix: 'task#' });
    return items.map(toTask).sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.targetIndex - b.targetIndex));
  }
}
