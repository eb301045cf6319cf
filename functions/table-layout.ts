/**
 * The single table's layout: every partition-key prefix and every gsi1 partition prefix, each
 * owned by one module, registered here so that no two features can ever write into each other's
 * partitions. `test/table-layout.test.ts` checks that no prefix is a prefix of another within
 * each namespace. The owning module documents its items (sort keys, attributes) next to its key
 * builders; this file only says who owns which partitions.
 *
 * A prefix ending in `#` is followed by a name (`repo#library/alpine`); one without is a whole
 * partition key (`catalog`).
 */
export const partitions = {
  /** registry/keys.ts: a repository's meta, blob links, manifests, tags, referrers, summaries */
  repository: 'repo#',
  /** registry/keys.ts: one entry per repository, in name order */
  catalog: 'catalog',
  /** registry/keys.ts: a blob in the blob store */
  blob: 'blob#',
  /** registry/keys.ts: an upload session */
  upload: 'upload#',
  /** identity/stores/keys.ts */
  user: 'user#',
  userId: 'user-id#',
  project: 'project#',
  projectId: 'project-id#',
  memberId: 'member-id#',
  robot: 'robot#',
  robotId: 'robot-id#',
  config: 'config#',
  throttle: 'throttle#',
  /** identity/stores/keys.ts: failed logins from one client address, whatever the name */
  throttleAddress: 'throttle-address#',
  /** adapters/local/table-job-queue.ts: the embedded queue's pending and dead-lettered jobs */
  queue: 'queue#',
  /** adapters/aws/outbox.ts: jobs committed with a domain write, waiting for the stream relay */
  outbox: 'outbox#',
  /** worker/dispatch.ts: which consumer has handled which event (de-duplication, TTL) */
  delivered: 'delivered#',
  /** schedules/schedule-store.ts: cron schedules and their last due time */
  schedule: 'schedule#',
  /** lifecycle/audit-capability.ts: audit records of registry events */
  audit: 'audit#',
  /** lifecycle/quota-store.ts: a project's storage quota and the blobs it counts */
  quota: 'quota#',
  /** lifecycle/immutable-rules.ts: a project's immutable tag rules */
  immutable: 'immutable#',
  /** lifecycle/gc-runs.ts: garbage collection runs (history and log) */
  gc: 'gc#',
  /** scanning/keys.ts: OSV advisories per ecosystem and package, and the data's generation */
  vulnDb: 'vulndb#',
  vulnDbMeta: 'vulndbmeta',
  /** scanning/keys.ts: an artifact's scan status, report and package inventory */
  scan: 'scan#',
  /** scanning/keys.ts: scanner registrations, their unique names, scanning settings, adapter API requests */
  scanner: 'scanner#',
  scannerName: 'scannername#',
  scanConfig: 'scanconfig',
  scanRequest: 'scanreq#',
  /** trust/keys.ts: a project's trusted keys, its signed artifacts, signature → subject pointers */
  trust: 'trust#',
  /** replication/keys.ts: remote registries, policies, executions, tasks and their logs */
  replication: 'replication#',
  /** lifecycle/webhook-policies.ts: a project's webhook policies */
  webhookPolicy: 'webhook-policy#',
  /** lifecycle/webhook-deliveries.ts: a policy's delivery tasks and their attempts (TTL) */
  webhookTask: 'webhook-task#',
  /** lifecycle/retention-policies.ts: retention policies, their executions and tasks */
  retention: 'retention#',
  /** ui/session-store.ts: portal sessions, keyed by a hash of the cookie's id (TTL) */
  session: 'session#',
  /** ops/health.ts: read by the health check, never written */
  health: 'health#',
} as const;

/** Partition prefixes of index gsi1 (its own namespace). */
export const indexPartitions = {
  /** identity/stores/keys.ts: users, projects, robots, memberships */
  identity: 'idx#',
  /** registry/keys.ts: which repositories hold a blob */
  blobRepositories: 'blobrepos#',
  /** registry/keys.ts: tags pointing at a manifest */
  tagsOf: 'tagsof#',
  /** lifecycle/audit-capability.ts: every audit record, oldest first */
  audit: 'audit',
  /** adapters/aws/outbox.ts: outbox items not yet relayed, oldest first (the sweeper's view) */
  outbox: 'outbox',
  /** schedules/schedule-store.ts: every schedule */
  schedules: 'schedules',
  /** registry/keys.ts: the repositories of a project, in name order */
  projectRepositories: 'projrepos#',
  /** registry/keys.ts: blob records, sharded by the digest's first hex digit (garbage collection's view) */
  blobs: 'blobs#',
  /** lifecycle/gc-runs.ts: every garbage collection run, newest last */
  gcRuns: 'gcruns',
  /** scanning/keys.ts: every scanned artifact (rescans) */
  scanned: 'scanned',
  /** scanning/keys.ts: every scanner registration */
  scanners: 'scanners',
  /** lifecycle/webhook-deliveries.ts: webhook tasks waiting for a retry, by due time */
  webhookRetries: 'webhook-retries',
} as const;
