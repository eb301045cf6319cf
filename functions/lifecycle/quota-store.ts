import type { AppDeps } from '../app-env.js';
import { OciError } from '../core/errors.js';
import type { Job } from '../core/jobs.js';
import { projectOf } from '../identity/stores/project-store.js';
import { ConditionFailedError, type Item, type Key, type WriteOp } from '../ports/table.js';
import { partitions } from '../table-layout.js';

/**
 * Storage quotas of projects. A blob counts once per project, from the moment it is first linked
 * into any repository of the project (upload or mount) until garbage collection removes its last
 * link there. The count is kept exact under concurrent pushes by writing it in the link's own
 * transaction, on a condition on the usage read (a conflict retries the link from a fresh read).
 *
 *   pk quota#<project>   sk usage            hard (bytes, -1 = unlimited), used (bytes), createdAt, updatedAt
 *   pk quota#<project>   sk blob#<digest>    a blob the project counts: size, generation (new on every link)
 */
export interface Quota {
  project: string;
  hard: number;
  used: number;
  createdAt: string;
  updatedAt: string;
}

const usageKey = (project: string): Key => ({ pk: `${partitions.quota}${project}`, sk: 'usage' });
const refKey = (project: string, digest: string): Key => ({ pk: `${partitions.quota}${project}`, sk: `blob#${digest}` });

