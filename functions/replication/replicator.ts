import type { AppDeps } from '../app-env.js';
import type { Job, RegistryEvent } from '../core/jobs.js';
import { parseManifest } from '../core/manifest.js';
import { projectOf } from '../identity/stores/project-store.js';
import { HttpRemoteRegistry } from '../adapters/http/http-remote-registry.js';
import { RemoteRegistryError, type RemoteRegistry } from '../ports/remote-registry.js';
import { ConditionFailedError, type WriteOp } from '../ports/table.js';
import { copyArtifact, deleteArtifact, StoppedError, type CopyContext, type RetryPolicy } from './copy-artifact.js';
import { ExecutionStore, type ExecutionRecord, type ExecutionTrigger, type TaskRecord } from './execution-store.js';
import { compileFilters, destinationRepository } from './filters.js';
import { replicationKeys } from './keys.js';
import { LocalRegistry } from './local-registry.js';
import { PolicyStore, type PolicyRecord } from './policy-store.js';
import { RegistryStore, type RegistryRecord } from './registry-store.js';
import type { SecretBox } from './secret-box.js';

export interface ReplicationOptions {
  /** Seals and opens stored credentials; null when no key is configured (credentials refused). */
  secretBox: SecretBox | null;
  retry: RetryPolicy;
  /** Parallel copies within a task (artifacts, and blobs within an artifact). */
  concurrency: number;
  /** Builds the client for a stored remote registry; the HTTP adapter unless a test swaps it. */
  connect?: (record: Pick<RegistryRecord, 'url' | 'insecure'>, credential: { username: string; password: string } | null) => RemoteRegistry;
}

type ReplicationJob = Extract<Job, { kind: 'replication-execution' | 'replication-task' }>;

/** Tags cosign and the referrers tag schema write next to an image: they travel with it. */
const accessoryTag = /^sha(?:256|512)-[0-9a-f]{64,128}(?:\.sig|\.att|\.sbom)?$/;

/** Tasks written per transaction while planning: two items and one job each, under 100 operations. */
const planBatch = 30;

export function connectRecord(record: Pick<RegistryRecord, 'url' | 'insecure'>, credential: { username: string; password: string } | null): RemoteRegistry {
  return new HttpRemoteRegistry({ url: record.url, insecure: record.insecure, ...(credential ? { credential } : {}) });
}

/**
 * Runs replication: an execution is planned (the source listed, one task per repository written)
 * and its tasks run as long jobs, each copying its repository's artifacts with the copy engine.
 * Every step is safe to repeat, since queues deliver at least once: a task already finished is not
 * run again, and one interrupted midway starts over, skipping what already arrived.
 */
export class Replicator {
  readonly registries: RegistryStore;
  readonly policies: PolicyStore;
  readonly executions: ExecutionStore;
  private readonly local: LocalRegistry;
  /** Blobs this process copied lately, and where to: mounts instead of uploads across tasks. */
  private readonly mountHints = new Map<string, string>();

