import type { AppDeps } from '../app-env.js';
import { parseDigest } from '../core/digest.js';
import { parseManifest } from '../core/manifest.js';
import { projectOf } from '../identity/stores/project-store.js';
import { ConditionFailedError, type Item, type WriteOp } from '../ports/table.js';
import { keys } from '../registry/keys.js';
import { Manifests } from '../registry/manifests.js';
import { QuotaStore } from './quota-store.js';

export interface GcParameters {
  /** Report what would be deleted and the bytes freed, deleting nothing. */
  dryRun: boolean;
  /** Also delete manifests no tag, index or subject keeps (Harbor's `delete_untagged`). */
  deleteUntagged: boolean;
  /** Blobs, links and manifests younger than this are kept (Harbor's default: one hour). */
  graceSeconds: number;
}

export interface GcResult {
  blobsDeleted: number;
  bytesFreed: number;
  manifestsDeleted: number;
  linksRemoved: number;
  repositoriesRemoved: number;
  /** Repositories that changed while collected: left as they were, collected next time. */
  repositoriesSkipped: number;
}

/** Table writes per transaction when unlinking (DynamoDB allows 100). */
const batch = 90;
/** Repositories collected at once. */
const concurrency = 8;

/** The generation fence: the repository's meta item, rewritten on the condition it is as read. */
function fence(meta: Item): WriteOp {
  return {
    put: { ...meta, generation: crypto.randomUUID() },
    condition: { equals: { generation: (meta.generation as string | undefined) ?? null } },
  };
}

const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Thrown inside a repository's collection when it changed since it was read. */
class RepositoryChanged extends Error {}

async function inPool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * One garbage collection pass: mark and sweep over the table, safe while pushes run.
 *
 * 1. Read every blob record and every project's quota counts, with their generations.
 * 2. For each repository: read its generation, then its manifests, tags and links (strongly
 *    consistent). With `deleteUntagged`, delete untagged manifests that no index and no subject
 *    keeps; then remove links no remaining manifest names. Every removal carries the repository's
 *    generation as a condition and changes it (so a concurrent manifest write, which changes it
 *    too, makes one of the two fail), and each link removal is conditioned on the link's own
 *    generation (a re-upload or mount rewrites it). A repository left with nothing is removed
 *    from the catalog.
 * 3. Blob records no remaining link names are removed in three steps: marked `deleting` on the
 *    generation read in step 1 (any link since then changed it, so the mark fails), bytes
 *    deleted, record removed. Quota counts of blobs no link of the project names are released the
 *    same way, and blobs linked before quotas counted them are adopted.
 *
 * Every write is conditional and every step repeatable, so a pass interrupted anywhere leaves the
 * registry consistent, and running it again (a redelivered job) finishes the work. Anything
 * younger than `graceSeconds` is kept, and anything linked after step 1 is kept whatever the
 * grace, since its write changed a generation the pass conditions on (docs/lifecycle.md).
 */