/** Bytes as Harbor writes them in its quota messages: `1.5 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${Number(value.toFixed(1))} ${units[unit]}`;
}

export class QuotaStore {
  constructor(private readonly deps: Pick<AppDeps, 'table' | 'queue' | 'now' | 'identity'>) {}

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  private toQuota(project: string, item: Item | null): Quota {
    const at = this.now();
    return {
      project,
      hard: typeof item?.hard === 'number' ? item.hard : -1,
      used: typeof item?.used === 'number' ? item.used : 0,
      createdAt: (item?.createdAt as string | undefined) ?? at,
      updatedAt: (item?.updatedAt as string | undefined) ?? at,
    };
  }

  /** The project's quota; unlimited with nothing used when none was ever written. */
  async get(project: string): Promise<Quota> {
    return this.toQuota(project, await this.deps.table.get(usageKey(project)));
  }

  /** Sets the hard limit (bytes, -1 for none), keeping the usage. */
  async setHard(project: string, hard: number): Promise<Quota> {
    for (;;) {
      const item = await this.deps.table.get(usageKey(project));
      const quota = { ...this.toQuota(project, item), hard, updatedAt: this.now() };
      try {
        await this.deps.table.put({ ...usageKey(project), ...quota }, item ? { equals: { used: quota.used, hard: item.hard ?? null } } : { exists: false });
        return quota;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
  }

  /** Removes the quota and every count of a project that is being deleted. */
  async remove(project: string): Promise<void> {
    for (const item of await this.deps.table.query(`${partitions.quota}${project}`)) await this.deps.table.delete({ pk: item.pk, sk: item.sk });
  }

  /**
   * The writes that account a blob being linked into `repository`: a fresh generation on the
   * project's count of it, or a new count and the usage grown by its size. Refuses (403 DENIED,
   * Harbor's message) a new blob that would take the usage over the hard limit, and tells webhooks
   * (a `notify` job of type QUOTA_EXCEED).
   */
  async linkOps(repository: string, digest: string, size: number): Promise<WriteOp[]> {
    const project = projectOf(repository);
    const [ref, usage] = await Promise.all([this.deps.table.get(refKey(project, digest)), this.deps.table.get(usageKey(project))]);
    if (ref) {
      return [{ put: { ...ref, generation: crypto.randomUUID() }, condition: { equals: { generation: (ref.generation as string | undefined) ?? null } } }];
    }
    const quota = this.toQuota(project, usage);
    if (quota.hard >= 0 && quota.used + size > quota.hard) {
      const message =
        `Quota exceeded when processing the request of adding ${formatBytes(size)} of storage resource, which when updated to current usage of ` +
        `${formatBytes(quota.used)} will exceed the configured upper limit of ${formatBytes(quota.hard)}.`;
      await this.report(repository, digest, message.slice(message.indexOf('adding')));
      throw new OciError('DENIED', message, { needed: size, used: quota.used, limit: quota.hard });
    }
    return [
      { put: { ...refKey(project, digest), size, generation: crypto.randomUUID() }, condition: { exists: false } },
      {
        put: { ...usageKey(project), ...quota, used: quota.used + size, updatedAt: this.now() },
        condition: usage ? { equals: { used: quota.used, hard: usage.hard ?? null } } : { exists: false },
      },
    ];
  }

  private async report(repository: string, digest: string, message: string): Promise<void> {
    const project = projectOf(repository);
    const isPublic = (await this.deps.identity?.projects.get(project))?.public ?? false;
    const job: Job = {
      version: 1,
      kind: 'notify',
      id: `quota-${project}-${crypto.randomUUID()}`,
      eventType: 'QUOTA_EXCEED',
      project,
      at: this.now(),
      payload: {
        resources: [{ digest }],
        repository: { name: repository.slice(project.length + 1), namespace: project, repo_full_name: repository, repo_type: isPublic ? 'public' : 'private' },
        custom_attributes: { Details: message },
      },
    };
    // The refusal stands whether or not the report gets through.
    await this.deps.queue.enqueue(job).catch(() => undefined);
  }

  /** The blobs the project counts, with the generation each was read at (garbage collection). */
  async counted(project: string): Promise<Map<string, Item>> {
    const items = await this.deps.table.query(`${partitions.quota}${project}`, { prefix: 'blob#' });
    return new Map(items.map((item) => [item.sk.slice('blob#'.length), item]));
  }

  /**
   * Stops counting a blob no repository of the project links any more, provided nothing linked
   * it since `read` (its generation then). False when something did.
   */
  async release(project: string, digest: string, read: Item): Promise<boolean> {
    for (;;) {
      const usage = await this.deps.table.get(usageKey(project));
      const quota = this.toQuota(project, usage);
      const size = read.size as number;
      try {
        await this.deps.table.transact([
          { delete: refKey(project, digest), condition: { equals: { generation: (read.generation as string | undefined) ?? null } } },
          {
            put: { ...usageKey(project), ...quota, used: Math.max(0, quota.used - size), updatedAt: this.now() },
            condition: usage ? { equals: { used: quota.used, hard: usage.hard ?? null } } : { exists: false },
          },
        ]);
        return true;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        const current = await this.deps.table.get(refKey(project, digest));
        if (current?.generation !== read.generation) return false;
      }
    }
  }

  /**
   * `release` for many blobs of one project: a batch at a time in one transaction with the
   * usage; a batch whose conditions fail is released blob by blob.
   */
  async releaseAll(project: string, blobs: [string, Item][]): Promise<void> {
    for (let start = 0; start < blobs.length; start += 80) {
      const slice = blobs.slice(start, start + 80);
      const usage = await this.deps.table.get(usageKey(project));
      const quota = this.toQuota(project, usage);
      const size = slice.reduce((sum, [, read]) => sum + ((read.size as number | undefined) ?? 0), 0);
      try {
        await this.deps.table.transact([
          ...slice.map(([digest, read]): WriteOp => ({ delete: refKey(project, digest), condition: { equals: { generation: (read.generation as string | undefined) ?? null } } })),
          {
            put: { ...usageKey(project), ...quota, used: Math.max(0, quota.used - size), updatedAt: this.now() },
            condition: usage ? { equals: { used: quota.used, hard: usage.hard ?? null } } : { exists: false },
          },
        ]);
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        for (const [digest, read] of slice) await this.release(project, digest, read);
      }
    }
  }

  /** Starts counting a blob linked before quotas counted it (garbage collection reconciles). */
  async adopt(project: string, digest: string, size: number): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const usage = await this.deps.table.get(usageKey(project));
      const quota = this.toQuota(project, usage);
      try {
        await this.deps.table.transact([
          { put: { ...refKey(project, digest), size, generation: crypto.randomUUID() }, condition: { exists: false } },
          {
            put: { ...usageKey(project), ...quota, used: quota.used + size, updatedAt: this.now() },
            condition: usage ? { equals: { used: quota.used, hard: usage.hard ?? null } } : { exists: false },
          },
        ]);
        return;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        if (await this.deps.table.get(refKey(project, digest))) return;
      }
    }
  }
}