  constructor(
    private readonly deps: AppDeps,
    private readonly options: ReplicationOptions,
  ) {
    const now = () => deps.now?.() ?? new Date();
    this.registries = new RegistryStore(deps.table, now);
    this.policies = new PolicyStore(deps.table, now);
    this.executions = new ExecutionStore(deps.table);
    this.local = new LocalRegistry(deps);
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /** Writes `ops` and, in the same transaction (the outbox), the jobs that carry them on. */
  private async commit(ops: WriteOp[], jobs: Job[]): Promise<void> {
    await this.deps.table.transact([...ops, ...jobs.map((job) => this.deps.queue.enqueueOp(job))]);
  }

  /** The client for a stored registry, its credential opened; this Berth for null. */
  async endpoint(registryId: number | null): Promise<RemoteRegistry> {
    if (registryId === null) return this.local;
    const record = await this.registries.get(registryId);
    if (!record) throw new RemoteRegistryError(`registry ${registryId} no longer exists`, false);
    return this.connect(record);
  }

  get secretBox(): SecretBox | null {
    return this.options.secretBox;
  }

  async connect(record: RegistryRecord): Promise<RemoteRegistry> {
    let credential: { username: string; password: string } | null = null;
    if (record.credential) {
      if (!this.options.secretBox) throw new RemoteRegistryError('no credential key is configured, so stored credentials cannot be opened', false);
      credential = { username: record.credential.accessKey, password: await this.options.secretBox.open(record.credential.sealedSecret) };
    }
    return this.connectWith(record, credential);
  }

  /**
   * Pushing from here to another region of this deployment whose storage the topology names: the
   * blob is copied bucket to bucket by S3, then the destination adopts it (a mount without
   * `from`, which it grants after checking S3's checksum of the copy). Undefined when either side
   * cannot.
   */
  private async serverSideCopier(destRegistryId: number | null, destination: RemoteRegistry): Promise<CopyContext['serverSideCopy']> {
    const blobs = this.deps.blobs;
    if (destRegistryId === null || !blobs.copyTo || !destination.adoptBlob) return undefined;
    const storage = (await this.registries.get(destRegistryId))?.storage;
    if (!storage) return undefined;
    return async (repository, digest, size) =>
      (await blobs.copyTo!(digest, storage, size)) && (await destination.adoptBlob!(repository, digest));
  }

  /** A client for a registry not (or not yet) stored: ping before create. */
  connectWith(target: Pick<RegistryRecord, 'url' | 'insecure'>, credential: { username: string; password: string } | null): RemoteRegistry {
    return (this.options.connect ?? connectRecord)(target, credential);
  }

  /** Records a new execution of `policy` and queues its planning; answers at once. */
  async start(policy: PolicyRecord, trigger: ExecutionTrigger): Promise<ExecutionRecord> {
    const execution: ExecutionRecord = {
      id: await this.executions.allocateExecutionId(),
      policyId: policy.id,
      trigger,
      startTime: this.now(),
      planned: false,
      stopRequested: false,
    };
    const job: Job = { version: 1, kind: 'replication-execution', id: crypto.randomUUID(), policyId: policy.id, executionId: execution.id };
    await this.commit([this.executions.executionOp(execution)], [job]);
    return execution;
  }

  /** Asks a running execution to stop: pending tasks stop now, running ones at their next step. */
  async stop(execution: ExecutionRecord): Promise<void> {
    await this.executions.requestStop(execution.id);
    for (const task of await this.executions.tasks(execution.id)) {
      if (task.status === 'Pending') await this.executions.transition(task, 'Pending', { status: 'Stopped', endTime: this.now() });
    }
  }

  async handle(job: ReplicationJob): Promise<void> {
    if (job.kind === 'replication-execution') await this.plan(job);
    else await this.runTask(job.executionId, job.taskId);
  }

  /** Lists what the policy selects at the source and writes one task per repository. */
  private async plan(job: Extract<Job, { kind: 'replication-execution' }>): Promise<void> {
    const policy = await this.policies.get(job.policyId);
    let execution = job.executionId === undefined ? null : await this.executions.getExecution(job.executionId);
    if (!policy) {
      if (execution && !execution.planned) await this.executions.markPlanned(execution.id, `policy ${job.policyId} was deleted`);
      return;
    }
    if (!execution) {
      // A schedule's tick: the execution is recorded under an id derived from the job, so a
      // redelivered tick finds it instead of starting a second run.
      if (!policy.enabled) return;
      execution = await this.claimScheduled(policy, job.id);
    }
    if (execution.planned) return;
    const existing = new Set((await this.executions.tasks(execution.id)).map((t) => t.srcResource));
    let selected: { repository: string; references: string[] }[];
    try {
      selected = await this.select(policy);
    } catch (error) {
      await this.executions.markPlanned(execution.id, `listing the source failed: ${(error as Error).message}`);
      return;
    }
    const todo = selected.filter((s) => !existing.has(s.repository));
    for (let i = 0; i < todo.length; i += planBatch) {
      const ops: WriteOp[] = [];
      const jobs: Job[] = [];
      for (const { repository, references } of todo.slice(i, i + planBatch)) {
        const task: TaskRecord = {
          id: await this.executions.allocateTaskId(),
          executionId: execution.id,
          policyId: policy.id,
          operation: 'copy',
          srcResource: repository,
          dstResource: destinationRepository(repository, policy.destNamespace, policy.destNamespaceReplaceCount),
          references,
          status: 'Pending',
        };
        ops.push(...this.executions.taskOps(task));
        jobs.push({ version: 1, kind: 'replication-task', id: crypto.randomUUID(), executionId: execution.id, taskId: task.id });
      }
      await this.commit(ops, jobs);
    }
    await this.executions.markPlanned(execution.id);
  }

  private async claimScheduled(policy: PolicyRecord, jobId: string): Promise<ExecutionRecord> {
    const claimKey = replicationKeys.scheduledRun(jobId);
    const claimed = await this.deps.table.get(claimKey);
    if (claimed) return (await this.executions.getExecution(claimed.executionId as number))!;
    const execution: ExecutionRecord = {
      id: await this.executions.allocateExecutionId(),
      policyId: policy.id,
      trigger: 'SCHEDULE',
      startTime: this.now(),
      planned: false,
      stopRequested: false,
    };
    await this.deps.table.transact([
      { put: { ...claimKey, executionId: execution.id, expiresAt: Math.floor(Date.now() / 1000) + 7 * 24 * 3600 }, condition: { exists: false } },
      this.executions.executionOp(execution),
    ]);
    return execution;
  }

  /** Repositories and tags the policy's filters select at its source. */
  private async select(policy: PolicyRecord): Promise<{ repository: string; references: string[] }[]> {
    const source = await this.endpoint(policy.srcRegistryId);
    const filters = compileFilters(policy.filters);
    const literalNames = policy.filters.filter((f) => f.type === 'name').map((f) => f.value);
    // Names without wildcards need no catalog, which some registries do not serve.
    const candidates = literalNames.length === 1 && !/[*?[\]{}()!+@]/.test(literalNames[0]!) ? literalNames : await source.repositories();
    const selected: { repository: string; references: string[] }[] = [];
    for (const repository of candidates.filter((name) => filters.repository(name))) {
      const tags = (await source.tags(repository)).filter((tag) => !accessoryTag.test(tag) && filters.tag(tag));
      if (tags.length > 0) selected.push({ repository, references: tags });
    }
    return selected;
  }

  /** Runs one task to its end (or to a stop); a task already finished is left alone. */
  async runTask(executionId: number, taskId: number): Promise<void> {
    let task = await this.executions.getTask(executionId, taskId);
    const execution = await this.executions.getExecution(executionId);
    if (!task || !execution || task.status === 'Succeed' || task.status === 'Failed' || task.status === 'Stopped') return;
    if (execution.stopRequested) {
      await this.executions.transition(task, task.status, { status: 'Stopped', endTime: this.now() });
      return;
    }
    const started = await this.executions.transition(task, task.status, { status: 'InProgress', startTime: task.startTime ?? this.now() });
    if (!started) return;
    task = started;
    // Lines are written in chunks, one write at a time, so chunks keep their order and numbers.
    const lines: string[] = [];
    let written = Promise.resolve();
    const flush = () => {
      const chunk = lines.splice(0);
      written = written.then(() => this.executions.appendLog(taskId, chunk));
      return written;
    };
    const log = (line: string) => {
      lines.push(`${this.now()} ${line}`);
      if (lines.length >= 200) flush().catch(() => undefined);
    };
    const status = await this.copyTask(task, log);
    await flush();
    // Webhooks hear of the outcome (Harbor's REPLICATION event) with the task's own write.
    const notify = await this.notification(task, status.status, execution);
    await this.executions.transition(task, 'InProgress', { status: status.status, endTime: this.now(), ...(status.message ? { message: status.message } : {}) }, notify ? [this.deps.queue.enqueueOp(notify)] : []);
  }

  private async copyTask(task: TaskRecord, log: (line: string) => void): Promise<{ status: 'Succeed' | 'Failed' | 'Stopped'; message?: string }> {
    const policy = await this.policies.get(task.policyId);
    if (!policy) {
      log(`policy ${task.policyId} was deleted`);
      return { status: 'Failed', message: 'the policy was deleted' };
    }
    let lastCheck = 0;
    let stopped = false;
    const checkStopped = async () => {
      if (stopped) throw new StoppedError();
      if (Date.now() - lastCheck < 1000) return;
      lastCheck = Date.now();
      if ((await this.executions.getExecution(task.executionId))?.stopRequested) {
        stopped = true;
        throw new StoppedError();
      }
    };
    try {
      const source = await this.endpoint(policy.srcRegistryId);
      const destination = await this.endpoint(policy.destRegistryId);
      const serverSideCopy = policy.srcRegistryId === null ? await this.serverSideCopier(policy.destRegistryId, destination) : undefined;
      const ctx: CopyContext = {
        source,
        destination,
        override: policy.override,
        retry: this.options.retry,
        concurrency: this.options.concurrency,
        log,
        checkStopped,
        mountHints: this.mountHints,
        ...(serverSideCopy ? { serverSideCopy } : {}),
      };
      if (task.operation === 'deletion') {
        for (const reference of task.references) await deleteArtifact(ctx, { repository: task.dstResource, reference });
        return { status: 'Succeed' };
      }
      if (policy.destRegistryId === null) await this.ensureLocalProject(task.dstResource);
      log(`copying ${task.references.length} artifact(s) of ${task.srcResource} to ${task.dstResource}`);
      const sourceTags = new Set(await source.tags(task.srcResource));
      const failures: string[] = [];
      let next = 0;
      const lanes = Array.from({ length: Math.min(this.options.concurrency, task.references.length) }, async () => {
        while (next < task.references.length && !stopped) {
          const reference = task.references[next++]!;
          const isTag = !reference.includes(':');
          try {
            await copyArtifact(ctx, { repository: task.srcResource, reference, tags: sourceTags }, { repository: task.dstResource, ...(isTag ? { tag: reference } : {}) });
          } catch (error) {
            if (error instanceof StoppedError) throw error;
            const message = `${task.srcResource}:${reference}: ${(error as Error).message}`;
            log(`failed: ${message}`);
            failures.push(message);
          }
        }
      });
      await Promise.all(lanes);
      if (failures.length > 0) return { status: 'Failed', message: failures[0]! + (failures.length > 1 ? ` (and ${failures.length - 1} more)` : '') };
      return { status: 'Succeed' };
    } catch (error) {
      if (error instanceof StoppedError) {
        log('stopped by request');
        return { status: 'Stopped' };
      }
      const message = (error as Error).message;
      log(`failed: ${message}`);
      return { status: 'Failed', message };
    }
  }

  /**
   * Event-based policies: a push or delete in this Berth that a push-mode policy selects becomes
   * an execution with one task. Content replicated in emits events too, which is how a chain of
   * regions forwards an image; a loop stops where the destination already holds the digest.
   */
  async onEvent(event: RegistryEvent): Promise<void> {
    if (event.action !== 'push' && event.action !== 'delete' && event.action !== 'untag') return;
    const policies = (await this.policies.list()).filter(
      (p) => p.enabled && p.trigger.type === 'event_based' && p.srcRegistryId === null && p.destRegistryId !== null,
    );
    for (const policy of policies) {
      const filters = compileFilters(policy.filters);
      if (!filters.repository(event.repository)) continue;
      // untag deletes one tag; delete deletes the manifest (and so every tag it had).
      const reference = event.action === 'delete' ? event.digest : (event.tag ?? event.digest);
      if (event.action === 'delete' || event.action === 'untag') {
        if (!policy.deletion) continue;
      } else if (event.tag !== undefined) {
        if (!accessoryTag.test(event.tag) && !filters.tag(event.tag)) continue;
      } else if (event.subject === undefined && !(await this.isReferrer(event.repository, event.digest))) {
        // An untagged manifest travels with the index or tag that names it; a referrer with its subject.
        continue;
      }
      const execution: ExecutionRecord = {
        id: await this.executions.allocateExecutionId(),
        policyId: policy.id,
        trigger: 'EVENT_BASED',
        startTime: this.now(),
        planned: true,
        stopRequested: false,
      };
      const task: TaskRecord = {
        id: await this.executions.allocateTaskId(),
        executionId: execution.id,
        policyId: policy.id,
        operation: event.action === 'push' ? 'copy' : 'deletion',
        srcResource: event.repository,
        dstResource: destinationRepository(event.repository, policy.destNamespace, policy.destNamespaceReplaceCount),
        references: [reference],
        status: 'Pending',
      };
      // Claimed per event and policy: a redelivered event starts nothing twice.
      const claim: WriteOp = { put: { ...replicationKeys.eventRun(event.id, policy.id), executionId: execution.id, expiresAt: Math.floor(Date.now() / 1000) + 7 * 24 * 3600 }, condition: { exists: false } };
      try {
        await this.commit(
          [claim, this.executions.executionOp(execution), ...this.executions.taskOps(task)],
          [{ version: 1, kind: 'replication-task', id: crypto.randomUUID(), executionId: execution.id, taskId: task.id }],
        );
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
  }

  /** Harbor's REPLICATION webhook payload for a finished task, addressed to the local project. */
  private async notification(task: TaskRecord, status: string, execution: ExecutionRecord): Promise<Job | null> {
    const policy = await this.policies.get(task.policyId);
    if (!policy) return null;
    const side = async (registryId: number | null, repository: string) => {
      const record = registryId === null ? null : await this.registries.get(registryId);
      const slash = repository.lastIndexOf('/');
      return {
        registry_name: record?.name ?? 'Local',
        registry_type: record?.type ?? 'harbor',
        endpoint: record?.url ?? '',
        namespace: slash === -1 ? '' : repository.slice(0, slash),
      };
    };
    const local = policy.srcRegistryId === null ? task.srcResource : task.dstResource;
    return {
      version: 1,
      kind: 'notify',
      id: `replication-${execution.id}-${task.id}`,
      eventType: 'REPLICATION',
      project: projectOf(local),
      at: this.now(),
      payload: {
        replication: {
          harbor_hostname: '',
          job_status: status,
          description: policy.description,
          artifact_type: 'image',
          authentication_type: 'basic',
          override_mode: policy.override,
          trigger_type: execution.trigger,
          policy_creator: 'admin',
          execution_timestamp: Date.parse(execution.startTime),
          src_resource: await side(policy.srcRegistryId, task.srcResource),
          dest_resource: await side(policy.destRegistryId, task.dstResource),
          successful_artifact: status === 'Succeed' ? task.references.map((reference) => ({ type: 'image', status: 'Succeed', name_tag: `${task.dstResource}:${reference}` })) : [],
        },
      },
    };
  }

  /**
   * Pull mode into a Berth with identity on: the destination project is created (private, owned by
   * the system admin) when missing, as a system admin's first push would create it.
   */
  private async ensureLocalProject(repository: string): Promise<void> {
    const identity = this.deps.identity;
    if (!identity) return;
    const name = projectOf(repository);
    if (await identity.projects.get(name)) return;
    const admin = await identity.users.get('admin');
    await identity.projects.create({ name, public: false, ownerId: admin?.id ?? 1, ownerName: admin?.username ?? 'admin' });
  }

  private async isReferrer(repository: string, digest: string): Promise<boolean> {
    const content = await this.local.getManifest(repository, digest);
    if (!content) return false;
    try {
      return parseManifest(content.bytes, content.mediaType).subject !== undefined;
    } catch {
      return false;
    }
  }
}
