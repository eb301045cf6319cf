// zod/mini: the same checks as zod's chained API at a twentieth of the bundle (Lambda cold start).
import * as z from 'zod/mini';
import { longScanKinds, scanAllJob, scanGateRefreshJob, scanJob, scanRematchJob, scanRequestJob, vulnDbRefreshJob } from '../scanning/jobs.js';

/**
 * Queue messages. Every job names its schema version so a worker deployed before or after a
 * change can tell what it holds; a worker refuses (and dead-letters) what it cannot parse.
 * Handlers must be idempotent: SQS delivers at least once.
 */
const registryEvent = z.object({
  version: z.literal(1),
  kind: z.literal('registry-event'),
  /** Unique per event: consumers de-duplicate redeliveries on it. */
  id: z.string().check(z.minLength(1)),
  /**
   * push: a manifest was stored (with `tag` when pushed by tag; `previousDigest` when that moved
   * the tag). untag: a tag was deleted. delete: a manifest was deleted (with every tag it had).
   * pull: manifests were read (`count` pulls since the last flush, aggregated in memory).
   */
  action: z.enum(['push', 'untag', 'delete', 'pull']),
  repository: z.string().check(z.minLength(1)),
  digest: z.string().check(z.minLength(1)),
  tag: z.optional(z.string()),
  /** push by tag: the digest the tag named before, when it moved. */
  previousDigest: z.optional(z.string()),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  /** The manifest this one refers to (OCI 1.1 `subject`): signatures, SBOMs, attestations. */
  subject: z.optional(z.string()),
  size: z.optional(z.number()),
  count: z.optional(z.number()),
  actor: z.optional(z.string()),
  at: z.string(),
});

const deleteBlob = z.object({
  version: z.literal(1),
  kind: z.literal('gc-blob'),
  id: z.string().check(z.minLength(1)),
  digest: z.string().check(z.minLength(1)),
});

/**
 * A garbage collection pass (lifecycle/gc-sweep.ts). `runId` names the run record a manual run
 * created; a scheduled run (EventBridge or the schedules store) creates its own from the job id.
 */
const gcSweep = z.object({
  version: z.literal(1),
  kind: z.literal('gc-sweep'),
  id: z.string().check(z.minLength(1)),
  runId: z.optional(z.number()),
  dryRun: z.optional(z.boolean()),
  deleteUntagged: z.optional(z.boolean()),
  graceSeconds: z.optional(z.number().check(z.minimum(0))),
});

/**
 * Plans one execution of a replication policy: lists the source and writes its tasks. A schedule
 * enqueues it without `executionId`; the first delivery then records the execution.
 */
const replicationExecution = z.object({
  version: z.literal(1),
  kind: z.literal('replication-execution'),
  id: z.string().check(z.minLength(1)),
  policyId: z.int().check(z.positive()),
  executionId: z.optional(z.int().check(z.positive())),
});

/** Copies one repository's artifacts (or deletes one) for an execution; may move gigabytes. */
const replicationTask = z.object({
  version: z.literal(1),
  kind: z.literal('replication-task'),
  id: z.string().check(z.minLength(1)),
  executionId: z.int().check(z.positive()),
  taskId: z.int().check(z.positive()),
});

/** Sent every minute (EventBridge on AWS, a timer on one machine): enqueue the schedules now due. */
const scheduleTick = z.object({
  version: z.literal(1),
  kind: z.literal('schedule-tick'),
  id: z.string().check(z.minLength(1)),
});

/** A project's trusted keys changed: re-verify the signatures of its signed artifacts (trust). */
const trustReverify = z.object({
  version: z.literal(1),
  kind: z.literal('trust-reverify'),
  id: z.string().check(z.minLength(1)),
  project: z.string().check(z.minLength(1)),
  /** Resume after this signed artifact (a page per job, so a large project never outlasts one worker run). */
  after: z.optional(z.string()),
});

/** Run retention policy `policyId` as execution `executionId` (lifecycle/retention-runner.ts). */
const retentionRun = z.object({
  version: z.literal(1),
  kind: z.literal('retention-run'),
  id: z.string().check(z.minLength(1)),
  policyId: z.number(),
  /** Absent when a schedule fired: the run then opens its own execution. */
  executionId: z.optional(z.number()),
  dryRun: z.optional(z.boolean()),
});

/**
 * A notification for webhook policies that is not a registry event, enqueued by the capability
 * that knows of it: `QUOTA_EXCEED` (quotas), `SCANNING_COMPLETED` / `SCANNING_FAILED` (scanning),
 * `REPLICATION` (replication). `payload` becomes Harbor's `event_data` as given (see
 * docs/lifecycle-policies.md for what each kind carries); `id` must be unique per occurrence,
 * since webhook deliveries are de-duplicated on it.
 */
const notify = z.object({
  version: z.literal(1),
  kind: z.literal('notify'),
  id: z.string().check(z.minLength(1)),
  eventType: z.enum(['QUOTA_EXCEED', 'QUOTA_WARNING', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'SCANNING_STOPPED', 'REPLICATION', 'TAG_RETENTION']),
  /** The project whose webhook policies hear of it. */
  project: z.string().check(z.minLength(1)),
  operator: z.optional(z.string()),
  at: z.string(),
  payload: z.record(z.string(), z.unknown()),
});

/** One attempt (or a retry) at delivering webhook task `task` (lifecycle/webhook-deliveries.ts). */
const webhookDelivery = z.object({
  version: z.literal(1),
  kind: z.literal('webhook-delivery'),
  id: z.string().check(z.minLength(1)),
  /** The task's key: `<policy id>/<event id>/<target index>`. */
  task: z.string().check(z.minLength(1)),
});

/** Enqueue the webhook retries now due (scheduled every 30 s while any policy exists). */
const webhookRetrySweep = z.object({
  version: z.literal(1),
  kind: z.literal('webhook-retry-sweep'),
  id: z.string().check(z.minLength(1)),
});

export const jobSchema = z.discriminatedUnion('kind', [
  registryEvent,
  deleteBlob,
  scheduleTick,
  scanJob,
  scanRequestJob,
  scanAllJob,
  scanRematchJob,
  scanGateRefreshJob,
  vulnDbRefreshJob,
  retentionRun,
  notify,
  webhookDelivery,
  webhookRetrySweep,
  gcSweep,
  trustReverify,
  replicationExecution,
  replicationTask,
]);

export type Job = z.infer<typeof jobSchema>;
export type JobKind = Job['kind'];
export type RegistryEvent = z.infer<typeof registryEvent>;
export type NotifyJob = z.infer<typeof notify>;

/**
 * Kinds that may run for minutes (copying or scanning a multi-GB image): they go to the long-job
 * queue, whose worker is sized for them (15-minute Lambda with a matching visibility timeout on
 * AWS, its own lane on one machine), so they never hold up audit records or webhooks.
 */
export const longJobKinds: ReadonlySet<JobKind> = new Set<JobKind>([
  // A garbage collection pass reads every repository: minutes on a large registry (resumable).
  'gc-sweep',
  // A project's whole retention run is one job (resumable: finished repositories are skipped).
  'retention-run',
  ...longScanKinds,
  // Planning lists a whole source; a task copies a repository's images (resumable per blob).
  'replication-execution',
  'replication-task',
]);

export function isLongJob(job: Pick<Job, 'kind'>): boolean {
  return longJobKinds.has(job.kind);
}

/** Parses an untrusted message body; throws a ZodError when it is not a known job. */
export function parseJob(body: unknown): Job {
  return jobSchema.parse(body);
}
