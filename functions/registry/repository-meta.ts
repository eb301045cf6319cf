import { projectOf } from '../identity/stores/project-store.js';
import type { Item, WriteOp } from '../ports/table.js';
import { keys } from './keys.js';

/**
 * A repository's meta item and its catalog entry, written by the first blob link or manifest
 * write into it. Its `generation` changes with every manifest write and every removal garbage
 * collection makes, each under a condition on the generation read: a manifest that commits cannot
 * name a blob a concurrent collection unlinked after the manifest write read the links. A blob
 * link only checks the generation (links do not conflict with each other), so a repository with
 * links is always in the catalog, where garbage collection finds its links.
 */
function metaItem(repository: string, meta: Item | null, now: string): Item {
  return {
    ...keys.repository(repository),
    createdAt: (meta?.createdAt as string | undefined) ?? now,
    updatedAt: now,
    generation: crypto.randomUUID(),
    gsi1pk: keys.projectRepositories(projectOf(repository)),
    gsi1sk: repository,
  };
}

function create(repository: string, meta: Item | null, now: string): WriteOp[] {
  return [{ put: metaItem(repository, meta, now), condition: { exists: false } }, { put: { ...keys.catalogEntry(repository), createdAt: now } }];
}

/** The writes of a manifest write: create the repository, or change its generation. */
export function repositoryWriteOps(repository: string, meta: Item | null, now: Date): WriteOp[] {
  const at = now.toISOString();
  if (!meta) return create(repository, meta, at);
  return [{ put: metaItem(repository, meta, at), condition: { equals: { generation: (meta.generation as string | undefined) ?? null } } }];
}

/** The writes of a blob link: create the repository, or check its generation is still `meta`'s. */
export function repositoryLinkOps(repository: string, meta: Item | null, now: Date): WriteOp[] {
  if (!meta) return create(repository, meta, now.toISOString());
  return [{ check: keys.repository(repository), condition: { equals: { generation: (meta.generation as string | undefined) ?? null } } }];
}
