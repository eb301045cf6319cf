import { createHash } from 'node:crypto';
import type { AppDeps } from '../app-env.js';
import { parseDigest } from '../core/digest.js';
import { OciError } from '../core/errors.js';
import { ConditionFailedError, type Item, type WriteOp } from '../ports/table.js';
import { keys } from '../registry/keys.js';
import { Manifests } from '../registry/manifests.js';

/** Harbor speaks numeric ids; a repository's is derived from its name, so it never changes. */
export function numericId(name: string): number {
  return Number.parseInt(createHash('sha256').update(name).digest('hex').slice(0, 12), 16);
}

export interface RepositorySummary {
  name: string;
  createdAt: string;
  updatedAt: string;
  artifactCount: number;
  pullCount: number;
}

/**
 * Repositories as the management API shows them: a project's in name order from the index the
 * registry keeps (one query per page), each summed up from its own partition.
 */
export class Repositories {
  private readonly manifests: Manifests;

  constructor(private readonly deps: AppDeps) {
    this.manifests = new Manifests(deps);
  }

  /** Names of the project's repositories, in name order (`after` a name, at most `limit`). */
  async names(project: string, options: { after?: string; limit?: number } = {}): Promise<string[]> {
    const items = await this.deps.table.query(keys.projectRepositories(project), { index: 'gsi1', ...options });
    return items.map((item) => item.gsi1sk as string);
  }

  async holdsAny(project: string): Promise<boolean> {
    return (await this.names(project, { limit: 1 })).length > 0;
  }

  /** The repository, or null when it does not exist. */
  async summary(name: string): Promise<RepositorySummary | null> {
    const items = await this.deps.table.query(keys.repository(name).pk);
    const meta = items.find((item) => item.sk === 'meta');
    if (!meta) return null;
    let artifactCount = 0;
    let pullCount = 0;
    for (const item of items) {
      // Accessories (signatures, SBOMs) are shown with their subject, not counted as artifacts.
      if (item.sk.startsWith('manifest#') && !item.subject) artifactCount++;
      if (item.sk.startsWith('pulled#')) pullCount += (item.count as number | undefined) ?? 0;
    }
    return {
      name,
      createdAt: meta.createdAt as string,
      updatedAt: (meta.updatedAt as string | undefined) ?? (meta.createdAt as string),
      artifactCount,
      pullCount,
    };
  }

  /**
   * Deletes every manifest of the repository (through the registry, so each deletion records its
   * event and immutable tags refuse it), then its links, and takes it out of the catalog. The
   * blobs themselves go at the next garbage collection. False when it did not exist.
   */
  async delete(name: string, actor: string | undefined): Promise<boolean> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const items = await this.deps.table.query(keys.repository(name).pk);
      const meta = items.find((item) => item.sk === 'meta');
      if (!meta) return attempt > 0;
      // Refused whole when an immutable tag holds any of it, rather than half deleted.
      for (const tag of items.filter((item) => item.sk.startsWith('tag#'))) {
        for (const capability of this.deps.capabilities ?? []) {
          const reason = await capability.tagGuard?.(name, tag.sk.slice('tag#'.length));
          if (reason) throw new OciError('DENIED', reason, { tag: tag.sk.slice('tag#'.length) }, { status: 412 });
        }
      }
      const manifestDigests = items.filter((item) => item.sk.startsWith('manifest#')).map((item) => item.sk.slice('manifest#'.length));
      // Accessories and index children first, so nothing is left pointing at a deleted subject.
      const ordered = [...manifestDigests].sort((a, b) => Number(Boolean(items.find((i) => i.sk === `manifest#${b}`)?.subject)) - Number(Boolean(items.find((i) => i.sk === `manifest#${a}`)?.subject)));
      for (const digest of ordered) await this.manifests.delete(name, { digest: parseDigest(digest)! }, actor === undefined ? {} : { actor });
      const rest = (await this.deps.table.query(keys.repository(name).pk)).filter((item) => item.sk !== 'meta');
      let current = await this.deps.table.get(keys.repository(name));
      if (!current) return true;
      if (rest.some((item) => item.sk.startsWith('manifest#') || item.sk.startsWith('tag#'))) continue;
      const removals: WriteOp[] = rest.map((item: Item): WriteOp => ({ delete: { pk: item.pk, sk: item.sk } }));
      try {
        // Every batch under the repository's generation fence, as garbage collection's removals.
        while (removals.length > 90) {
          const next: Item = { ...current, generation: crypto.randomUUID() };
          await this.deps.table.transact([...removals.splice(0, 90), { put: next, condition: { equals: { generation: (current.generation as string | undefined) ?? null } } }]);
          current = next;
        }
        await this.deps.table.transact([
          ...removals,
          { delete: keys.repository(name), condition: { equals: { generation: (current.generation as string | undefined) ?? null } } },
          { delete: keys.catalogEntry(name) },
        ]);
        return true;
      } catch (error) {
        // Something was pushed meanwhile: delete that too.
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new Error(`repository ${name} kept changing while it was deleted`);
  }
}
