// zod/mini: the same checks as zod's chained API at a twentieth of the bundle (Lambda cold start).
import * as z from 'zod/mini';

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
  action: z.enum(['push', 'pull', 'delete']),
  repository: z.string().check(z.minLength(1)),
  digest: z.string().check(z.minLength(1)),
  tag: z.optional(z.string()),
  mediaType: z.optional(z.string()),
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

export const jobSchema = z.discriminatedUnion('kind', [registryEvent, deleteBlob, replicationExecution, replicationTask]);

export type Job = z.infer<typeof jobSchema>;
export type JobKind = Job['kind'];
export type RegistryEvent = z.infer<typeof registryEvent>;

/** Parses an untrusted message body; throws a ZodError when it is not a known job. */
export function parseJob(body: unknown): Job {
  return jobSchema.parse(body);
}
