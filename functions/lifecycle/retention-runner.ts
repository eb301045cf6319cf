import type { AppDeps } from '../app-env.js';
import { parseDigest } from '../core/digest.js';
import { parseManifest } from '../core/manifest.js';
import { keys } from '../registry/keys.js';
import { Manifests } from '../registry/manifests.js';
import { partitions } from '../table-layout.js';
import type { RetentionExecution, RetentionPolicies, RetentionPolicy, RetentionTask } from './retention-policies.js';
import { type Candidate, planRepository } from './retention-rules.js';

/**
 * Which tags may never be removed (immutable tag rules). Retention asks it about every tag of an
 * artifact it would delete and keeps the artifact when any answer is yes.
 */
export interface ImmutableTags {
  isImmutable(repository: string, tag: string): Promise<boolean>;
}

export const noImmutableTags: ImmutableTags = { isImmutable: async () => false };

/** The actor retention's deletes are recorded under (audit log, webhooks). */
export const retentionActor = 'retention';

/**
 * Runs one execution of a retention policy: one task per repository of the project, in name
 * order. Resumable and idempotent: a task already finished is skipped when the job is delivered
 * again, and a repository half done is planned again from what is left (deleting what is already
 * gone is a no-op). Deletes go through `Manifests.delete`, so each records its `delete` event.
 * A dry run plans and records the same tasks and deletes nothing.
 */
export class RetentionRunner {
  private readonly manifests: Manifests;