export async function collectGarbage(deps: AppDeps, parameters: GcParameters, log: (line: string) => void = () => {}): Promise<GcResult> {
  const now = deps.now?.() ?? new Date();
  const cutoff = new Date(now.getTime() - parameters.graceSeconds * 1000).toISOString();
  const { table } = deps;
  const manifests = new Manifests(deps);
  const quotas = new QuotaStore(deps);
  const result: GcResult = { blobsDeleted: 0, bytesFreed: 0, manifestsDeleted: 0, linksRemoved: 0, repositoriesRemoved: 0, repositoriesSkipped: 0 };
  log(`garbage collection: dry_run=${parameters.dryRun} delete_untagged=${parameters.deleteUntagged} grace_seconds=${parameters.graceSeconds}`);

  // Step 1, before any link is looked at.
  const records = new Map<string, Item>();
  await Promise.all(
    keys.blobShards().map(async (shard) => {
      for (const item of await table.query(shard, { index: 'gsi1' })) records.set(item.gsi1sk as string, item);
    }),
  );
  const repositories = (await table.query(keys.catalogEntry('').pk)).map((item) => item.sk);
  const projects = [...new Set(repositories.map(projectOf))];
  const counted = new Map<string, Map<string, Item>>();
  await Promise.all(projects.map(async (project) => counted.set(project, await quotas.counted(project))));
  log(`${records.size} blob records, ${repositories.length} repositories`);

  // Step 2. What stays linked, in all and per project (with the size of each blob).
  const linked = new Set<string>();
  const linkedIn = new Map<string, Map<string, number>>();
  const keep = (repository: string, digest: string, size: number) => {
    linked.add(digest);
    const project = projectOf(repository);
    if (!linkedIn.has(project)) linkedIn.set(project, new Map());
    linkedIn.get(project)!.set(digest, size);
  };

  await inPool(repositories, concurrency, async (repository) => {
    try {
      await collectRepository(repository);
    } catch (error) {
      if (!(error instanceof RepositoryChanged)) throw error;
      result.repositoriesSkipped++;
      log(`${repository}: changed while collected, left for the next run`);
      // Whatever it links now stays; read again so step 3 does not take it for garbage.
      for (const item of await table.query(keys.repository(repository).pk, { prefix: 'blob#' })) keep(repository, item.sk.slice(5), item.size as number);
    }
  });

  async function collectRepository(repository: string): Promise<void> {
    // The embedded table answers synchronously: let requests in between repositories.
    await yieldToRequests();
    let meta = await table.get(keys.repository(repository));
    const items = await table.query(keys.repository(repository).pk);
    const stored = new Map<string, Item>();
    const links = new Map<string, Item>();
    const tagged = new Set<string>();
    let others = 0;
    // What capabilities stored about manifests (summaries, pull counts) goes with an empty repository.
    const leftovers: Item[] = [];
    for (const item of items) {
      if (item.sk.startsWith('manifest#')) stored.set(item.sk.slice(9), item);
      else if (item.sk.startsWith('blob#')) links.set(item.sk.slice(5), item);
      else if (item.sk.startsWith('tag#')) tagged.add(item.digest as string);
      else if (item.sk.startsWith('summary#') || item.sk.startsWith('pulled#')) leftovers.push(item);
      else if (item.sk !== 'meta') others++;
    }
    // A repository written before the project index existed joins it (under the same fence).
    if (meta && !meta.gsi1pk && !parameters.dryRun) {
      const indexed: Item = { ...meta, generation: crypto.randomUUID(), gsi1pk: keys.projectRepositories(projectOf(repository)), gsi1sk: repository };
      try {
        await table.put(indexed, { equals: { generation: (meta.generation as string | undefined) ?? null } });
      } catch (error) {
        if (error instanceof ConditionFailedError) throw new RepositoryChanged();
        throw error;
      }
      meta = indexed;
    }
    const references = new Map<string, { blobs: string[]; manifests: string[]; subject?: string }>();
    for (const [digest, item] of stored) references.set(digest, await referencesOf(digest, item));

    if (parameters.deleteUntagged) {
      // Untagged and unreferenced, to a fixed point: deleting an index frees its children.
      for (;;) {
        const kept = new Set<string>();
        for (const [digest, refs] of references) {
          for (const child of refs.manifests) kept.add(child);
          if (refs.subject && references.has(refs.subject)) kept.add(digest);
        }
        const doomed = [...references.keys()].filter(
          (digest) => !tagged.has(digest) && !kept.has(digest) && ((stored.get(digest)!.createdAt as string | undefined) ?? '') < cutoff,
        );
        if (doomed.length === 0) break;
        for (const digest of doomed) {
          if (!parameters.dryRun) {
            if (!meta) throw new RepositoryChanged();
            const ops = [fence(meta)];
            try {
              await manifests.delete(repository, { digest: parseDigest(digest)! }, { actor: 'gc', extraOps: ops });
            } catch (error) {
              if (error instanceof ConditionFailedError) throw new RepositoryChanged();
              throw error;
            }
            meta = (ops[0] as { put: Item }).put;
          }
          references.delete(digest);
          stored.delete(digest);
          result.manifestsDeleted++;
          log(`${repository}: ${parameters.dryRun ? 'would delete' : 'deleted'} untagged manifest ${digest}`);
        }
      }
    }

    const referenced = new Set<string>();
    for (const [digest, refs] of references) {
      for (const blob of refs.blobs) referenced.add(blob);
      if (stored.get(digest)!.inBlobStore) referenced.add(digest);
    }
    const unlink: [string, Item][] = [];
    for (const [digest, link] of links) {
      if (referenced.has(digest) || ((link.linkedAt as string | undefined) ?? '') >= cutoff) keep(repository, digest, link.size as number);
      else unlink.push([digest, link]);
    }
    for (let start = 0; start < unlink.length; start += batch) {
      const slice = unlink.slice(start, start + batch);
      if (!parameters.dryRun) {
        if (!meta) throw new RepositoryChanged();
        const guard = fence(meta);
        try {
          await table.transact([
            ...slice.map(([digest, link]): WriteOp => ({
              delete: keys.blobLink(repository, digest),
              condition: { equals: { generation: (link.generation as string | undefined) ?? null } },
            })),
            guard,
          ]);
        } catch (error) {
          if (error instanceof ConditionFailedError) throw new RepositoryChanged();
          throw error;
        }
        meta = (guard as { put: Item }).put;
      }
      result.linksRemoved += slice.length;
    }

    // Nothing left but its meta item: the repository goes, and leaves the catalog.
    const empty = stored.size === 0 && tagged.size === 0 && others === 0 && unlink.length === links.size && leftovers.length < batch;
    if (empty && meta && ((meta.updatedAt as string | undefined) ?? (meta.createdAt as string | undefined) ?? '') < cutoff) {
      if (!parameters.dryRun) {
        try {
          await table.transact([
            { delete: keys.repository(repository), condition: { equals: { generation: (meta.generation as string | undefined) ?? null } } },
            { delete: keys.catalogEntry(repository) },
            ...leftovers.map((item): WriteOp => ({ delete: { pk: item.pk, sk: item.sk } })),
          ]);
        } catch (error) {
          if (error instanceof ConditionFailedError) throw new RepositoryChanged();
          throw error;
        }
      }
      result.repositoriesRemoved++;
      log(`${repository}: ${parameters.dryRun ? 'would remove' : 'removed'} the empty repository`);
    }
  }

  async function referencesOf(digest: string, item: Item): Promise<{ blobs: string[]; manifests: string[]; subject?: string }> {
    let bytes: Uint8Array;
    if (typeof item.body === 'string') bytes = Buffer.from(item.body, 'utf8');
    else {
      const stream = await deps.blobs.open(digest);
      if (!stream) return { blobs: [], manifests: [] };
      const chunks: Uint8Array[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      bytes = Buffer.concat(chunks);
    }
    const parsed = parseManifest(bytes, item.mediaType as string);
    return { blobs: parsed.blobs, manifests: parsed.manifests, ...(parsed.subject ? { subject: parsed.subject } : {}) };
  }

  // Step 3: blobs nothing links. A record left `deleting` by an interrupted pass is finished.
  const unlinked: [string, Item][] = [];
  for (const [digest, record] of records) {
    if (linked.has(digest)) continue;
    const young = ((record.linkedAt as string | undefined) ?? (record.createdAt as string | undefined) ?? '') >= cutoff;
    if (young && record.state !== 'deleting') continue;
    unlinked.push([digest, record]);
  }
  for (let start = 0; start < unlinked.length; start += batch) {
    await yieldToRequests();
    const slice = unlinked.slice(start, start + batch);
    const removed = parameters.dryRun ? slice : await removeBlobs(slice);
    result.blobsDeleted += removed.length;
    for (const [, record] of removed) result.bytesFreed += (record.size as number | undefined) ?? 0;
  }

  /**
   * Marks the records `deleting` (on the generation read in step 1: anything linked since makes
   * its mark fail, and that blob stays), deletes their bytes, removes the records. One
   * transaction per batch; when one mark fails the batch is marked blob by blob.
   */
  async function removeBlobs(slice: [string, Item][]): Promise<[string, Item][]> {
    const marks = slice.map(([digest, record]): [string, Item, Item] => [
      digest,
      record,
      record.state === 'deleting' ? record : { ...record, state: 'deleting', generation: crypto.randomUUID(), deletingSince: now.toISOString() },
    ]);
    const markOp = ([, record, marked]: [string, Item, Item]): WriteOp => ({
      put: marked,
      condition: { equals: { generation: (record.generation as string | undefined) ?? null } },
    });
    const toMark = marks.filter(([, record]) => record.state !== 'deleting');
    let marked = marks;
    try {
      if (toMark.length > 0) await table.transact(toMark.map(markOp));
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      marked = [];
      for (const entry of marks) {
        try {
          if (entry[1].state !== 'deleting') await table.transact([markOp(entry)]);
          marked.push(entry);
        } catch (inner) {
          // Linked (or collected) since step 1: it stays.
          if (!(inner instanceof ConditionFailedError)) throw inner;
        }
      }
    }
    await inPool(marked, 16, async ([digest]) => deps.blobs.delete(digest));
    const removals = marked.map(([digest, , mark]): WriteOp => ({ delete: keys.blob(digest), condition: { equals: { generation: mark.generation as string } } }));
    try {
      if (removals.length > 0) await table.transact(removals);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      for (const removal of removals) await table.transact([removal]).catch((inner: unknown) => {
        if (!(inner instanceof ConditionFailedError)) throw inner;
      });
    }
    return marked.map(([digest, record]) => [digest, record]);
  }

  if (!parameters.dryRun) {
    for (const project of projects) {
      const counts = counted.get(project) ?? new Map<string, Item>();
      const stillLinked = linkedIn.get(project) ?? new Map<string, number>();
      await quotas.releaseAll(project, [...counts].filter(([digest]) => !stillLinked.has(digest)));
      for (const [digest, size] of stillLinked) if (!counts.has(digest)) await quotas.adopt(project, digest, size);
    }
  }

  log(
    `${parameters.dryRun ? 'would free' : 'freed'} ${result.bytesFreed} bytes: ${result.blobsDeleted} blobs, ${result.manifestsDeleted} manifests, ` +
      `${result.linksRemoved} links, ${result.repositoriesRemoved} repositories; ${result.repositoriesSkipped} repositories skipped`,
  );
  return result;
}