  constructor(
    private readonly deps: AppDeps,
    private readonly policies: RetentionPolicies,
    private readonly immutable: ImmutableTags = noImmutableTags,
  ) {
    this.manifests = new Manifests(deps);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The repositories of a project (`<project>` itself and `<project>/...`), in name order. */
  async repositoriesOf(project: string): Promise<string[]> {
    const own = await this.deps.table.get(keys.catalogEntry(project));
    const below = await this.deps.table.query(partitions.catalog, { prefix: `${project}/` });
    return [...(own ? [project] : []), ...below.map((item) => item.sk)];
  }

  /** The artifacts retention decides about: manifests that are neither an index's child nor a referrer. */
  async candidatesOf(repository: string): Promise<Candidate[]> {
    const items = await this.deps.table.query(keys.repository(repository).pk, { prefix: 'manifest#' });
    const tagItems = await this.deps.table.query(keys.repository(repository).pk, { prefix: 'tag#' });
    const pulled = await this.deps.table.query(keys.repository(repository).pk, { prefix: 'pulled#' });
    const children = new Set<string>();
    for (const item of items) {
      const digest = item.sk.slice('manifest#'.length);
      const mediaType = item.mediaType as string;
      if (!mediaType.includes('index') && !mediaType.includes('manifest.list')) continue;
      const body = await this.manifests.body({ digest, mediaType, size: item.size as number, item });
      for (const child of parseManifest(body, mediaType).manifests) children.add(child);
    }
    const tagsOf = new Map<string, { tag: string; at: string }[]>();
    for (const tag of tagItems) {
      const digest = tag.digest as string;
      tagsOf.set(digest, [...(tagsOf.get(digest) ?? []), { tag: tag.sk.slice('tag#'.length), at: tag.updatedAt as string }]);
    }
    const pulledAt = new Map(pulled.map((item) => [item.sk.slice('pulled#'.length), item.lastPulledAt as string]));
    return items
      .filter((item) => !item.subject && !children.has(item.sk.slice('manifest#'.length)))
      .map((item) => {
        const digest = item.sk.slice('manifest#'.length);
        const tags = tagsOf.get(digest) ?? [];
        const pushedAt = [item.createdAt as string, ...tags.map((t) => t.at)].sort().at(-1)!;
        return { digest, tags: tags.map((t) => t.tag).sort(), pushedAt, pulledAt: pulledAt.get(digest) ?? null };
      });
  }

  /** Runs `execution` to its end (or until it is stopped). */
  async run(policy: RetentionPolicy, execution: RetentionExecution): Promise<void> {
    const repositories = await this.repositoriesOf(policy.project);
    const done = new Map((await this.policies.tasks(policy.id, execution.id)).map((task) => [task.id, task]));
    let failed = false;
    for (const [index, repository] of repositories.entries()) {
      const id = index + 1;
      if (done.get(id)?.status === 'Succeed') continue;
      const current = await this.policies.execution(policy.id, execution.id);
      if (current?.status !== 'Running') return;
      const task = await this.runRepository(policy, execution, id, repository);
      if (task?.status === 'Failed') failed = true;
    }
    const finished = await this.policies.finishExecution(execution, failed ? 'Failed' : 'Succeed');
    if (finished) await this.announce(policy, execution, failed);
  }

  private async runRepository(policy: RetentionPolicy, execution: RetentionExecution, id: number, repository: string): Promise<RetentionTask | null> {
    const startTime = this.now().toISOString();
    const name = repository === policy.project ? repository : repository.slice(policy.project.length + 1);
    const candidates = await this.candidatesOf(repository);
    const plan = planRepository(policy.rules, name, candidates, this.now());
    if (!plan) return null;
    const log: string[] = [];
    const deleted: RetentionTask['deleted'] = [];
    let retained = plan.retained.length;
    let status: RetentionTask['status'] = 'Succeed';
    for (const candidate of plan.deleted) {
      const immutable = [];
      for (const tag of candidate.tags) if (await this.immutable.isImmutable(repository, tag)) immutable.push(tag);
      if (immutable.length > 0) {
        retained += 1;
        log.push(`kept ${candidate.digest}: immutable tag${immutable.length > 1 ? 's' : ''} ${immutable.join(', ')}`);
        continue;
      }
      const tags = candidate.tags.length > 0 ? candidate.tags.join(', ') : '(untagged)';
      if (execution.dryRun) {
        log.push(`would delete ${candidate.digest} ${tags}`);
        deleted.push({ digest: candidate.digest, tags: candidate.tags });
        continue;
      }
      try {
        await this.manifests.delete(repository, { digest: parseDigest(candidate.digest)! }, { actor: retentionActor });
        log.push(`deleted ${candidate.digest} ${tags}`);
        deleted.push({ digest: candidate.digest, tags: candidate.tags });
      } catch (error) {
        status = 'Failed';
        log.push(`failed to delete ${candidate.digest}: ${String(error)}`);
      }
    }
    for (const candidate of plan.retained) log.push(`retained ${candidate.digest} ${candidate.tags.join(', ') || '(untagged)'}`);
    const task: RetentionTask = {
      id,
      executionId: execution.id,
      repository,
      status,
      total: candidates.length,
      retained,
      deleted,
      log,
      startTime,
      endTime: this.now().toISOString(),
    };
    await this.policies.putTask(policy.id, task);
    return task;
  }

  /** Tells the project's webhooks (TAG_RETENTION) what the run removed. */
  private async announce(policy: RetentionPolicy, execution: RetentionExecution, failed: boolean): Promise<void> {
    const tasks = await this.policies.tasks(policy.id, execution.id);
    await this.deps.queue.enqueue({
      version: 1,
      kind: 'notify',
      id: `retention-${policy.id}-${execution.id}`,
      eventType: 'TAG_RETENTION',
      project: policy.project,
      operator: retentionActor,
      at: this.now().toISOString(),
      payload: {
        retention: {
          total: tasks.reduce((sum, task) => sum + task.total, 0),
          retained: tasks.reduce((sum, task) => sum + task.retained, 0),
          project_name: policy.project,
          retention_policy_id: policy.id,
          execution_id: execution.id,
          dry_run: execution.dryRun,
          result: failed ? 'FAILED' : 'SUCCESS',
          deleted_artifact: tasks.flatMap((task) =>
            task.deleted.map((artifact) => ({
              type: 'image',
              status: execution.dryRun ? 'DRY_RUN' : 'SUCCESS',
              name_space: policy.project,
              repository: task.repository,
              tag: artifact.tags.join(','),
              digest: artifact.digest,
            })),
          ),
        },
      },
    });
  }
}
